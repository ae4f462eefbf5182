"""benchmarks/load.py at the smallest sizes: every phase runs for real (lean servers, the
generator, raw websockets, 1 and 2 shards on local Dask clusters) and the last line has the
documented form. The figures themselves are the benchmark's business, not the test's."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAST_LINE = re.compile(
    r"load cps=(\d+) kib_per_cp=(\d+\.\d) msgs/s=(\d+) raw-ws msgs/s=(\d+) "
    r"ratio=(\d+\.\d\d) shards2-speedup=(\d+\.\d\d)"
)
BOUND_S = 110.0  # inside pytest-timeout's 120 s; two Dask clusters start on a loaded machine


def test_the_load_benchmark_at_tiny_sizes_prints_the_documented_last_line() -> None:
    sizes = ["--charge-points", "12", "--concurrency", "4", "--servers", "1"]
    times = ["--seconds", "1", "--warmup-s", "1", "--connect-ramp-s", "1", "--hold-s", "1"]
    times += ["--pairs", "1"]  # one 1-shard and one 2-shard cluster: inside the bound
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "load.py"), *sizes, *times],
        capture_output=True,
        text=True,
        timeout=BOUND_S,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    match = LAST_LINE.fullmatch(lines[-1])
    assert match is not None, lines[-1]
    assert int(match.group(1)) == 12  # every charge point connected
    assert int(match.group(3)) > 0  # the generator got answers
    assert int(match.group(4)) > 0  # and so did the raw loop
    assert any(line.startswith("(c) 2 shard(s)") for line in lines)
