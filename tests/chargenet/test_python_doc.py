"""docs/python.md: every code block runs, in order, in one namespace (as a notebook would)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.chargenet.helpers import ROOT

DOC = ROOT / "docs" / "python.md"


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_every_python_block_of_the_python_doc_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)  # the page's paths are relative to the repository
    found = blocks()
    assert len(found) >= 6
    namespace: dict[str, object] = {}
    for block in found:
        exec(compile(block, str(DOC), "exec"), namespace)
    printed = capsys.readouterr().out
    assert "arrivals.multiplier = -1" in printed
    for name in ("networks", "tesla", "totals"):
        frame = namespace[name]
        assert isinstance(frame, pd.DataFrame)
        assert len(frame) > 0, name
    assert set(namespace["tesla"]["kind"]) == {"estimate", "difference"}  # type: ignore[index]
    assert len(namespace["totals"]) == 4  # type: ignore[arg-type]
