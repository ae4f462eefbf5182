"""The OCPP tables in docs/ocpp.md say what the wire sends."""

from __future__ import annotations

import re
from pathlib import Path

from simulator.model.requests import StopReason

OCPP_DOC = Path(__file__).resolve().parent.parent / "docs" / "ocpp.md"


def row(first_cell: str) -> str:
    [line] = [
        line
        for line in OCPP_DOC.read_text(encoding="utf-8").splitlines()
        if line.startswith(f"| {first_cell} |")
    ]
    return line


def test_the_stop_transaction_row_lists_every_stop_reason_the_model_sends() -> None:
    listed = re.search(r"stop reason \(([^)]*)\)", row("StopTransaction"))
    assert listed is not None
    assert set(listed.group(1).split(", ")) == {r.value for r in StopReason}


def test_unlock_connector_is_documented_with_the_reason_it_stops_with() -> None:
    unlock = row("UnlockConnector")
    assert f"reason {StopReason.UNLOCK_COMMAND.value}" in unlock
    assert "Remote" not in unlock
