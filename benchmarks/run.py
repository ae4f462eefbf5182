"""Times `chargenet run scenarios/quickstart.toml` (the OCPP engine and the built-in central
system) end to end, and by phase, against another checkout in the same sitting.

End to end: the real command in a subprocess, its wall time and the CPU seconds of the command
and of the central system it starts (wait4 counts the waited-for grandchild). By phase, in
fresh interpreters: importing the command line, the central system from spawn to its ready
line and from SIGTERM to exit, the fast engine on the same scenario, and the HTML report.
Builds alternate run by run (`--against DIR` is the other checkout, e.g. a `git archive` of
the base commit), so that both see the same load; the load average is printed with every
figure. Last line: `run wall_s=… cpu_s=…` (medians of this checkout).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = "scenarios/quickstart.toml"

PHASES = r"""
import asyncio, json, sys, time
t = time.perf_counter(); c = time.process_time()
import simulator.cli as cli
cli.build_parser()
phases = {"import the command line": (time.perf_counter() - t, time.process_time() - c)}
from pathlib import Path
from simulator import runner, scenario as sc
from simulator.ocpp.builtin_csms import BuiltinCsms

async def csms() -> tuple[float, float]:
    server = BuiltinCsms(operator_api=OPERATOR_API) if OPERATOR_API is not None else BuiltinCsms()
    t = time.perf_counter()
    await server.start()
    ready = time.perf_counter() - t
    t = time.perf_counter()
    await server.__aexit__(None, None, None)
    return ready, time.perf_counter() - t

ready, stop = asyncio.run(csms())
phases["central system: spawn to ready (wall)"] = (ready, float("nan"))
phases["central system: SIGTERM to exit (wall)"] = (stop, float("nan"))
t = time.perf_counter(); c = time.process_time()
world = sc.world(sc.load(Path(SCENARIO)))
summary = runner.summarize_world(world, runner.run_fast(world, None))
phases["fast engine and summary"] = (time.perf_counter() - t, time.process_time() - c)
t = time.perf_counter(); c = time.process_time()
from simulator.reports.html import write_run_report
phases["import the HTML report (matplotlib)"] = (time.perf_counter() - t, time.process_time() - c)
t = time.perf_counter(); c = time.process_time()
write_run_report(summary, Path(OUT) / "report.html")
phases["write the HTML report"] = (time.perf_counter() - t, time.process_time() - c)
print(json.dumps(phases))
"""


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def environment(checkout: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(checkout)}


def end_to_end(checkout: Path) -> tuple[float, float]:
    """Wall and CPU seconds (command plus central system) of one `chargenet run`."""
    with tempfile.TemporaryDirectory(prefix="chargenet-bench-") as out:
        argv = [sys.executable, "-m", "simulator", "run", SCENARIO, "--out", out, "--quiet"]
        t = time.perf_counter()
        process = subprocess.Popen(argv, cwd=checkout, env=environment(checkout))
        _, status, usage = os.wait4(process.pid, 0)
        wall_s = time.perf_counter() - t
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise SystemExit(f"chargenet run exited {process.returncode} in {checkout}")
        return wall_s, usage.ru_utime + usage.ru_stime


def phases(checkout: Path) -> dict[str, list[float]]:
    import json

    with tempfile.TemporaryDirectory(prefix="chargenet-bench-") as out:
        # the base checkout's BuiltinCsms has no operator_api switch: it always starts the API
        has_switch = "operator_api" in (checkout / "simulator/ocpp/builtin_csms.py").read_text()
        code = (
            f"SCENARIO = {SCENARIO!r}\nOUT = {out!r}\n"
            f"OPERATOR_API = {'False' if has_switch else 'None'}\n" + PHASES
        )
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=checkout,
            env=environment(checkout),
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
    return dict(json.loads(result.stdout.splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, help="another checkout, timed alternately")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each build (default 3)")
    parser.add_argument("--skip-phases", action="store_true", help="end to end only")
    args = parser.parse_args()
    builds = {"this": ROOT}
    if args.against is not None:
        builds["against"] = args.against.resolve()
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in builds}
    for i in range(args.repeat):
        for name, checkout in builds.items():
            wall_s, cpu_s = end_to_end(checkout)
            runs[name].append((wall_s, cpu_s))
            print(f"{i + 1} {name:8s} wall {wall_s:6.2f} s  cpu {cpu_s:6.2f} s  ({load()})")
    if not args.skip_phases:
        for name, checkout in builds.items():
            print(f"phases of {name} ({load()}):")
            for phase, (wall_s, cpu_s) in phases(checkout).items():
                print(f"  {phase:42s} wall {wall_s:6.2f} s  cpu {cpu_s:6.2f} s")
    for name in builds:
        walls = [w for w, _ in runs[name]]
        cpus = [c for _, c in runs[name]]
        print(
            f"{name}: median wall {statistics.median(walls):.2f} s, "
            f"cpu {statistics.median(cpus):.2f} s"
        )
    walls = [w for w, _ in runs["this"]]
    cpus = [c for _, c in runs["this"]]
    print(f"run wall_s={statistics.median(walls):.2f} cpu_s={statistics.median(cpus):.2f}")


if __name__ == "__main__":
    main()
