"""benchmarks/engine.py at the smallest sizes: every phase runs for real (the M/M/c engine and
plain SimPy, the shared region end to end with its summary, CSV and HTML, the summary at two
horizons) and the figures have the documented form. The figures themselves are the
benchmark's business, not the test's."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
END_TO_END = re.compile(
    r"end to end, shared region 0\.5 days \(CPU s\): engine [\d.]+, summary [\d.]+, json [\d.]+, "
    r"csv [\d.]+, html [\d.]+; total [\d.]+, engine alone [\d.]+ \(end-to-end/engine=[\d.]+\)"
)
SUMMARY = re.compile(
    r"summary sessions/s 0\.5d=\d+ 1d=\d+ ratio=\d+\.\d\d calls/record ratio=\d+\.\d{3} "
    r"bare-read ratio=\d+\.\d\d by-port ratio=\d+\.\d\d"
)
LAST_LINE = re.compile(
    r"grid-limited engine sessions/s=\d+ plain-simpy sessions/s=\d+ ratio=[\d.]+"
)
BOUND_S = 600.0  # the region's half-day runs, several times, on a loaded machine


@pytest.mark.timeout(BOUND_S + 30)  # 72 s at load 18 (2026-12-02)
def test_the_engine_benchmark_at_tiny_sizes_prints_every_documented_figure() -> None:
    sizes = ["--days", "1", "--repeats", "1", "--region-days", "0.5", "--summary-days", "0.5,1"]
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "engine.py"), *sizes],
        capture_output=True,
        text=True,
        timeout=BOUND_S,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert any(END_TO_END.fullmatch(line) for line in lines), lines
    assert any(SUMMARY.fullmatch(line) for line in lines), lines
    assert LAST_LINE.fullmatch(lines[-1]), lines[-1]
