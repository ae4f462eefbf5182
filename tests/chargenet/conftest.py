"""The one `chargenet run` both the facade's and the notebook's numbers are held against."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chargenet.helpers import QUICKSTART, chargenet_cli

CLI_DAYS = 2
CLI_SEED = 5


@pytest.fixture(scope="session")
def cli_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`chargenet run quickstart --engine fast --days 2 --seed 5 --export nevi` in a fresh
    process: its --out
    folder (tests/conftest.py keeps its users in one process, which makes it once)."""
    out = tmp_path_factory.mktemp("cli") / "out"
    chargenet_cli(
        "run", str(QUICKSTART), "--engine", "fast", "--days", str(CLI_DAYS),
        "--seed", str(CLI_SEED), "--out", str(out), "--quiet", "--export", "nevi",
    )  # fmt: skip
    return out
