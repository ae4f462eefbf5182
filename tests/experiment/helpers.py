"""Scenarios for the experiment tests: the shipped Erlang C case and the shared region."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
ERLANG_C = SCENARIOS / "validation" / "erlang_c.toml"
ERLANG_C_UTILIZATION = 0.75
ERLANG_C_P_WAIT = 0.5094
FAILING_NAME = "fails on seed {seed}"
"""A scenario of this name fails on the test cluster's workers when run with that seed
(tests/experiment/faults.py)."""


def data(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def write_toml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def renamed(source: Path, name: str, folder: Path) -> Path:
    """A copy of a scenario file under another name (the first `name = ...` line)."""
    lines = source.read_text(encoding="utf-8").splitlines()
    out = [f"name = {name!r}" if line.startswith("name = ") else line for line in lines]
    target = folder / f"{name.replace(' ', '_')}.toml"
    target.write_text("\n".join(out) + "\n", encoding="utf-8")
    return target
