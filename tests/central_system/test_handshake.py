"""Who may open a websocket: subprotocol, allow-list, basic auth, the id in the path."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from central_system.handshake import Credentials, charge_point_id_from_path, is_authorized
from central_system.server import RunningCentralSystem, running
from tests.central_system.conftest import (
    OCPP16_SUBPROTOCOL,
    make_config,
    raw_client,
    wait_until_connected,
)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/CP1", "CP1"),
        ("/ocpp/CP1", "CP1"),
        ("/ocpp/v16/CP%201?token=x", "CP 1"),
        ("/", None),
        ("/ocpp/", None),
    ],
)
def test_the_charge_point_id_is_the_last_path_segment(path: str, expected: str | None) -> None:
    assert charge_point_id_from_path(path) == expected


def test_basic_auth_needs_the_charge_point_id_as_username_and_its_password() -> None:
    shared = Credentials(shared_password="s3cret")
    assert is_authorized(shared, "CP1", _basic("CP1", "s3cret"))
    assert not is_authorized(shared, "CP1", _basic("CP2", "s3cret"))
    assert not is_authorized(shared, "CP1", _basic("CP1", "wrong"))
    assert not is_authorized(shared, "CP1", None)
    assert not is_authorized(shared, "CP1", "Basic %%%")
    assert not is_authorized(shared, "CP1", "Bearer abc")
    per_id = Credentials(passwords={"CP1": "one"})
    assert is_authorized(per_id, "CP1", _basic("CP1", "one"))
    assert not is_authorized(per_id, "CP2", _basic("CP2", "one"))
    assert is_authorized(Credentials(), "CP1", None)


async def test_offering_bogus_and_ocpp16_gets_ocpp16(central_system: RunningCentralSystem) -> None:
    async with connect(
        f"{central_system.ws_url}/CP1", subprotocols=[Subprotocol("bogus"), OCPP16_SUBPROTOCOL]
    ) as ws:
        assert ws.subprotocol == "ocpp1.6"


@pytest.mark.parametrize("offered", [[Subprotocol("bogus")], None], ids=["only bogus", "none"])
async def test_a_handshake_without_a_supported_subprotocol_is_refused_with_400(
    central_system: RunningCentralSystem, offered: list[Subprotocol] | None
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"{central_system.ws_url}/CP1", subprotocols=offered):
            pass
    assert refused.value.response.status_code == 400


async def test_a_prefixed_path_connects_under_the_last_segment(
    central_system: RunningCentralSystem,
) -> None:
    async with raw_client(f"{central_system.ws_url}/ocpp", "CP9") as client:
        await client.boot()
        assert central_system.registry.get("CP9") is not None


async def test_a_path_without_an_id_is_refused_with_404(
    central_system: RunningCentralSystem,
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"{central_system.ws_url}/", subprotocols=[OCPP16_SUBPROTOCOL]):
            pass
    assert refused.value.response.status_code == 404


async def test_only_allowed_ids_connect_and_others_get_404(tmp_path: Path) -> None:
    config = make_config(tmp_path, allowed_ids=frozenset({"CP1"}))
    async with running(config) as central:
        async with raw_client(central.ws_url, "CP1") as client:
            assert (await client.boot())["status"] == "Accepted"
        with pytest.raises(InvalidStatus) as refused:
            async with raw_client(central.ws_url, "STRANGER"):
                pass
    assert refused.value.response.status_code == 404


@pytest.mark.parametrize(
    ("credentials", "user", "password", "status"),
    [
        (Credentials(shared_password="s3cret"), "CP1", "s3cret", None),
        (Credentials(shared_password="s3cret"), "CP1", "wrong", 401),
        (Credentials(shared_password="s3cret"), None, None, 401),
        (Credentials(shared_password="s3cret"), "CP2", "s3cret", 401),
        (Credentials(passwords={"CP1": "mine"}), "CP1", "mine", None),
        (Credentials(passwords={"CP1": "mine"}), "CP1", "s3cret", 401),
    ],
    ids=["right", "wrong", "missing", "other id", "per-id right", "per-id wrong"],
)
async def test_basic_auth_right_connects_and_wrong_or_missing_gets_401(
    tmp_path: Path, credentials: Credentials, user: str | None, password: str | None, status: int
) -> None:
    headers = {} if user is None else {"Authorization": _basic(user, password or "")}
    async with running(make_config(tmp_path, credentials=credentials)) as central:
        if status is None:
            async with raw_client(central.ws_url, "CP1", additional_headers=headers) as client:
                assert (await client.boot())["status"] == "Accepted"
            return
        with pytest.raises(InvalidStatus) as refused:
            async with raw_client(central.ws_url, "CP1", additional_headers=headers):
                pass
    assert refused.value.response.status_code == status
    assert refused.value.response.headers["WWW-Authenticate"].startswith("Basic")


async def test_a_reconnect_while_the_old_socket_is_half_open_wins(
    central_system: RunningCentralSystem,
) -> None:
    async with raw_client(central_system.ws_url, "CP1") as old:
        await old.boot()
        old_session = central_system.registry.get("CP1")
        # The old peer stops reading: it will never acknowledge the server's close.
        old.ws.transport.pause_reading()
        async with raw_client(central_system.ws_url, "CP1") as new:
            async with asyncio.timeout(0.5):  # served at once, not after the old one's close
                assert (await new.boot())["status"] == "Accepted"
            new_session = central_system.registry.get("CP1")
            assert new_session is not None and new_session is not old_session
            old.ws.transport.resume_reading()
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(old.ws.recv(), 5)
            assert (await new.call("Heartbeat", {}))[0] == 3
            await wait_until_connected(central_system, "CP1")
            assert central_system.registry.get("CP1") is new_session
