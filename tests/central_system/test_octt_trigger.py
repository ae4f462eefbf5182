"""The OCTT trigger convention on the operator API: a compliance suite makes the central system
send a call, know a tag, or take a password, over real HTTP to a real server."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from ocpp.v201 import call as v201_call
from websockets.exceptions import InvalidStatus

from central_system.passwords import ScryptCost
from central_system.server import RunningCentralSystem, running
from tests.central_system.conftest import (
    api_headers,
    make_config,
    raw_client,
    stock_charge_point,
    wait_until_connected,
)
from tests.central_system.v201_station import boot_request, stock_station

#: A cheap scrypt: the tests hash passwords, not attackers'.
CHEAP = ScryptCost(n=2**4, r=1, p=1)


@pytest.fixture
async def central(tmp_path: Path) -> AsyncIterator[RunningCentralSystem]:
    """No password asked by default: one set through the trigger is then asked of its id."""
    async with running(make_config(tmp_path, password_cost=CHEAP)) as central_system:
        yield central_system


def _basic(charge_point_id: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{charge_point_id}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def _post(
    central: RunningCentralSystem, path: str, body: Any, *, token: str | None = None
) -> tuple[int, Any]:
    assert central.api_url is not None
    headers = api_headers(central.api_token if token is None else token)
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30), headers=headers) as http,
        http.post(central.api_url + path, json=body) as response,
    ):
        return response.status, await response.json()


async def test_a_kebab_action_is_sent_to_the_charge_point_and_its_reply_returned(
    central: RunningCentralSystem,
) -> None:
    async with stock_charge_point(central.ws_url, "OCTT1") as cp:
        await wait_until_connected(central, "OCTT1")
        status, reply = await _post(
            central,
            "/api/octt/1.6/OCTT1/remote-start-transaction",
            {"connectorId": 1, "idTag": "ACCEPTED1"},
        )
    assert (status, reply) == (200, {"status": "Accepted"})
    assert cp.received[0][0] == "RemoteStartTransaction"


async def test_an_unknown_or_charge_point_action_is_404_and_a_bad_payload_400(
    central: RunningCentralSystem,
) -> None:
    async with stock_charge_point(central.ws_url, "OCTT2") as cp:
        await wait_until_connected(central, "OCTT2")
        for action in ("boot-notification", "no-such-action", "RemoteStartTransaction"):
            status, reply = await _post(central, f"/api/octt/1.6/OCTT2/{action}", {})
            assert status == 404, (action, reply)
        status, reply = await _post(central, "/api/octt/1.6/OCTT2/reset", {"type": "Sideways"})
        assert status == 400
        assert "Sideways" in reply["error"] or "type" in reply["error"]
    assert cp.received == []


async def test_the_trigger_needs_the_api_token(central: RunningCentralSystem) -> None:
    status, reply = await _post(
        central, "/api/octt/create-token", {"idTag": "T1"}, token="not-the-token"
    )
    assert status == 401
    assert "token" in reply["error"]


async def test_a_created_token_is_answered_with_its_status_and_parent(
    central: RunningCentralSystem,
) -> None:
    status, reply = await _post(
        central,
        "/api/octt/create-token",
        {"idTag": "OCTT-BLOCKED", "status": "Blocked", "parentIdTag": "OCTT-GROUP"},
    )
    assert (status, reply) == (200, {"idTag": "OCTT-BLOCKED", "status": "Blocked"})
    async with raw_client(central.ws_url, "OCTT3") as client:
        await client.boot()
        answer = await client.call("Authorize", {"idTag": "OCTT-BLOCKED"})
    assert answer[2] == {"idTagInfo": {"status": "Blocked", "parentIdTag": "OCTT-GROUP"}}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"idTag": ""},
        {"idTag": "X" * 37},
        {"idTag": "T", "status": "Maybe"},
        {"idTag": "T", "colour": "red"},
        {"idTag": "T", "expiryDate": "tomorrow"},
        {"idToken": {"idToken": "T", "type": "Barcode"}},
        {"idToken": {"idToken": "T", "type": "NoAuthorization"}},
        {"idToken": {"idToken": "T"}},
        {"idTag": "T", "idToken": {"idToken": "T", "type": "Central"}},
        {"idTag": "T", "parentIdTag": "G" * 21},
    ],
    ids=[
        "missing",
        "empty",
        "too long",
        "bad status",
        "extra field",
        "bad date",
        "not a 2.0.1 type",
        "NoAuthorization",
        "no type",
        "both forms",
        "a 1.6 tag's parent too long for 1.6",
    ],
)
async def test_a_malformed_token_is_refused_with_400_and_not_stored(
    central: RunningCentralSystem, body: dict[str, Any]
) -> None:
    status, reply = await _post(central, "/api/octt/create-token", body)
    assert status == 400, reply
    assert reply["error"]
    assert central.store.find_id_tag("T") is None


async def test_a_36_character_201_id_token_is_provisioned_and_answers_a_201_stations_authorize(
    central: RunningCentralSystem,
) -> None:
    token = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"  # a UUID: 2.0.1's 36 characters
    group = "FLEET-GROUP-TOKEN-OF-30-CHARS"
    body = {
        "idToken": {"idToken": token, "type": "eMAID"},
        "status": "Blocked",
        "groupIdToken": {"idToken": group, "type": "Central"},
    }
    status, reply = await _post(central, "/api/octt/create-token", body)
    assert (status, reply) == (200, {"idTag": token, "status": "Blocked", "type": "eMAID"})
    status, reply = await _post(central, "/api/octt/create-token", {"idTag": "L" * 36})
    assert (status, reply) == (200, {"idTag": "L" * 36, "status": "Accepted"})
    async with stock_station(central.ws_url, "OCTT201") as station:
        assert (await station.call(boot_request())).status == "Accepted"
        answer = await station.call(
            v201_call.Authorize(id_token={"id_token": token, "type": "eMAID"})
        )
    assert answer.id_token_info["status"] == "Blocked"
    assert answer.id_token_info["group_id_token"]["id_token"] == group


async def test_a_set_password_lets_the_new_one_in_and_refuses_the_old_one(
    central: RunningCentralSystem,
) -> None:
    status, reply = await _post(
        central,
        "/api/octt/set-basic-auth-password",
        {"stationId": "OCTT4", "password": "a-new-passw0rd-here"},
    )
    assert (status, reply) == (200, {"stationId": "OCTT4"})
    async with raw_client(
        central.ws_url, "OCTT4", additional_headers=_basic("OCTT4", "a-new-passw0rd-here")
    ) as client:
        assert (await client.boot())["status"] == "Accepted"
    for headers in (_basic("OCTT4", "the-password-before"), {}):
        with pytest.raises(InvalidStatus) as refused:
            async with raw_client(central.ws_url, "OCTT4", additional_headers=headers):
                pass
        assert refused.value.response.status_code == 401


async def test_a_too_short_password_is_refused_and_nothing_changes(
    central: RunningCentralSystem,
) -> None:
    status, reply = await _post(
        central, "/api/octt/set-basic-auth-password", {"stationId": "OCTT5", "password": "short"}
    )
    assert status == 400, reply
    async with raw_client(central.ws_url, "OCTT5") as client:
        assert (await client.boot())["status"] == "Accepted"


async def test_the_index_lists_the_actions_it_serves(central: RunningCentralSystem) -> None:
    assert central.api_url is not None
    async with (
        aiohttp.ClientSession(headers=api_headers(central.api_token)) as http,
        http.get(central.api_url + "/api/octt/1.6") as response,
    ):
        listing = await response.json()
    assert response.status == 200
    assert "remote-start-transaction" in listing["actions"]
    assert "reserve-now" in listing["actions"]
    assert "boot-notification" not in listing["actions"]
