"""`chargenet check` benchmark: the whole catalogue against the built-in central system.

    python benchmarks/check.py [--runs 3] [--timeout 10]

Starts the built-in central system (`python -m central_system serve`, its own process, a
fresh SQLite store, a password, the operator API and so the OCTT trigger API on 127.0.0.1)
and runs `python -m simulator check URL --trigger API --pending-id ID` over every check,
`--runs` times, each a new process as a user would start it. Prints per run the wall time
(process start to exit), the time the run itself reports (first check to last), the verdict
counts and the five slowest checks. The last line is `check runs=N wall_s=min/median/max checks=N`.
Every run is bounded (--bound-s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "benchmark-s3cret"


@contextlib.asynccontextmanager
async def central_system(folder: Path, runs: int) -> AsyncIterator[dict[str, str]]:
    password = folder / "password"
    password.write_text(PASSWORD + "\n")
    # TC_002_CS: one id per run that the central system answers Pending at its first boot
    pending = folder / "pending-ids"
    pending.write_text("".join(f"bench-pending-{run}\n" for run in range(1, runs + 1)))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "central_system",
        "serve",
        "--port",
        "0",
        "--api-port",
        "0",
        "--db",
        str(folder / "csms.sqlite"),
        "--password-file",
        str(password),
        "--pending-ids",
        str(pending),
        "--boot-retry-interval-s",
        "1",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 120)
        serving = json.loads(line)
        (folder / "token").write_text(serving["api_token"] + "\n")
        yield serving
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


async def one_run(
    folder: Path, serving: dict[str, str], run: int, args: argparse.Namespace
) -> dict[str, Any]:
    report = folder / f"run-{run}.json"
    env = {k: v for k, v in os.environ.items() if k != "CHARGENET_CSMS_API_TOKEN"}
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator",
        "check",
        serving["ws_url"],
        "--id",
        f"bench-{run}",
        "--pending-id",
        f"bench-pending-{run}",
        "--trigger",
        serving["api_url"],
        "--trigger-token-file",
        str(folder / "token"),
        "--password-file",
        str(folder / "password"),
        "--timeout",
        str(args.timeout),
        "--json",
        str(report),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), args.bound_s)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    wall_s = time.perf_counter() - started
    if not report.exists():
        raise SystemExit(f"run {run}: no report (exit {process.returncode}): {stderr.decode()}")
    result = json.loads(report.read_text())
    result["wall_s"] = wall_s
    result["exit"] = process.returncode
    return result


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="chargenet-check-bench-") as name:
        folder = Path(name)
        async with central_system(folder, args.runs) as serving:
            walls = []
            checks = 0
            for run in range(1, args.runs + 1):
                result = await one_run(folder, serving, run, args)
                walls.append(result["wall_s"])
                checks = len(result["checks"])
                slowest = sorted(result["checks"], key=lambda c: -c["duration_s"])[:5]
                counts = ", ".join(f"{n} {v}" for v, n in result["counts"].items() if n)
                print(
                    f"run {run}: wall {result['wall_s']:.1f} s, reported "
                    f"{result['duration_s']:.1f} s, {checks} checks ({counts}), exit "
                    f"{result['exit']}; slowest: "
                    + ", ".join(f"{c['id']} {c['duration_s']:.2f} s" for c in slowest)
                )
    load = os.getloadavg()[0]
    print(f"load average at the end: {load:.1f} on {os.cpu_count()} cores")
    print(
        f"check runs={args.runs} wall_s={min(walls):.1f}/{statistics.median(walls):.1f}/"
        f"{max(walls):.1f} checks={checks}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of the whole catalogue")
    parser.add_argument("--timeout", type=float, default=10.0, help="check --timeout (s)")
    parser.add_argument("--bound-s", type=float, default=600.0, help="bound of one run (s)")
    asyncio.run(main(parser.parse_args()))
