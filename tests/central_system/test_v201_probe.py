"""A station that first opens a short `ocpp1.6` probe connection, then its real `ocpp2.0.1`
session under the same id, is served as a 2.0.1 station; a connection that has sent messages
still keeps its id against an unproven newcomer of either version."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from central_system.server import running
from tests.central_system.conftest import OCPP16_SUBPROTOCOL, make_config, raw_client
from tests.central_system.v201_station import (
    OCPP201_SUBPROTOCOL,
    boot_request,
    session_events,
    stock_station,
)

Rows = Callable[..., list[tuple[Any, ...]]]


async def test_a_closed_16_probe_then_a_201_session_is_served_as_201(
    tmp_path: Path, db_rows: Rows
) -> None:
    async with running(make_config(tmp_path)) as central:
        async with connect(f"{central.ws_url}/CS1", subprotocols=[OCPP16_SUBPROTOCOL]) as probe:
            assert probe.subprotocol == "ocpp1.6"
        async with stock_station(central.ws_url, "CS1") as station:
            assert (await station.call(boot_request(), suppress=False)).status == "Accepted"
            for event in session_events("TX-1"):
                await station.call(event, suppress=False)
            session = central.registry.get("CS1")
            assert session is not None
            assert session.wire_version == "ocpp2.0.1"
    assert db_rows("SELECT id, vendor, boot_count FROM charge_points") == [("CS1", "OCA", 1)]
    assert db_rows(
        "SELECT transaction_id, event_count, ended_at IS NOT NULL FROM transactions_201"
    ) == [("TX-1", 5, 1)]


async def test_a_silent_16_probe_left_open_is_replaced_at_once_by_the_201_session(
    tmp_path: Path,
) -> None:
    # A ping probe that would outlast the test: only the silent-probe rule lets it in.
    config = make_config(tmp_path, takeover_probe_timeout_s=600)
    async with (
        running(config) as central,
        connect(f"{central.ws_url}/CS1", subprotocols=[OCPP16_SUBPROTOCOL]) as probe,
    ):
        async with asyncio.timeout(30):
            while central.registry.get("CS1") is None:
                await asyncio.sleep(0.01)
        async with stock_station(central.ws_url, "CS1") as station:
            assert (await station.call(boot_request(), suppress=False)).status == "Accepted"
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(probe.recv(), 30)
            session = central.registry.get("CS1")
            assert session is not None
            assert session.wire_version == "ocpp2.0.1"


@pytest.mark.parametrize(
    ("first", "second"),
    [(OCPP16_SUBPROTOCOL, OCPP201_SUBPROTOCOL), (OCPP201_SUBPROTOCOL, OCPP16_SUBPROTOCOL)],
    ids=["1.6 then 2.0.1", "2.0.1 then 1.6"],
)
async def test_a_live_connection_that_has_spoken_keeps_its_id_against_the_other_version(
    tmp_path: Path, first: Any, second: Any
) -> None:
    async with (
        running(make_config(tmp_path)) as central,
        raw_client(central.ws_url, "CS1", subprotocols=[first]) as live,
    ):
        assert (await live.call("Heartbeat", {}))[0] == 3
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"{central.ws_url}/CS1", subprotocols=[second]):
                pass
        assert refused.value.response.status_code == 409
        assert (await live.call("Heartbeat", {}))[0] == 3
