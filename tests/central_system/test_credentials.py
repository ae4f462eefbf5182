"""Passwords in the central system's book: hashed, rotated by AuthorizationKey, throttled."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from websockets.exceptions import InvalidStatus

from central_system.credentials import CredentialBook
from central_system.handshake import Credentials
from central_system.login_throttle import ThrottlePolicy
from central_system.server import RunningCentralSystem, running
from tests.central_system.conftest import RawClient, api_headers, make_config, raw_client
from tests.central_system.test_handshake import basic

OLD_KEY = "old-key-0123456789abcdef"
NEW_KEY = "new-key-fedcba9876543210"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as session:
        yield session


def book(central: RunningCentralSystem) -> CredentialBook:
    assert central.registry.credentials is not None
    return central.registry.credentials


async def login_status(central: RunningCentralSystem, charge_point_id: str, password: str,
                       source: str = "127.0.0.1") -> int:  # fmt: skip
    """101 when the handshake succeeds, else the refusal's HTTP status."""
    try:
        async with raw_client(
            central.ws_url,
            charge_point_id,
            additional_headers=basic(charge_point_id, password),
            local_addr=(source, 0),
        ):
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code


async def answer_change_configuration(
    client: RawClient, status: str, http_call: asyncio.Task[tuple[int, Any]]
) -> tuple[int, Any]:
    message = await client.receive()
    assert message[0] == 2, message
    assert message[2] == "ChangeConfiguration", message
    await client.ws.send(json.dumps([3, message[1], {"status": status}]))
    return await http_call


async def change_authorization_key(
    http: aiohttp.ClientSession, central: RunningCentralSystem, client: RawClient, status: str
) -> tuple[int, Any]:
    async def post() -> tuple[int, Any]:
        url = f"{central.api_url}/charge-points/CP1/calls/ChangeConfiguration"
        body = json.dumps({"key": "AuthorizationKey", "value": NEW_KEY})
        headers = {**api_headers(central.api_token), "Content-Type": "application/json"}
        async with http.post(url, data=body, headers=headers) as response:
            return response.status, await response.json()

    return await answer_change_configuration(client, status, asyncio.create_task(post()))


async def test_an_accepted_authorization_key_is_the_password_from_then_on_even_after_a_restart(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    config = make_config(
        tmp_path, credentials=Credentials.from_passwords(passwords={"CP1": OLD_KEY})
    )
    async with running(config) as central:
        async with raw_client(
            central.ws_url, "CP1", additional_headers=basic("CP1", OLD_KEY)
        ) as cp:
            await cp.boot()
            assert await change_authorization_key(http, central, cp, "Accepted") == (
                200,
                {"status": "Accepted"},
            )
        # The charge point reconnects with its new key: let in; the old key: refused.
        async with raw_client(
            central.ws_url, "CP1", additional_headers=basic("CP1", NEW_KEY)
        ) as cp:
            assert (await cp.boot())["status"] == "Accepted"
        assert await login_status(central, "CP1", OLD_KEY) == 401
    with sqlite3.connect(tmp_path / "csms.sqlite") as db:
        rows = db.execute("SELECT charge_point_id, password_hash FROM charge_point_credentials")
        [(charge_point_id, stored)] = rows.fetchall()
    assert charge_point_id == "CP1"
    assert stored.startswith("scrypt$")
    assert NEW_KEY not in stored
    # The rotated key outlives the run and supersedes the provisioned password.
    async with running(config) as central:
        assert await login_status(central, "CP1", NEW_KEY) == 101
        assert await login_status(central, "CP1", OLD_KEY) == 401


async def test_a_rejected_authorization_key_changes_nothing(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    config = make_config(
        tmp_path, credentials=Credentials.from_passwords(passwords={"CP1": OLD_KEY})
    )
    async with running(config) as central:
        async with raw_client(
            central.ws_url, "CP1", additional_headers=basic("CP1", OLD_KEY)
        ) as cp:
            await cp.boot()
            assert (await change_authorization_key(http, central, cp, "Rejected"))[0] == 200
        assert await login_status(central, "CP1", OLD_KEY) == 101
        assert await login_status(central, "CP1", NEW_KEY) == 401


async def test_a_rotated_key_makes_an_open_central_system_require_it_for_that_id_only(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    async with running(make_config(tmp_path)) as central:
        async with raw_client(central.ws_url, "CP1") as cp:
            await cp.boot()
            await change_authorization_key(http, central, cp, "Accepted")
        assert await login_status(central, "CP1", NEW_KEY) == 101
        assert await login_status(central, "CP1", "anything") == 401
        async with raw_client(central.ws_url, "CP2") as other:
            assert (await other.boot())["status"] == "Accepted"


async def test_a_failed_login_flood_costs_one_burst_of_hashes_and_the_real_charge_point_gets_in(
    tmp_path: Path,
) -> None:
    # Slow refills: nothing is forgiven during the test, however loaded the machine is.
    policy = ThrottlePolicy(pair_burst=3, pair_refill_s=600, address_burst=8, address_refill_s=600)
    credentials = Credentials.from_passwords(passwords={"CP1": "right", "CP2": "two"})
    config = make_config(tmp_path, credentials=credentials, login_throttle=policy)
    async with running(config) as central:
        assert await login_status(central, "CP1", "right") == 101  # logged in before the flood
        runs_before = book(central).verifications
        statuses = [await login_status(central, "CP1", f"guess{n}") for n in range(40)]
        assert statuses == [401] * 3 + [429] * 37
        assert book(central).verifications - runs_before == 3
        # The charge point that logged in this run is recognised without hashing...
        assert await login_status(central, "CP1", "right") == 101
        # ...one from another address is checked as usual, and so is another id.
        assert await login_status(central, "CP1", "right", source="127.0.0.2") == 101
        assert await login_status(central, "CP2", "two") == 101
        # Spraying ids from one address stops at the address's burst.
        runs_before = book(central).verifications
        statuses = [await login_status(central, f"CP{n}", "guess") for n in range(3, 33)]
        assert statuses.count(401) == 8 - 3
        assert statuses.count(429) == 30 - 5
        assert book(central).verifications - runs_before == 5


async def test_a_throttled_login_says_when_to_retry(tmp_path: Path) -> None:
    policy = ThrottlePolicy(pair_burst=1, pair_refill_s=30)
    credentials = Credentials.from_passwords(passwords={"CP1": "right"})
    async with running(
        make_config(tmp_path, credentials=credentials, login_throttle=policy)
    ) as central:
        assert await login_status(central, "CP1", "wrong") == 401
        with pytest.raises(InvalidStatus) as refused:
            async with raw_client(central.ws_url, "CP1", additional_headers=basic("CP1", "x")):
                pass
    response = refused.value.response
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 30


async def test_provisioned_passwords_are_hashed_once_it_listens_and_their_text_dropped(
    tmp_path: Path,
) -> None:
    credentials = Credentials.from_passwords(passwords={"CP1": "pw-one", "CP2": "pw-two"})
    assert "pw-one" not in repr(credentials)
    async with running(make_config(tmp_path, credentials=credentials)) as central:
        await asyncio.wait_for(book(central).provisioned_hashed.wait(), 60)
        assert book(central).unhashed_count == 0
        assert await login_status(central, "CP2", "pw-two") == 101
        assert await login_status(central, "CP2", "pw-one") == 401
