"""The summary's work grows linearly with the horizon: each record is read a fixed number of
times, whatever the run's length (no rescan per day, per group or per session). Counted in
Python calls (cProfile), which no machine's load changes; its CPU time against the horizon is
benchmarks/engine.py's business (docs/benchmarks.md)."""

from __future__ import annotations

import cProfile
import pstats
from functools import cache
from pathlib import Path

from simulator import runner
from simulator import scenario as sc

ROOT = Path(__file__).resolve().parents[2]
REGION = ROOT / "scenarios" / "nacs_opening.toml"
HORIZONS_DAYS = (4.0, 8.0, 16.0)
SLOPE_TOLERANCE = 0.02  # 0.998 today; a per-day rescan of the sessions alone makes 1.08


@cache
def summary_work(days: float) -> tuple[int, int]:
    """(records, Python calls of the summary) of the shared region over `days`."""
    world = sc.world(sc.load(REGION), days=days)
    records = runner.run_fast(world)
    runner.summarize_world(world, records)  # first-use costs (imports, caches) out of the count
    profile = cProfile.Profile()
    profile.enable()
    runner.summarize_world(world, records)
    profile.disable()
    n = len(records.sessions) + len(records.segments) + len(records.intervals)
    return n, pstats.Stats(profile).total_calls  # type: ignore[attr-defined]


def test_each_added_record_costs_the_summary_the_same_calls_at_any_horizon() -> None:
    (n1, c1), (n2, c2), (n3, c3) = (summary_work(d) for d in HORIZONS_DAYS)
    assert n1 < n2 < n3
    early = (c2 - c1) / (n2 - n1)  # calls per record added from 4 to 8 days
    late = (c3 - c2) / (n3 - n2)  # ... from 8 to 16 days
    assert abs(late / early - 1) < SLOPE_TOLERANCE, (early, late)


def test_the_summary_reads_each_record_a_bounded_number_of_times() -> None:
    n, calls = summary_work(HORIZONS_DAYS[-1])
    # about 14 a record today (sessions, segments, intervals); a pass per group or per day
    # over every record would multiply it
    assert calls / n < 30, calls / n
