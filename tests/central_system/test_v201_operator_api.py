"""CSMS-initiated 2.0.1 calls over the operator API and the OCTT trigger convention
(`/api/octt/2.0.1/{station}/{kebab-action}`), to a stock v201 ChargePoint that validates what
it is sent, over real HTTP and websockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from ocpp.routing import on
from ocpp.v201 import call_result
from ocpp.v201.call import NotifyReport
from websockets.exceptions import InvalidStatus

from central_system.handshake import Credentials
from central_system.passwords import ScryptCost
from central_system.server import RunningCentralSystem, running
from tests.central_system.conftest import (
    api_headers,
    make_config,
    stock_charge_point,
    wait_until_connected,
)
from tests.central_system.v201_station import (
    REPLY_TIMEOUT_S,
    StockStation,
    boot_request,
    stock_station,
)

Rows = Callable[..., list[tuple[Any, ...]]]

#: A cheap scrypt: the tests hash passwords, not attackers'.
CHEAP = ScryptCost(n=2**4, r=1, p=1)

COMPONENT = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}


@pytest.fixture
async def central(tmp_path: Path) -> AsyncIterator[RunningCentralSystem]:
    async with running(make_config(tmp_path)) as central_system:
        yield central_system


async def _post(central: RunningCentralSystem, path: str, body: Any) -> tuple[int, Any]:
    assert central.api_url is not None
    async with (
        aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=60), headers=api_headers(central.api_token)
        ) as http,
        http.post(central.api_url + path, json=body) as response,
    ):
        return response.status, await response.json()


async def _get(central: RunningCentralSystem, path: str) -> Any:
    assert central.api_url is not None
    async with (
        aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=60), headers=api_headers(central.api_token)
        ) as http,
        http.get(central.api_url + path) as response,
    ):
        assert response.status == 200
        return await response.json()


#: (kebab action, request payload, the stock station's reply, what it was sent, snake_case)
CALLS = [
    ("request-start-transaction",
     {"idToken": {"idToken": "ACCEPTED1", "type": "ISO14443"}, "remoteStartId": 7, "evseId": 1},
     {"status": "Accepted", "transactionId": "RS-1"},
     ("RequestStartTransaction",
      {"id_token": {"id_token": "ACCEPTED1", "type": "ISO14443"}, "remote_start_id": 7,
       "evse_id": 1})),
    ("request-stop-transaction", {"transactionId": "TX-1"}, {"status": "Rejected"},
     ("RequestStopTransaction", {"transaction_id": "TX-1"})),
    ("reset", {"type": "OnIdle"}, {"status": "Scheduled"}, ("Reset", {"type": "OnIdle"})),
    ("reset", {"type": "Immediate", "evseId": 1}, {"status": "Accepted"},
     ("Reset", {"type": "Immediate", "evse_id": 1})),
    ("change-availability",
     {"operationalStatus": "Inoperative", "evse": {"id": 1, "connectorId": 1}},
     {"status": "Accepted"},
     ("ChangeAvailability",
      {"operational_status": "Inoperative", "evse": {"id": 1, "connector_id": 1}})),
    ("trigger-message", {"requestedMessage": "StatusNotification", "evse": {"id": 1}},
     {"status": "Accepted"},
     ("TriggerMessage", {"requested_message": "StatusNotification", "evse": {"id": 1}})),
    ("unlock-connector", {"evseId": 1, "connectorId": 1}, {"status": "Unlocked"},
     ("UnlockConnector", {"evse_id": 1, "connector_id": 1})),
    ("clear-cache", {}, {"status": "Accepted"}, ("ClearCache", {})),
    ("get-variables", {"getVariableData": [COMPONENT]},
     {"getVariableResult": [{"attributeStatus": "Accepted", "attributeValue": "300", **COMPONENT}]},
     ("GetVariables",
      {"get_variable_data": [{"component": {"name": "OCPPCommCtrlr"},
                              "variable": {"name": "HeartbeatInterval"}}]})),
    ("set-variables", {"setVariableData": [{"attributeValue": "60", **COMPONENT}]},
     {"setVariableResult": [{"attributeStatus": "Rejected", **COMPONENT}]},
     ("SetVariables",
      {"set_variable_data": [{"attribute_value": "60", "component": {"name": "OCPPCommCtrlr"},
                              "variable": {"name": "HeartbeatInterval"}}]})),
    ("get-transaction-status", {"transactionId": "TX-1"},
     {"messagesInQueue": False, "ongoingIndicator": True},
     ("GetTransactionStatus", {"transaction_id": "TX-1"})),
    ("data-transfer", {"vendorId": "com.example", "messageId": "ping"},
     {"status": "Accepted", "data": {"pong": [1, 2]}},
     ("DataTransfer", {"vendor_id": "com.example", "message_id": "ping"})),
]  # fmt: skip


@pytest.mark.parametrize(
    ("action", "payload", "reply", "sent"),
    CALLS,
    ids=[f"{index}-{call[0]}" for index, call in enumerate(CALLS)],
)
async def test_an_octt_201_trigger_reaches_the_station_and_returns_its_reply(
    central: RunningCentralSystem,
    action: str,
    payload: dict[str, Any],
    reply: dict[str, Any],
    sent: tuple[str, dict[str, Any]],
) -> None:
    async with stock_station(central.ws_url, "CS1") as station:
        await wait_until_connected(central, "CS1")
        status, body = await _post(central, f"/api/octt/2.0.1/CS1/{action}", payload)
        assert (status, body) == (200, reply)
        assert station.received == [sent]


async def test_the_operator_call_route_sends_201_actions_by_their_pascal_name(
    central: RunningCentralSystem,
) -> None:
    async with stock_station(central.ws_url, "CS1") as station:
        await wait_until_connected(central, "CS1")
        status, body = await _post(central, "/charge-points/CS1/calls/Reset", {"type": "Immediate"})
    assert (status, body) == (200, {"status": "Accepted"})
    assert station.received == [("Reset", {"type": "Immediate"})]


async def test_get_base_report_brings_the_station_s_notify_report_into_the_store(
    central: RunningCentralSystem, db_rows: Rows
) -> None:
    async with stock_station(central.ws_url, "CS1") as station:
        await wait_until_connected(central, "CS1")
        status, body = await _post(
            central,
            "/api/octt/2.0.1/CS1/get-base-report",
            {"requestId": 5, "reportBase": "FullInventory"},
        )
        assert (status, body) == (200, {"status": "Accepted"})
        await asyncio.wait_for(station.reported.wait(), REPLY_TIMEOUT_S)
    assert db_rows(
        "SELECT request_id, seq_no, tbc, items FROM notify_reports_201 ORDER BY seq_no"
    ) == [(5, 0, 1, 1), (5, 1, 0, 1)]
    assert db_rows(
        "SELECT component_name, evse_id, variable_name, attribute_type, value, mutability,"
        " data_type, unit, request_id FROM device_model_201 ORDER BY component_name"
    ) == [
        ("EVSE", 1, "AvailabilityState", "Actual", "Available", "ReadOnly", "OptionList", None, 5),
        ("OCPPCommCtrlr", 0, "HeartbeatInterval", "Actual", "300", "ReadWrite", "integer", "s", 5),
    ]


async def test_a_payload_failing_the_201_schema_is_refused_with_400_before_sending(
    central: RunningCentralSystem,
) -> None:
    async with stock_station(central.ws_url, "CS1") as station:
        await wait_until_connected(central, "CS1")
        status, body = await _post(central, "/api/octt/2.0.1/CS1/reset", {"type": "Hard"})
    assert status == 400
    assert body["error"].startswith("PropertyConstraintViolation")
    assert station.received == []


async def test_a_16_action_for_a_201_station_is_refused_with_400(
    central: RunningCentralSystem,
) -> None:
    async with stock_station(central.ws_url, "CS1") as station:
        await wait_until_connected(central, "CS1")
        status, body = await _post(
            central, "/charge-points/CS1/calls/RemoteStartTransaction", {"idTag": "ACCEPTED1"}
        )
    assert status == 400
    assert "ocpp2.0.1" in body["error"]
    assert station.received == []


async def test_a_trigger_of_the_other_version_is_refused_with_409(
    central: RunningCentralSystem,
) -> None:
    async with (
        stock_station(central.ws_url, "CS201") as station,
        stock_charge_point(central.ws_url, "CP16") as charge_point,
    ):
        await wait_until_connected(central, "CS201")
        await wait_until_connected(central, "CP16")
        on_201 = await _post(central, "/api/octt/1.6/CS201/reset", {"type": "Soft"})
        on_16 = await _post(central, "/api/octt/2.0.1/CP16/reset", {"type": "Immediate"})
    assert on_201 == (409, {"error": "charge point CS201 speaks ocpp2.0.1"})
    assert on_16 == (409, {"error": "charge point CP16 speaks ocpp1.6"})
    assert station.received == []
    assert charge_point.received == []


async def test_the_201_index_lists_the_kebab_actions_and_the_view_shows_the_subprotocol(
    central: RunningCentralSystem,
) -> None:
    index = await _get(central, "/api/octt/2.0.1")
    assert {"request-start-transaction", "get-base-report", "set-variables"} <= set(
        index["actions"]
    )
    assert "remote-start-transaction" not in index["actions"]
    async with stock_station(central.ws_url, "CS1"):
        await wait_until_connected(central, "CS1")
        view = await _get(central, "/charge-points")
    assert [(cp["id"], cp["subprotocol"]) for cp in view["charge_points"]] == [("CS1", "ocpp2.0.1")]


class _AcceptingStation(StockStation):
    @on("SetVariables")
    def on_set_variables(self, **payload: Any) -> call_result.SetVariables:
        self.received.append(("SetVariables", payload))
        results = [
            {"attribute_status": "Accepted", "component": d["component"], "variable": d["variable"]}
            for d in payload["set_variable_data"]
        ]
        return call_result.SetVariables(set_variable_result=results)


def _basic(station_id: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{station_id}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.mark.parametrize(
    ("station_type", "rotated"),
    [(_AcceptingStation, True), (StockStation, False)],
    ids=["accepted", "rejected"],
)
async def test_an_accepted_basic_auth_password_set_through_set_variables_is_the_new_one(
    tmp_path: Path, station_type: type[StockStation], rotated: bool
) -> None:
    credentials = Credentials.from_passwords(passwords={"CS1": "old-password-1"}, cost=CHEAP)
    config = make_config(tmp_path, credentials=credentials, password_cost=CHEAP)
    new = "new-password-22"
    body = {
        "setVariableData": [
            {
                "attributeValue": new,
                "component": {"name": "SecurityCtrlr"},
                "variable": {"name": "BasicAuthPassword"},
            }
        ]
    }
    async with running(config) as central:
        async with stock_station(
            central.ws_url, "CS1", station_type, additional_headers=_basic("CS1", "old-password-1")
        ):
            await wait_until_connected(central, "CS1")
            status, reply = await _post(central, "/api/octt/2.0.1/CS1/set-variables", body)
        assert status == 200
        assert reply["setVariableResult"][0]["attributeStatus"] == (
            "Accepted" if rotated else "Rejected"
        )
        good, bad = (new, "old-password-1") if rotated else ("old-password-1", new)
        async with stock_station(
            central.ws_url, "CS1", additional_headers=_basic("CS1", good)
        ) as station:
            assert (await station.call(boot_request(), suppress=False)).status == "Accepted"
        with pytest.raises(InvalidStatus) as refused:
            async with stock_station(central.ws_url, "CS1", additional_headers=_basic("CS1", bad)):
                pass
        assert refused.value.response.status_code == 401


async def test_a_get_variables_larger_than_the_station_s_items_per_message_goes_in_parts(
    central: RunningCentralSystem,
) -> None:
    limit = {"component": {"name": "DeviceDataCtrlr"}}
    report = NotifyReport(
        request_id=9,
        generated_at="2026-01-01T00:00:00Z",
        seq_no=0,
        report_data=[
            limit
            | {
                "variable": {"name": "ItemsPerMessage", "instance": "GetVariables"},
                "variable_attribute": [{"type": "Actual", "value": "2", "mutability": "ReadOnly"}],
            }
        ],
    )
    asked = [COMPONENT | {"variable": {"name": name}} for name in ("A", "B", "C")]
    async with stock_station(central.ws_url, "CS1") as station:
        await wait_until_connected(central, "CS1")
        await station.call(report, suppress=False)
        status, body = await _post(
            central, "/api/octt/2.0.1/CS1/get-variables", {"getVariableData": asked}
        )
    assert status == 200
    assert [r["variable"]["name"] for r in body["getVariableResult"]] == ["A", "B", "C"]
    sizes = [len(payload["get_variable_data"]) for _, payload in station.received]
    assert sizes == [2, 1]
