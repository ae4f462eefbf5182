"""No command leaves an empty --out folder behind: one that fails before writing anything
removes the folders it created, and never a folder that existed before."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator import cli
from simulator.commands import _common

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "scenarios" / "quickstart.toml"
ERLANG_C = ROOT / "scenarios" / "validation" / "erlang_c.toml"
CLOSED = "127.0.0.1:9"  # the discard port: nothing listens there
EXIT_USAGE = 2

FAILURES = {
    "run": ["run", str(QUICKSTART), "--days", "0.1", "--csms", f"ws://{CLOSED}/ocpp"],
    "load": ["load", f"ws://{CLOSED}/ocpp", "--charge-points", "1", "--duration", "2"],
    "compare": ["compare", str(ERLANG_C), "--scheduler", f"tcp://{CLOSED}"],
    "sweep": ["sweep", str(ERLANG_C), "--vary", "demand=1,2", "--scheduler", f"tcp://{CLOSED}"],
    "resume": ["compare", str(ERLANG_C), "--resume"],
    "report": ["report", "--scenario", str(QUICKSTART), "--csms-db", "no-such-store.db"],
}
"""A failure of each command after its --out folder is made, before anything is written
(report checks its store first: it never makes the folder)."""


@pytest.mark.parametrize("command", FAILURES)
def test_a_failing_command_removes_the_folders_it_created(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "new" / "out"
    assert cli.main([*FAILURES[command], "--out", str(out)]) == EXIT_USAGE
    assert capsys.readouterr().err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["run", "compare"])
def test_a_failing_command_leaves_a_folder_that_existed_before(
    command: str, tmp_path: Path
) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    assert cli.main([*FAILURES[command], "--out", str(out)]) == EXIT_USAGE
    assert out.is_dir()


def test_a_folder_with_anything_in_it_stays(tmp_path: Path) -> None:
    out = _common.prepare_out(tmp_path / "a" / "b")
    (out / "summary.json").write_text("{}")
    _common.remove_empty_outs()
    assert (out / "summary.json").exists()
    empty = _common.prepare_out(tmp_path / "c" / "d")
    _common.remove_empty_outs()
    assert not empty.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]
