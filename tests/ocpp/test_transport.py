"""Opening a charge point's websocket: URLs, back-off, and one-line causes of failure."""

from __future__ import annotations

import random
import shutil
import socket
import ssl
import subprocess
from pathlib import Path

import pytest
from websockets.asyncio.server import ServerConnection, serve

from simulator.ocpp.builtin_csms import BuiltinCsms
from simulator.ocpp.transport import (
    BackendError,
    Backoff,
    TransportConfig,
    open_connection,
    security_profile,
    ssl_context,
)
from tests.central_system.certificates import client_context, issue, make_authority
from tests.ocpp.helpers import answer_everything, charge_point, running, scripted_csms, wait_for


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_a_charge_point_connects_to_the_url_and_its_quoted_id() -> None:
    config = TransportConfig("ws://127.0.0.1:9000/ocpp/")
    assert config.url_for("site 1/02") == "ws://127.0.0.1:9000/ocpp/site%201%2F02"


def test_a_url_template_puts_the_quoted_id_where_it_says_id() -> None:
    config = TransportConfig("ws://127.0.0.1:9000/ws/ocpp/{id}/")
    assert config.url_for("site 1/02") == "ws://127.0.0.1:9000/ws/ocpp/site%201%2F02/"


def test_a_query_string_is_kept_with_or_without_a_template() -> None:
    template = TransportConfig("ws://127.0.0.1:9000/ocpp/{id}?token=x&v=1")
    assert template.url_for("cp 1") == "ws://127.0.0.1:9000/ocpp/cp%201?token=x&v=1"
    appended = TransportConfig("ws://127.0.0.1:9000/ocpp/?token=x")
    assert appended.url_for("cp-1") == "ws://127.0.0.1:9000/ocpp/cp-1?token=x"
    bare = TransportConfig("ws://127.0.0.1:9000")
    assert bare.url_for("cp-1") == "ws://127.0.0.1:9000/cp-1"


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("{base}/ws/ocpp/{{id}}/", "/ws/ocpp/site%201%2F02/"),
        ("{base}/ocpp/{{id}}?token=x", "/ocpp/site%201%2F02?token=x"),
        ("{base}/ocpp/?token=x", "/ocpp/site%201%2F02?token=x"),
        ("{base}/ocpp", "/ocpp/site%201%2F02"),
    ],
)
async def test_a_real_server_receives_the_path_and_query_the_url_asks_for(
    url: str, path: str
) -> None:
    received: list[str] = []

    async def handler(ws: ServerConnection) -> None:
        assert ws.request is not None
        received.append(ws.request.path)
        await ws.wait_closed()

    async with serve(handler, "127.0.0.1", 0, subprotocols=["ocpp1.6"]) as server:  # type: ignore[list-item]
        base = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        ws = await open_connection("site 1/02", TransportConfig(url.format(base=base)))
        await ws.close()
    assert received == [path]


def test_back_off_doubles_with_jitter_up_to_the_cap_and_starts_over_after_a_reset() -> None:
    backoff = Backoff(0.5, 4.0, random.Random(1))
    delays = [backoff.next_delay_s() for _ in range(8)]
    caps = [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0, 4.0]
    assert all(cap / 2 <= d <= cap for d, cap in zip(delays, caps, strict=True))
    backoff.reset()
    assert backoff.next_delay_s() <= 0.5


async def test_an_unreachable_backend_is_named_in_one_line() -> None:
    url = f"ws://127.0.0.1:{closed_port()}"
    with pytest.raises(
        BackendError, match=r"^cannot reach the central system at .*: connection refused$"
    ):
        await open_connection("cp-1", TransportConfig(url))


async def test_a_url_that_is_not_a_websocket_url_is_refused() -> None:
    with pytest.raises(BackendError, match="is not a ws:// or wss:// URL"):
        await open_connection("cp-1", TransportConfig("http://127.0.0.1:1"))


