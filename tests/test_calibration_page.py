"""docs/calibration.md cannot drift: its check command's output is recomputed here, and its
table names every shipped scenario the calibration script measures."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "calibration.md"


def calibration_script() -> ModuleType:
    script = ROOT / "scripts" / "calibration.py"
    spec = importlib.util.spec_from_file_location("calibration", script)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_block() -> tuple[list[str], list[str]]:
    """The page's check: the command's arguments and the lines it prints."""
    text = PAGE.read_text(encoding="utf-8")
    found = re.search(
        r"<!-- check -->\n```\n\$ python scripts/calibration\.py (.*?)\n(.*?)```", text, re.S
    )
    assert found is not None, "docs/calibration.md has no check block"
    return found.group(1).split(), found.group(2).strip().splitlines()


def test_the_pages_check_command_prints_what_the_page_says(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    args, printed = check_block()
    assert calibration_script().main(args) == 0
    assert capsys.readouterr().out.strip().splitlines() == printed


def test_the_table_names_every_scenario_the_script_measures() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for path in calibration_script().SHARED_REGION:
        assert f"`{Path(path).name}`" in text, path
