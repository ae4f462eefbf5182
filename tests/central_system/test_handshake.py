"""Who may open a websocket: subprotocol, id rules, allow-list, basic auth, one connection
per id."""

from __future__ import annotations

import asyncio
import base64
import sqlite3
from pathlib import Path
from urllib.parse import quote

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from central_system.handshake import (
    Credentials,
    InvalidChargePointId,
    basic_credentials,
    charge_point_id_from_path,
)
from central_system.server import RunningCentralSystem, running
from tests.central_system.conftest import (
    OCPP16_SUBPROTOCOL,
    make_config,
    raw_client,
    wait_until_connected,
)


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def refused_status(url: str, **connect_options: object) -> int:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, subprotocols=[OCPP16_SUBPROTOCOL], **connect_options):  # type: ignore[arg-type]
            pass
    return refused.value.response.status_code


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/CP1", "CP1"),
        ("/ocpp/CP1", "CP1"),
        ("/ocpp/v16/CP%201?token=x", "CP 1"),
        ("/ocpp/CP%31", "CP1"),
        ("/ocpp/site%201%2F02", "site 1/02"),
        ("/", None),
        ("/ocpp/", None),
    ],
)
def test_the_charge_point_id_is_the_last_path_segment_percent_decoded(
    path: str, expected: str | None
) -> None:
    assert charge_point_id_from_path(path) == expected


@pytest.mark.parametrize(
    "segment",
    ["CP%00", "CP%0A1", "CP%0D", "CP%09", "CP%7F", "CP%FF", "CP%C3", "CP%C3%A9", "x" * 49],
    ids=["NUL", "newline", "CR", "tab", "DEL", "invalid UTF-8", "truncated UTF-8", "non-ASCII",
         "49 characters"],
)  # fmt: skip
def test_an_id_breaking_the_identity_rules_is_invalid(segment: str) -> None:
    with pytest.raises(InvalidChargePointId) as invalid:
        charge_point_id_from_path(f"/ocpp/{segment}")
    assert "\n" not in str(invalid.value)


def test_an_id_of_48_printable_characters_is_valid() -> None:
    identity = "A~!*'()._-:@+=| /" + "x" * 31
    assert charge_point_id_from_path("/" + quote(identity, safe="")) == identity


@pytest.mark.parametrize("segment", ["CP%00", "CP%0A1", "CP%FF", "CP%FE", "CP%C3%A9", "x" * 49])
async def test_a_handshake_with_an_invalid_id_is_refused_with_400_and_stores_nothing(
    tmp_path: Path, segment: str
) -> None:
    async with running(make_config(tmp_path)) as central:
        assert await refused_status(f"{central.ws_url}/{segment}") == 400
        assert len(central.registry) == 0
    with sqlite3.connect(tmp_path / "csms.sqlite") as db:
        assert db.execute("SELECT count(*) FROM charge_points").fetchone() == (0,)


def test_basic_credentials_are_the_username_and_password_of_a_basic_header() -> None:
    assert basic_credentials(basic("CP1", "pa:ss")["Authorization"]) == ("CP1", "pa:ss")
    assert basic_credentials(None) is None
    assert basic_credentials("Basic %%%") is None
    assert basic_credentials("Bearer abc") is None
    no_colon = "Basic " + base64.b64encode(b"CP1").decode()
    assert basic_credentials(no_colon) is None


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
    assert await refused_status(f"{central_system.ws_url}/") == 404


async def test_only_allowed_ids_connect_and_others_get_404(tmp_path: Path) -> None:
    config = make_config(tmp_path, allowed_ids=frozenset({"CP1"}))
    async with running(config) as central:
        async with raw_client(central.ws_url, "CP1") as client:
            assert (await client.boot())["status"] == "Accepted"
        assert await refused_status(f"{central.ws_url}/STRANGER") == 404


SHARED = Credentials.from_passwords("s3cret")
PER_ID = Credentials.from_passwords(passwords={"CP1": "mine"})
BOTH = Credentials.from_passwords("s3cret", {"CP1": "mine"})


