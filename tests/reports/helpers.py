"""Small real inputs for the report tests: a short run of a shipped scenario (the experiment
pages' comparison and sweep are in tests/experiment/helpers.py)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from simulator import runner
from simulator import scenario as sc

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
DAYS = 1.5


@cache
def region_run(name: str = "nissan_evgo.toml") -> runner.RunResult:
    return runner.run(sc.load(SCENARIOS / name), days=DAYS)
