"""chargenet's own charge point and the built-in central system: the status notifications it
sends when triggered are answered and stored (they used to get NotSupported)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from central_system.server import running as central_system_running
from tests.central_system.conftest import make_config
from tests.ocpp.helpers import charge_point, running, wait_for


async def test_triggered_firmware_and_diagnostics_statuses_are_stored(tmp_path: Path) -> None:
    config = make_config(tmp_path, api_port=None)
    async with central_system_running(config) as central:
        client, station = charge_point(central.ws_url)
        async with running(client):
            await wait_for(lambda: station.ready_n == 1, "the boot")
            session = central.registry.get("cp-1")
            assert session is not None
            for message in ("FirmwareStatusNotification", "DiagnosticsStatusNotification"):
                trigger = {"requestedMessage": message}
                assert await session.call_payload("TriggerMessage", trigger) == {
                    "status": "Accepted"
                }

            def stored() -> list[tuple[str, str]]:
                with sqlite3.connect(tmp_path / "csms.sqlite") as db:
                    return db.execute(
                        "SELECT action, status FROM firmware_statuses UNION ALL"
                        " SELECT action, status FROM diagnostics_statuses"
                    ).fetchall()

            await wait_for(lambda: len(stored()) == 2, "both statuses stored")
    assert stored() == [
        ("FirmwareStatusNotification", "Idle"),
        ("DiagnosticsStatusNotification", "Idle"),
    ]