@pytest.mark.parametrize(
    ("credentials", "user", "password", "status"),
    [
        (SHARED, "CP1", "s3cret", None),
        (SHARED, "CP1", "wrong", 401),
        (SHARED, None, None, 401),
        (SHARED, "CP2", "s3cret", 401),
        (PER_ID, "CP1", "mine", None),
        (PER_ID, "CP1", "s3cret", 401),
        (BOTH, "CP1", "mine", None),
        (BOTH, "CP1", "s3cret", 401),
    ],
    ids=["right", "wrong", "missing", "other id", "per-id right", "per-id wrong",
         "own wins over shared", "shared refused for an id with its own"],
)  # fmt: skip
async def test_basic_auth_right_connects_and_wrong_or_missing_gets_401(
    tmp_path: Path, credentials: Credentials, user: str | None, password: str | None, status: int
) -> None:
    headers = {} if user is None else basic(user, password or "")
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


async def test_an_id_without_a_password_is_refused_when_others_have_one(tmp_path: Path) -> None:
    async with running(make_config(tmp_path, credentials=PER_ID)) as central:
        assert (
            await refused_status(f"{central.ws_url}/CP2", additional_headers=basic("CP2", "x"))
            == 401
        )


@pytest.mark.parametrize(
    "credentials", [Credentials(), SHARED], ids=["no password", "shared password"]
)
async def test_a_second_connection_for_a_live_charge_point_is_refused_with_409(
    tmp_path: Path, credentials: Credentials
) -> None:
    headers = basic("CP1", "s3cret")
    config = make_config(tmp_path, credentials=credentials)
    async with (
        running(config) as central,
        raw_client(central.ws_url, "CP1", additional_headers=headers) as real,
    ):
        await real.boot()
        session = central.registry.get("CP1")
        status = await refused_status(f"{central.ws_url}/CP1", additional_headers=headers)
        assert status == 409
        # The real one keeps its session, its boot data and its calls.
        assert central.registry.get("CP1") is session
        assert (await real.call("Heartbeat", {}))[0] == 3
    with sqlite3.connect(tmp_path / "csms.sqlite") as db:
        assert db.execute("SELECT vendor, boot_count FROM charge_points").fetchall() == [("Raw", 1)]


async def test_an_unproven_reconnect_replaces_a_half_open_connection_that_misses_its_ping(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path, takeover_probe_timeout_s=0.5)
    async with running(config) as central, raw_client(central.ws_url, "CP1") as old:
        await old.boot()
        old_session = central.registry.get("CP1")
        # The old peer stops reading: it answers neither the probe nor the close.
        old.ws.transport.pause_reading()
        async with raw_client(central.ws_url, "CP1") as new:
            assert (await new.boot())["status"] == "Accepted"
            new_session = central.registry.get("CP1")
            assert new_session is not None
            assert new_session is not old_session
            old.ws.transport.resume_reading()
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(old.ws.recv(), 5)
            assert (await new.call("Heartbeat", {}))[0] == 3
            assert central.registry.get("CP1") is new_session


async def test_a_reconnect_with_its_own_password_replaces_the_old_connection_at_once(
    tmp_path: Path,
) -> None:
    # A probe timeout far beyond the test's timeout: only an immediate replacement passes.
    config = make_config(tmp_path, credentials=PER_ID, takeover_probe_timeout_s=600)
    headers = basic("CP1", "mine")
    async with (
        running(config) as central,
        raw_client(central.ws_url, "CP1", additional_headers=headers) as old,
    ):
        await old.boot()
        old_session = central.registry.get("CP1")
        old.ws.transport.pause_reading()
        async with raw_client(central.ws_url, "CP1", additional_headers=headers) as new:
            assert (await new.boot())["status"] == "Accepted"
            new_session = central.registry.get("CP1")
            assert new_session is not None
            assert new_session is not old_session
            old.ws.transport.resume_reading()
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(old.ws.recv(), 5)
            await wait_until_connected(central, "CP1")
            assert central.registry.get("CP1") is new_session
