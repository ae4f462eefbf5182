"""central_system.grid: a site's SiteChargingNeeds report is answered only once each port
whose share changed has been sent it as a TxProfile, in the port's own version; stock ocpp
charge points (1.6) and charging stations (2.0.1) are the peers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from ocpp.routing import on
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as call_result201
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from central_system.grid import (
    GRID_PROFILE_ID,
    GridSites,
    Report,
    changed_shares,
    load_grid_sites,
)
from central_system.server import running
from policy.grid import Demand, allocate
from tests.central_system.conftest import (
    OCPP16_SUBPROTOCOL,
    StockChargePoint,
    make_config,
    wait_until_connected,
)
from tests.central_system.v201_station import (
    StockStation,
    boot_request,
    stock_station,
    transaction_event,
)

SITES = {
    "sites": [
        {
            "id": "g",
            "policy": "priority",
            "schedule": [{"fromS": 0, "kw": 100}, {"fromS": 10800, "kw": 250}],
        }
    ]
}


def report(
    period: int, starting: str | None, *needs: tuple[str, int, int], connectors: Any = None
) -> dict[str, Any]:
    """`connectors`: a port's connector by id, where not 1."""
    at = connectors or {}
    return {
        "siteId": "g",
        "period": period,
        "starting": starting,
        "timestamp": "2025-01-06T00:00:00.000Z",
        "needs": [
            {"chargePointId": cp, "connectorId": at.get(cp, 1), "demandW": w, "priority": p}
            for cp, w, p in needs
        ],
    }


class GridChargePoint(StockChargePoint):
    """A stock charge point that accepts every charging profile it is sent."""

    @on(Action.set_charging_profile)
    def on_set_charging_profile(self, **payload: Any) -> call_result.SetChargingProfile:
        self.received.append(("SetChargingProfile", payload))
        return call_result.SetChargingProfile(status="Accepted")


@contextlib.asynccontextmanager
async def grid_charge_point(ws_url: str, charge_point_id: str) -> AsyncIterator[GridChargePoint]:
    async with connect(f"{ws_url}/{charge_point_id}", subprotocols=[OCPP16_SUBPROTOCOL]) as ws:
        charge_point = GridChargePoint(charge_point_id, ws, response_timeout=120)
        serving = asyncio.create_task(charge_point.start())
        try:
            yield charge_point
        finally:
            serving.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await serving


def profiles(charge_point: StockChargePoint) -> list[tuple[int, int]]:
    """(connector, limit W) of every grid TxProfile the charge point received, in order."""
    out = []
    for action, payload in charge_point.received:
        if action == "SetChargingProfile":
            profile = payload["cs_charging_profiles"]
            assert profile["charging_profile_id"] == GRID_PROFILE_ID
            assert profile["charging_profile_purpose"] == "TxProfile"
            schedule = profile["charging_schedule"]
            assert schedule["charging_rate_unit"] == "W"
            periods = schedule["charging_schedule_period"]
            assert len(periods) == 1
            assert periods[0]["start_period"] == 0
            out.append((payload["connector_id"], int(periods[0]["limit"])))
    return out


def test_the_shares_are_the_policys_and_only_changed_ones_and_the_starting_port_are_sent() -> None:
    sites = GridSites.model_validate(SITES).by_id()
    first = Report.model_validate(report(0, "b", ("a", 80_000, 1), ("b", 150_000, 0)))
    shares, changed = changed_shares(first, sites["g"], {})
    demands = [Demand("a", 80_000, 1), Demand("b", 150_000, 0)]
    assert shares == allocate("priority", 100_000, demands) == {"a": 0, "b": 100_000}
    assert [n.charge_point_id for n in changed] == ["a", "b"]
    # a's share unchanged: only the starting port is sent again
    shares, changed = changed_shares(first, sites["g"], {"a": 0, "b": 100_000})
    assert [n.charge_point_id for n in changed] == ["b"]
    later = Report.model_validate(report(1, None, ("a", 80_000, 1), ("b", 150_000, 0)))
    shares, changed = changed_shares(later, sites["g"], {"a": 0, "b": 100_000})
    assert shares == {"a": 80_000, "b": 150_000}
    assert [n.charge_point_id for n in changed] == ["a", "b"]


