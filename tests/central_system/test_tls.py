"""Security profiles 2 (TLS, server certificate) and 3 (client certificates bound to the id),
with certificates the tests make."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from central_system.config import CentralSystemConfig
from central_system.handshake import Credentials
from central_system.server import running
from central_system.tls import TlsError, TlsSettings, server_context
from tests.central_system.certificates import (
    Authority,
    Issued,
    client_context,
    issue,
    make_authority,
)
from tests.central_system.conftest import make_config, raw_client
from tests.central_system.test_handshake import basic


@dataclasses.dataclass(frozen=True)
class Pki:
    ca: Authority
    other_ca: Authority
    server: Issued
    directory: Path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pki]:
    directory = tmp_path_factory.mktemp("pki")
    ca = make_authority(directory, "chargenet-test-ca")
    other_ca = make_authority(directory, "someone-elses-ca")
    return Pki(ca, other_ca, issue(ca, directory, "127.0.0.1", server=True), directory)


def profile(
    tmp_path: Path, pki: Pki, *, client_ca: bool, **overrides: object
) -> CentralSystemConfig:
    tls = TlsSettings(pki.server.cert_file, pki.server.key_file,
                      pki.ca.cert_file if client_ca else None)  # fmt: skip
    return make_config(tmp_path, tls=tls, **overrides)


def stored_charge_points(tmp_path: Path) -> list[tuple[str]]:
    with sqlite3.connect(tmp_path / "csms.sqlite") as db:
        return db.execute("SELECT id FROM charge_points").fetchall()


def test_the_server_speaks_tls_1_2_at_least(pki: Pki) -> None:
    context = server_context(TlsSettings(pki.server.cert_file, pki.server.key_file))
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2


async def test_profile_2_serves_wss_to_a_charge_point_that_trusts_its_ca(
    tmp_path: Path, pki: Pki
) -> None:
    credentials = Credentials.from_passwords(passwords={"CP1": "pw"})
    async with running(profile(tmp_path, pki, client_ca=False, credentials=credentials)) as central:
        assert central.ws_url.startswith("wss://127.0.0.1:")
        context = client_context(pki.ca.cert_file)
        headers = basic("CP1", "pw")
        async with raw_client(central.ws_url, "CP1", ssl=context, additional_headers=headers) as cp:
            assert (await cp.boot())["status"] == "Accepted"
            assert cp.ws.transport.get_extra_info("ssl_object").version() in ("TLSv1.2", "TLSv1.3")
        # Profile 2 is basic auth over TLS: the password is still required.
        with pytest.raises(InvalidStatus) as refused:
            async with raw_client(central.ws_url, "CP1", ssl=context):
                pass
        assert refused.value.response.status_code == 401


async def test_profile_2_is_refused_by_a_charge_point_that_trusts_another_ca(
    tmp_path: Path, pki: Pki
) -> None:
    async with running(profile(tmp_path, pki, client_ca=False)) as central:
        with pytest.raises(ssl.SSLCertVerificationError):
            async with raw_client(
                central.ws_url, "CP1", ssl=client_context(pki.other_ca.cert_file)
            ):
                pass


async def test_profile_3_lets_in_a_charge_point_whose_certificate_names_its_id(
    tmp_path: Path, pki: Pki
) -> None:
    client = issue(pki.ca, pki.directory, "CP1")
    async with running(profile(tmp_path, pki, client_ca=True)) as central:
        context = client_context(pki.ca.cert_file, client)
        async with raw_client(central.ws_url, "CP1", ssl=context) as cp:
            assert (await cp.boot())["status"] == "Accepted"
            assert central.registry.get("CP1") is not None


@pytest.mark.parametrize("case", ["wrong CA", "no client certificate", "expired"])
async def test_profile_3_refuses_a_client_certificate_that_does_not_verify(
    tmp_path: Path, pki: Pki, case: str
) -> None:
    client = {
        "wrong CA": lambda: issue(pki.other_ca, pki.directory, "CP1", file_name="CP1-other-ca"),
        "no client certificate": lambda: None,
        "expired": lambda: issue(pki.ca, pki.directory, "CP1", expired=True, file_name="CP1-old"),
    }[case]()
    async with running(profile(tmp_path, pki, client_ca=True)) as central:
        context = client_context(pki.ca.cert_file, client)
        # TLS 1.3 checks the client's certificate after the client's half of the handshake:
        # the refusal arrives as an alert or a closed connection during the upgrade.
        with pytest.raises((ssl.SSLError, OSError, InvalidHandshake)):
            async with raw_client(central.ws_url, "CP1", ssl=context) as cp:
                await cp.boot()
        assert central.registry.get("CP1") is None
    assert stored_charge_points(tmp_path) == []


async def test_profile_3_refuses_with_403_a_certificate_that_names_another_id(
    tmp_path: Path, pki: Pki
) -> None:
    client = issue(pki.ca, pki.directory, "CP2")
    async with running(profile(tmp_path, pki, client_ca=True)) as central:
        context = client_context(pki.ca.cert_file, client)
        with pytest.raises(InvalidStatus) as refused:
            async with raw_client(central.ws_url, "CP1", ssl=context):
                pass
        assert refused.value.response.status_code == 403
        async with raw_client(central.ws_url, "CP2", ssl=context) as cp:
            assert (await cp.boot())["status"] == "Accepted"
    assert stored_charge_points(tmp_path) == [("CP2",)]


async def test_a_certified_reconnect_replaces_the_old_connection_at_once(
    tmp_path: Path, pki: Pki
) -> None:
    client = issue(pki.ca, pki.directory, "CP1", file_name="CP1-reconnect")
    config = profile(tmp_path, pki, client_ca=True, takeover_probe_timeout_s=600)
    async with running(config) as central:
        context = client_context(pki.ca.cert_file, client)
        async with raw_client(central.ws_url, "CP1", ssl=context) as old:
            await old.boot()
            old.ws.transport.pause_reading()
            async with raw_client(central.ws_url, "CP1", ssl=context) as new:
                assert (await new.boot())["status"] == "Accepted"
                old.ws.transport.resume_reading()
                with pytest.raises(ConnectionClosed):
                    await asyncio.wait_for(old.ws.recv(), 5)
                assert (await new.call("Heartbeat", {}))[0] == 3


def test_unusable_tls_files_are_one_line_errors(tmp_path: Path, pki: Pki) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    for settings, flag in [
        (TlsSettings(garbage, pki.server.key_file), "--tls-cert"),
        (TlsSettings(pki.server.cert_file, tmp_path / "missing.key"), "--tls-cert"),
        (TlsSettings(pki.server.cert_file, pki.server.key_file, garbage), "--client-ca"),
    ]:
        with pytest.raises(TlsError) as error:
            server_context(settings)
        assert str(error.value).startswith(flag)
        assert "\n" not in str(error.value)