async def test_a_backend_without_the_subprotocol_is_refused() -> None:
    async def handler(_: object) -> None:
        return None

    async with serve(handler, "127.0.0.1", 0) as server:
        url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        with pytest.raises(BackendError, match=r"did not accept the subprotocol ocpp1\.6"):
            await open_connection("cp-1", TransportConfig(url))


async def test_wrong_credentials_and_a_refused_handshake_are_told_apart() -> None:
    async with BuiltinCsms(password="secret") as csms:
        good = await open_connection("cp-1", TransportConfig(csms.ws_url, password="secret"))
        await good.close()
        with pytest.raises(
            BackendError, match=r"refused the credentials of charge point cp-1 \(HTTP 401\)"
        ):
            await open_connection("cp-1", TransportConfig(csms.ws_url, password="guess"))
        with pytest.raises(BackendError, match="HTTP 401"):
            await open_connection("cp-1", TransportConfig(csms.ws_url))
        with pytest.raises(
            BackendError, match=r"refused the handshake of charge point  \(HTTP 404"
        ):
            await open_connection("", TransportConfig(csms.ws_url, password="secret"))


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA), made with the openssl tool."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl tool to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


async def test_a_wss_backend_is_verified_against_the_given_ca(
    certificate: tuple[Path, Path],
) -> None:
    cert, key = certificate
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    async with scripted_csms(answer_everything, tls) as csms:
        client, station = charge_point(csms.url, ssl_context=ssl_context(cert))
        async with running(client):
            await wait_for(lambda: station.ready_n == 1, "the boot over TLS")
        with pytest.raises(BackendError, match=r"^TLS with the central system at wss://.* failed"):
            await open_connection("cp-1", TransportConfig(csms.url))  # not our CA: refused


async def test_the_built_in_central_systems_password_stays_out_of_its_command_line() -> None:
    async with BuiltinCsms(password="not-in-argv-0123") as csms:
        assert csms.process is not None
        command_line = Path(f"/proc/{csms.process.pid}/cmdline").read_bytes()
        assert b"not-in-argv" not in command_line
        good = await open_connection(
            "cp-1", TransportConfig(csms.ws_url, password="not-in-argv-0123")
        )
        await good.close()


async def test_an_inherited_password_does_not_reach_a_built_in_central_system_without_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHARGENET_CSMS_PASSWORD", "inherited")
    async with BuiltinCsms() as csms:
        connection = await open_connection("cp-1", TransportConfig(csms.ws_url))
        await connection.close()


async def test_a_charge_point_with_a_client_certificate_connects_to_the_built_in_profile_3(
    tmp_path: Path,
) -> None:
    ca = make_authority(tmp_path, "ca")
    server = issue(ca, tmp_path, "127.0.0.1", server=True)
    tls_args = ("--tls-cert", str(server.cert_file), "--tls-key", str(server.key_file),
                "--client-ca", str(ca.cert_file))  # fmt: skip
    context = client_context(ca.cert_file, issue(ca, tmp_path, "cp-1"))
    async with BuiltinCsms(extra_args=tls_args) as csms:
        assert csms.ws_url.startswith("wss://")
        connection = await open_connection(
            "cp-1", TransportConfig(csms.ws_url, ssl_context=context)
        )
        await connection.close()
        with pytest.raises(BackendError, match=r"HTTP 403"):
            await open_connection("cp-2", TransportConfig(csms.ws_url, ssl_context=context))


def test_the_security_profile_follows_the_scheme_the_password_and_the_client_certificate() -> None:
    assert security_profile(TransportConfig("ws://127.0.0.1:1")) == 0
    assert security_profile(TransportConfig("ws://127.0.0.1:1", password="pw")) == 1
    assert security_profile(TransportConfig("wss://127.0.0.1:1", password="pw")) == 2
    mtls = TransportConfig("wss://127.0.0.1:1", client_certificate=True)
    assert security_profile(mtls) == 3