def test_a_grid_sites_file_that_is_not_one_is_refused_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "grid.json"
    bad.write_text(json.dumps({"sites": [{"id": "g", "schedule": []}]}))
    with pytest.raises(ValueError, match="schedule") as refused:
        load_grid_sites(bad)
    assert "\n" not in str(refused.value)
    done = subprocess.run(
        [
            *(sys.executable, "-m", "central_system", "serve", "--port", "0", "--no-api"),
            *("--db", str(tmp_path / "csms.sqlite"), "--grid-sites", str(bad)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "grid.json" in lines[0]


async def test_a_report_is_answered_after_every_changed_share_reached_its_charge_point(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path, api_port=None, grid_sites=GridSites.model_validate(SITES))
    async with (
        running(config) as central,
        grid_charge_point(central.ws_url, "a") as a,
        grid_charge_point(central.ws_url, "b") as b,
    ):
        await wait_until_connected(central, "a")
        await wait_until_connected(central, "b")

        async def send(body: dict[str, Any]) -> Any:
            request = call.DataTransfer(
                vendor_id="org.chargenet", message_id="SiteChargingNeeds", data=json.dumps(body)
            )
            return await asyncio.wait_for(a.call(request), 120)

        reply = await send(report(0, "b", ("a", 60_000, 1), ("b", 70_000, 1)))
        # answered: both shares are in already, the policy's (equal within the class)
        assert reply.status == "Accepted"
        assert json.loads(reply.data) == {"a": 50_000, "b": 50_000}
        assert profiles(a) == [(1, 50_000)]
        assert profiles(b) == [(1, 50_000)]
        # a leaves: b's share grows to its demand and is sent; the same report again
        # changes no share, and sends nothing
        reply = await send(report(0, None, ("b", 70_000, 1)))
        assert json.loads(reply.data) == {"b": 70_000}
        assert profiles(b) == [(1, 50_000), (1, 70_000)]
        reply = await send(report(0, None, ("b", 70_000, 1)))
        assert profiles(b) == [(1, 50_000), (1, 70_000)]
        assert profiles(a) == [(1, 50_000)]
        unknown = await send({**report(0, None), "siteId": "elsewhere"})
        assert unknown.status == "Rejected"
        assert profiles(b) == [(1, 50_000), (1, 70_000)]


class GridStation(StockStation):
    """A stock 2.0.1 station that accepts every charging profile it is sent."""

    @on("SetChargingProfile")
    def on_set_charging_profile(self, **payload: Any) -> call_result201.SetChargingProfile:
        self.received.append(("SetChargingProfile", payload))
        return call_result201.SetChargingProfile(status="Accepted")


def profiles_201(station: StockStation) -> list[tuple[str, int]]:
    """(transactionId, limit W) of every grid TxProfile the station received, in order."""
    out = []
    for action, payload in station.received:
        if action == "SetChargingProfile":
            assert payload["evse_id"] == 1
            profile = payload["charging_profile"]
            assert profile["id"] == GRID_PROFILE_ID
            assert profile["stack_level"] == 0
            assert profile["charging_profile_purpose"] == "TxProfile"
            assert profile["charging_profile_kind"] == "Relative"
            (schedule,) = profile["charging_schedule"]
            assert schedule["charging_rate_unit"] == "W"
            (period,) = schedule["charging_schedule_period"]
            assert period["start_period"] == 0
            out.append((profile["transaction_id"], int(period["limit"])))
    return out


async def test_a_201_report_sends_each_port_its_share_in_its_version_for_its_transaction(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path, api_port=None, grid_sites=GridSites.model_validate(SITES))
    async with (
        running(config) as central,
        stock_station(central.ws_url, "a", GridStation) as a,
        stock_station(central.ws_url, "b", GridStation) as b,
        grid_charge_point(central.ws_url, "c") as c,
    ):
        # b's car is on its EVSE's second connector, which the report names
        for station, transaction_id, connector in ((a, "TA", 1), (b, "TB", 2)):
            await station.call(boot_request(), suppress=False)
            started = transaction_event(
                "Started",
                transaction_id,
                0,
                0,
                trigger_reason="Authorized",
                evse={"id": 1, "connector_id": connector},
                id_token={"id_token": "ACCEPTED1", "type": "ISO14443"},
            )
            await station.call(started, suppress=False)
        await wait_until_connected(central, "c")

        async def send(body: dict[str, Any]) -> Any:
            request = call201.DataTransfer(
                vendor_id="org.chargenet", message_id="SiteChargingNeeds", data=body
            )
            return await asyncio.wait_for(a.call(request, suppress=False), 120)

        on_2 = {"b": 2}
        reply = await send(report(0, "b", ("a", 60_000, 1), ("b", 70_000, 1), connectors=on_2))
        # answered (2.0.1: the shares as a JSON object) once both are in, each held to the
        # station's running transaction, known from its TransactionEvent Started
        assert reply.status == "Accepted"
        assert reply.data == {"a": 50_000, "b": 50_000}
        assert profiles_201(a) == [("TA", 50_000)]
        assert profiles_201(b) == [("TB", 50_000)]
        # a mixed site: the 1.6 charge point c is sent a 1.6 TxProfile by the same report
        needs = (("a", 60_000, 1), ("b", 70_000, 1), ("c", 30_000, 1))
        reply = await send(report(0, "c", *needs, connectors=on_2))
        assert reply.data == allocate(
            "priority",
            100_000,
            [Demand("a", 60_000, 1), Demand("b", 70_000, 1), Demand("c", 30_000, 1)],
        )
        assert profiles(c) == [(1, reply.data["c"])]
        assert profiles_201(a) == [("TA", 50_000), ("TA", reply.data["a"])]
        # b's transaction ended: no share goes to a station without one, the answer still
        # comes
        ended = transaction_event("Ended", "TB", 1, 5, trigger_reason="EVCommunicationLost")
        await b.call(ended, suppress=False)
        sent_b = len(profiles_201(b))
        reply = await send(report(0, None, ("b", 10_000, 1), connectors=on_2))
        assert reply.status == "Accepted"
        assert len(profiles_201(b)) == sent_b
        unknown = await send({**report(0, None), "siteId": "elsewhere"})
        assert unknown.status == "Rejected"
