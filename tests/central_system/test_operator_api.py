"""Central-system-initiated calls through the operator HTTP API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from central_system.server import RunningCentralSystem
from tests.central_system.conftest import (
    raw_client,
    stock_charge_point,
    wait_until_connected,
)

OPERATOR_CALLS = [
    ("RemoteStartTransaction", {"idTag": "ACCEPTED1", "connectorId": 1}, {"status": "Accepted"}),
    ("RemoteStopTransaction", {"transactionId": 7}, {"status": "Rejected"}),
    ("Reset", {"type": "Soft"}, {"status": "Accepted"}),
    ("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}, {"status": "Scheduled"}),
    (
        "GetConfiguration",
        {"key": ["HeartbeatInterval", "Nope"]},
        {
            "configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}],
            "unknownKey": ["Nope"],
        },
    ),
    ("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"}, {"status": "Accepted"}),
    ("TriggerMessage", {"requestedMessage": "StatusNotification"}, {"status": "Accepted"}),
    ("UnlockConnector", {"connectorId": 1}, {"status": "Unlocked"}),
    ("ClearCache", {}, {"status": "Accepted"}),
    (
        "DataTransfer",
        {"vendorId": "org.chargenet", "data": "ping"},
        {"status": "Accepted", "data": "pong"},
    ),
]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


async def _post(
    http: aiohttp.ClientSession, api_url: str, path: str, body: Any = None, **query: str
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body) if not isinstance(body, str) else body
    async with http.post(api_url + path, data=data, params=query) as response:
        return response.status, await response.json()


@pytest.mark.parametrize(
    ("action", "payload", "expected"), OPERATOR_CALLS, ids=lambda v: str(v)[:24]
)
async def test_an_operator_call_reaches_a_stock_charge_point_and_returns_its_reply(
    central_system: RunningCentralSystem,
    http: aiohttp.ClientSession,
    action: str,
    payload: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    assert central_system.api_url is not None
    async with stock_charge_point(central_system.ws_url, "STOCK1") as cp:
        await wait_until_connected(central_system, "STOCK1")
        status, reply = await _post(
            http, central_system.api_url, f"/charge-points/STOCK1/calls/{action}", payload
        )
    assert (status, reply) == (200, expected)
    assert cp.received[0][0] == action


async def test_health_and_the_list_of_connected_charge_points_with_their_last_status(
    central_system: RunningCentralSystem, http: aiohttp.ClientSession
) -> None:
    api = central_system.api_url
    async with raw_client(central_system.ws_url, "CP1") as client:
        await client.call(
            "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Charging"}
        )
        async with http.get(f"{api}/health") as response:
            assert await response.json() == {"status": "ok", "connected": 1}
        async with http.get(f"{api}/charge-points") as response:
            listing = await response.json()
    [charge_point] = listing["charge_points"]
    assert charge_point["id"] == "CP1"
    assert charge_point["subprotocol"] == "ocpp1.6"
    assert charge_point["last_status"]["1"]["status"] == "Charging"


@pytest.mark.parametrize(
    ("path", "body", "query", "status", "needle"),
    [
        ("/charge-points/GHOST/calls/Reset", {"type": "Soft"}, {}, 404, "not connected"),
        ("/charge-points/CP1/calls/Reset", {"type": "Gentle"}, {}, 400, "PropertyConstraint"),
        ("/charge-points/CP1/calls/Reset", {}, {}, 400, "OccurenceConstraint"),
        ("/charge-points/CP1/calls/Reset", "{nope", {}, 400, "not valid JSON"),
        ("/charge-points/CP1/calls/Reset", [1], {}, 400, "JSON object"),
        ("/charge-points/CP1/calls/BootNotification", {}, {}, 400, "not an action"),
        ("/charge-points/CP1/calls/Reset", {"type": "Soft"}, {"timeout": "1"}, 400, "query"),
        ("/charge-points/CP1/calls/Reset", {"type": "Soft"}, {"timeout_s": "-1"}, 400, "query"),
    ],
)
async def test_a_bad_operator_request_gets_a_one_line_error(
    central_system: RunningCentralSystem,
    http: aiohttp.ClientSession,
    path: str,
    body: Any,
    query: dict[str, str],
    status: int,
    needle: str,
) -> None:
    assert central_system.api_url is not None
    async with raw_client(central_system.ws_url, "CP1"):
        await wait_until_connected(central_system, "CP1")
        got_status, reply = await _post(http, central_system.api_url, path, body, **query)
    assert got_status == status
    assert needle in reply["error"] and "\n" not in reply["error"]


async def test_a_charge_point_that_does_not_answer_gets_504_and_a_late_reply_is_ignored(
    central_system: RunningCentralSystem, http: aiohttp.ClientSession
) -> None:
    assert central_system.api_url is not None
    async with raw_client(central_system.ws_url, "MUTE1") as client:
        await wait_until_connected(central_system, "MUTE1")
        status, reply = await _post(
            http,
            central_system.api_url,
            "/charge-points/MUTE1/calls/Reset",
            {"type": "Soft"},
            timeout_s="0.2",
        )
        assert status == 504 and "did not answer" in reply["error"]
        late = await client.receive()
        await client.ws.send(json.dumps([3, late[1], {"status": "Accepted"}]))
        assert (await client.call("Heartbeat", {}))[0] == 3


async def test_a_callerror_reply_gets_502_with_the_error_code(
    central_system: RunningCentralSystem, http: aiohttp.ClientSession
) -> None:
    assert central_system.api_url is not None
    async with stock_charge_point(central_system.ws_url, "STOCK1"):
        await wait_until_connected(central_system, "STOCK1")
        # The stock charge point has no handler for this one.
        status, reply = await _post(
            http, central_system.api_url, "/charge-points/STOCK1/calls/GetLocalListVersion", {}
        )
    assert status == 502
    assert reply["call_error"]["code"] == "NotImplemented"


async def test_a_reply_that_fails_its_schema_gets_502(
    central_system: RunningCentralSystem, http: aiohttp.ClientSession
) -> None:
    assert central_system.api_url is not None
    async with raw_client(central_system.ws_url, "CP1") as client:
        await wait_until_connected(central_system, "CP1")
        async with asyncio.TaskGroup() as tasks:
            posting = tasks.create_task(
                _post(
                    http, central_system.api_url, "/charge-points/CP1/calls/Reset", {"type": "Hard"}
                )
            )
            request = await client.receive()
            await client.ws.send(json.dumps([3, request[1], {"status": "Maybe"}]))
        status, reply = posting.result()
    assert status == 502 and reply["call_error"]["code"] == "PropertyConstraintViolation"


async def test_two_operator_calls_on_one_connection_are_never_outstanding_together(
    central_system: RunningCentralSystem, http: aiohttp.ClientSession
) -> None:
    assert central_system.api_url is not None
    async with raw_client(central_system.ws_url, "CP1") as client:
        await wait_until_connected(central_system, "CP1")
        async with asyncio.TaskGroup() as tasks:
            calls = [
                tasks.create_task(
                    _post(http, central_system.api_url, "/charge-points/CP1/calls/" + action, body)
                )
                for action, body in (("Reset", {"type": "Soft"}), ("ClearCache", {}))
            ]
            first = await client.receive()
            with pytest.raises(TimeoutError):  # nothing else while the first is unanswered
                await asyncio.wait_for(client.ws.recv(), 0.3)
            await client.ws.send(json.dumps([3, first[1], {"status": "Accepted"}]))
            second = await client.receive()
            assert {first[2], second[2]} == {"Reset", "ClearCache"}
            await client.ws.send(json.dumps([3, second[1], {"status": "Accepted"}]))
    assert [call.result()[0] for call in calls] == [200, 200]


async def test_the_charge_points_own_call_is_answered_while_it_holds_our_call(
    central_system: RunningCentralSystem, http: aiohttp.ClientSession
) -> None:
    assert central_system.api_url is not None
    async with raw_client(central_system.ws_url, "CP1") as client:
        await wait_until_connected(central_system, "CP1")
        async with asyncio.TaskGroup() as tasks:
            posting = tasks.create_task(
                _post(http, central_system.api_url, "/charge-points/CP1/calls/ClearCache", {})
            )
            request = await client.receive()
            assert (await client.call("Heartbeat", {}))[0] == 3
            await client.ws.send(json.dumps([3, request[1], {"status": "Rejected"}]))
        assert posting.result() == (200, {"status": "Rejected"})
