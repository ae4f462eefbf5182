"""The real command line in a fresh process, for the facade's numbers to be held against."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
QUICKSTART = SCENARIOS / "quickstart.toml"
CLI_TIMEOUT_S = 110  # room on a loaded machine, inside pytest-timeout's 120 s


def chargenet_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m simulator ARGS` (what the `chargenet` console script runs); must succeed."""
    done = subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done
