"""Times the same sweep on a 1-worker and a 2-worker local Dask cluster, in one run.

The sweep: the shared region (scenarios/interoperability.toml, 121 ports, ~670 sessions a day)
over demand x Tesla's non-member price, replications at every point, 14 simulated days per run:
each task is about a second of work, so scheduling overhead is small. Each cluster is started
and warmed up (every worker has run a task) before the clock starts; the time is from the first
submission to the last result.

Last line: `runs/s 1 worker=… 2 workers=… speedup=…`. Target: speedup >= 1.7 on 2 cores.
Ratios measured in one run are what count: these machines are noisy.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator import scenario as sc  # noqa: E402
from simulator.experiment import execution  # noqa: E402
from simulator.experiment import sweep as sw  # noqa: E402
from simulator.experiment.grid import grid, parse_vary  # noqa: E402
from simulator.experiment.replications import Task, plan, scenario_data  # noqa: E402

SCENARIO = ROOT / "scenarios" / "interoperability.toml"
VARY = ("demand=0.9,1.1", "non_member_price[tesla]=0.48,0.64")
WARM_UP = ROOT / "scenarios" / "validation" / "erlang_c.toml"


def tasks(days: float, replications: int) -> list[Task]:
    base = sc.load(SCENARIO)
    points = grid(base, [parse_vary(v) for v in VARY])
    return sw.tasks(points, replications=replications, base_seed=1, days=days)


def timed(workers: int, work: list[Task]) -> float:
    """Runs per second of `work` on a fresh local cluster of `workers` processes."""
    with execution.connect(workers=workers) as client:
        warm = plan(
            [("warm-up", scenario_data(sc.load(WARM_UP)))],
            replications=2 * workers,
            base_seed=1,
            days=0.2,
        )
        execution.execute(client, warm)
        start = time.perf_counter()
        runs = execution.execute(client, work)
        elapsed = time.perf_counter() - start
    failed = [r for r in runs if not r.ok]
    if failed:
        raise SystemExit(f"benchmark run failed: {failed[0].failure()}")
    print(f"{workers} worker{'s' if workers > 1 else ''}: {len(work)} runs in {elapsed:.2f} s")
    return len(work) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=14.0, help="simulated days per run")
    parser.add_argument("--replications", type=int, default=4, help="runs per grid point")
    args = parser.parse_args()
    work = tasks(args.days, args.replications)
    print(
        f"sweep of {SCENARIO.name}: {' x '.join(VARY)}, {args.replications} replications, "
        f"{args.days:g} days per run; {platform.python_version()}, "
        f"{execution.cores()} cores available"
    )
    one = timed(1, work)
    two = timed(2, work)
    print(f"runs/s 1 worker={one:.3f} 2 workers={two:.3f} speedup={two / one:.2f}")


if __name__ == "__main__":
    main()
