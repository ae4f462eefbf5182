"""Central-system-initiated calls through the operator HTTP API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from central_system.server import RunningCentralSystem, running
from tests.central_system.conftest import (
    api_headers,
    make_config,
    raw_client,
    stock_charge_point,
    wait_until_connected,
)

JSON = {"Content-Type": "application/json"}

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
async def http(central_system: RunningCentralSystem) -> AsyncIterator[aiohttp.ClientSession]:
    """A client that sends the central system's API token with every request."""
    async with aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=10), headers=api_headers(central_system.api_token)
    ) as session:
        yield session


async def _post(
    http: aiohttp.ClientSession, api_url: str, path: str, body: Any = None, **query: str
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body) if not isinstance(body, str) else body
    async with http.post(api_url + path, data=data, params=query, headers=JSON) as response:
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
    assert needle in reply["error"]
    assert "\n" not in reply["error"]


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
        assert status == 504
        assert "did not answer" in reply["error"]
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
    assert status == 502
    assert reply["call_error"]["code"] == "PropertyConstraintViolation"


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


# --- who may call: token, Host, Origin, content type ----------------------------------------

EVIL_ORIGIN = {"Origin": "http://evil.example"}
TEXT_PLAIN = {"Content-Type": "text/plain"}


@pytest.mark.parametrize(
    ("headers", "status", "needle"),
    [
        # what a web page can send cross-site without a preflight: refused on its Origin
        ({**EVIL_ORIGIN, **TEXT_PLAIN}, 403, "cross-origin"),
        ({**EVIL_ORIGIN, **TEXT_PLAIN, "with_token": "yes"}, 403, "cross-origin"),
        ({**EVIL_ORIGIN, **JSON, "with_token": "yes"}, 403, "cross-origin"),
        ({"Origin": "null", **JSON, "with_token": "yes"}, 403, "cross-origin"),
        # the right token, but not JSON
        ({**TEXT_PLAIN, "with_token": "yes"}, 415, "application/json"),
        ({"Content-Type": "application/x-www-form-urlencoded", "with_token": "yes"}, 415, "json"),
        # JSON, but no token or a wrong one
        (JSON, 401, "token"),
        ({**JSON, "Authorization": "Bearer not-the-token-at-all"}, 401, "token"),
        ({**JSON, "Authorization": "Basic dXNlcjpwYXNz"}, 401, "token"),
    ],
    ids=lambda v: "-".join(f"{k}={v}" for k, v in v.items()) if isinstance(v, dict) else str(v),
)
async def test_a_refused_operator_request_sends_nothing_to_the_charge_point(
    central_system: RunningCentralSystem, headers: dict[str, str], status: int, needle: str
) -> None:
    assert central_system.api_url is not None
    headers = dict(headers)
    if headers.pop("with_token", None):
        headers.update(api_headers(central_system.api_token))
    remote_start = f"{central_system.api_url}/charge-points/STOCK1/calls/RemoteStartTransaction"
    async with (
        stock_charge_point(central_system.ws_url, "STOCK1") as cp,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as anonymous,
    ):
        await wait_until_connected(central_system, "STOCK1")
        body = json.dumps({"idTag": "ACCEPTED1", "connectorId": 1})
        async with anonymous.post(remote_start, data=body, headers=headers) as response:
            assert response.status == status
            assert needle in (await response.json())["error"]
            if status == 401:
                assert response.headers["WWW-Authenticate"].startswith("Bearer")
        # calls on a connection are serialized: had the refused one been sent, it came first
        async with anonymous.post(
            f"{central_system.api_url}/charge-points/STOCK1/calls/ClearCache",
            headers=api_headers(central_system.api_token),
        ) as response:
            assert response.status == 200
    assert cp.received == [("ClearCache", {})]


@pytest.mark.parametrize(
    "host",
    ["evil.example:{port}", "evil.example", "127.0.0.1.evil.example:{port}", "127.0.0.1:1"],
)
@pytest.mark.parametrize("path", ["/charge-points", "/health"])
async def test_a_request_naming_another_host_is_refused_even_with_the_token(
    central_system: RunningCentralSystem, http: aiohttp.ClientSession, host: str, path: str
) -> None:
    """DNS rebinding: a page on evil.example re-pointed at 127.0.0.1 still says its own Host."""
    assert central_system.api_url is not None
    port = central_system.api_url.rsplit(":", 1)[1]
    async with raw_client(central_system.ws_url, "CP1"):
        await wait_until_connected(central_system, "CP1")
        async with http.get(
            central_system.api_url + path, headers={"Host": host.format(port=port)}
        ) as response:
            assert response.status == 403
            reply = await response.json()
    assert "Host" in reply["error"]
    assert "CP1" not in json.dumps(reply)


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "LocalHost", "[::1]"])
async def test_the_loopback_names_of_the_api_are_accepted_as_host_and_origin(
    central_system: RunningCentralSystem, http: aiohttp.ClientSession, name: str
) -> None:
    assert central_system.api_url is not None
    port = central_system.api_url.rsplit(":", 1)[1]
    headers = {"Host": f"{name}:{port}", "Origin": f"http://{name}:{port}"}
    async with http.get(central_system.api_url + "/health", headers=headers) as response:
        assert (response.status, await response.json()) == (200, {"status": "ok", "connected": 0})


@pytest.mark.parametrize("path", ["/health", "/charge-points"])
async def test_reading_the_api_needs_the_token_too(
    central_system: RunningCentralSystem, path: str
) -> None:
    assert central_system.api_url is not None
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as anonymous,
        anonymous.get(central_system.api_url + path) as response,
    ):
        assert response.status == 401


async def test_each_central_system_gets_its_own_random_token(tmp_path: Path) -> None:
    async with (
        running(make_config(tmp_path, db_path=tmp_path / "a.sqlite")) as first,
        running(make_config(tmp_path, db_path=tmp_path / "b.sqlite")) as second,
    ):
        assert len(first.api_token) >= 40
        assert first.api_token != second.api_token
        assert first.api_token not in repr(make_config(tmp_path))
