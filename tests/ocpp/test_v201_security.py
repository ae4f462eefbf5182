"""Security profiles 1-3 of a 2.0.1 charging station, against the stock `ocpp` v201 central
system (tests/ocpp/stock_csms.py, its own validation on): basic auth over ws://, TLS with a test
CA, mTLS with a client certificate; what SecurityCtrlr reports; the SecurityEventNotifications
the station sends; a new BasicAuthPassword; a wrong password ending the run in one line.

Each test runs the small scenario paced (as test_v201_handlers.py) and cancels it once done.
The certificates are made by the tests (tests/central_system/certificates.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from ocpp.v201 import call

from simulator import cli
from simulator import scenario as sc
from simulator.ocpp.engine import OcppRunOptions, run_ocpp_async
from simulator.ocpp.transport import BackendError, TransportConfig, ssl_context
from tests.central_system.certificates import Authority, issue, make_authority
from tests.ocpp.helpers import wait_for, write_small_scenario
from tests.ocpp.stock_csms import Journal, StockCsms, stock_csms
from tests.ocpp.test_v201_handlers import PACE, WAIT_S, Live, get

PASSWORD = "run-password-0123"
NEW_PASSWORD = "rotated-password-4567"
SECURITY = ("SecurityProfile", "Identity", "OrganizationName", "CertificateEntries")


@contextlib.asynccontextmanager
async def running(
    tmp_path: Path,
    journal: Journal,
    tls: ssl.SSLContext | None = None,
    **options: Any,
) -> AsyncIterator[Live]:
    """The small scenario's stations on 2.0.1 against the stock central system, booted."""
    world = sc.world(sc.load(write_small_scenario(tmp_path, days=1.0)))
    with stock_csms(journal, tls) as csms:
        if "transport" in options:
            options["transport"] = options["transport"](csms)
        run = asyncio.create_task(
            run_ocpp_async(
                world,
                OcppRunOptions(
                    csms_url=csms.url,
                    pace=PACE,
                    versions={n.id: "ocpp2.0.1" for n in world.networks},
                    **options,
                ),
            )
        )
        live = Live(csms, world)
        try:
            await wait_for(
                lambda: len(live.sent("StatusNotification")) >= live.connectors,
                "the station's boot",
                timeout_s=WAIT_S,
            )
            yield live
        finally:
            run.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await run
            assert not csms.journal.call_errors


async def security_variables(live: Live) -> dict[str, str]:
    reply = await live.call(
        call.GetVariables(
            get_variable_data=[
                get("SecurityCtrlr", name) for name in (*SECURITY, "BasicAuthPassword")
            ]
        )
    )
    results = reply.get_variable_result
    assert results[-1]["attribute_status"] == "Rejected"  # WriteOnly
    return {r["variable"]["name"]: r["attribute_value"] for r in results[:-1]}


def event_types(live: Live) -> list[str]:
    return [e["type"] for e in live.sent("SecurityEventNotification")]


def server_tls(
    tmp_path: Path, authority: Authority, *, client_ca: Path | None = None
) -> ssl.SSLContext:
    server = issue(
        authority, tmp_path, "127.0.0.1", server=True, file_name=f"{authority.name}-server"
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(server.cert_file, server.key_file)
    if client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca)
    return context


async def test_profile_1_basic_auth_lets_every_station_in_and_security_ctrlr_says_so(
    tmp_path: Path,
) -> None:
    journal = Journal(heartbeat_interval_s=3600, password=PASSWORD)
    async with running(tmp_path, journal, password=PASSWORD) as live:
        assert await security_variables(live) == {
            "SecurityProfile": "1",
            "Identity": live.station,
            "OrganizationName": "chargenet",
            "CertificateEntries": "0",
        }
        await wait_for(
            lambda: len(journal.of("SecurityEventNotification")) >= len(live.world.ports),
            "every station's startup event",
        )
        assert event_types(live) == ["StartupOfTheDevice"]
    assert journal.refusals == []
    assert {p for _, p in journal.logins} == {PASSWORD}
    assert {s for s, _ in journal.logins} == {p.id for p in live.world.ports}


async def test_a_new_basic_auth_password_reconnects_with_it_and_is_reported(
    tmp_path: Path,
) -> None:
    journal = Journal(heartbeat_interval_s=3600, password=PASSWORD)
    log = tmp_path / "frames.jsonl"
    async with running(tmp_path, journal, password=PASSWORD, message_log=log) as live:
        boots = len(live.sent("BootNotification"))
        too_short = await live.call(
            call.SetVariables(
                set_variable_data=[
                    {**get("SecurityCtrlr", "BasicAuthPassword"), "attribute_value": "short"}
                ]
            )
        )
        assert too_short.set_variable_result[0]["attribute_status"] == "Rejected"
        with journal.lock:
            journal.passwords[live.station] = NEW_PASSWORD  # the CSMS's side of the change
        reply = await live.call(
            call.SetVariables(
                set_variable_data=[
                    {**get("SecurityCtrlr", "BasicAuthPassword"), "attribute_value": NEW_PASSWORD}
                ]
            )
        )
        assert reply.set_variable_result[0]["attribute_status"] == "Accepted"
        event = await live.next_of(
            "SecurityEventNotification",
            0,
            lambda e: e["type"] == "ReconfigurationOfSecurityParameters",
        )
        assert "BasicAuthPassword" in event["techInfo"]
        assert (live.station, NEW_PASSWORD) in journal.logins
        assert journal.refusals == []  # the old password was never tried again
        assert len(live.sent("BootNotification")) == boots  # a reconnect, not a reboot
        # the new connection carries on: calls are answered there
        assert (await security_variables(live))["SecurityProfile"] == "1"
    # the message log shows the SetVariables, not the password
    text = log.read_text(encoding="utf-8")
    assert NEW_PASSWORD not in text
    frames = [json.loads(json.loads(line)["frame"]) for line in text.splitlines()]
    sets = [f[3]["setVariableData"][0] for f in frames if f[0] == 2 and f[2] == "SetVariables"]
    assert [s["attributeValue"] for s in sets] == ["<redacted>", "<redacted>"]


async def test_a_refused_login_is_reported_once_the_station_is_let_in_again(
    tmp_path: Path,
) -> None:
    journal = Journal(heartbeat_interval_s=3600, password=PASSWORD)
    async with running(tmp_path, journal, password=PASSWORD) as live:
        with journal.lock:
            journal.passwords[live.station] = "another-password-89"
        session = live.csms.sessions[live.station]
        assert live.csms.loop is not None
        asyncio.run_coroutine_threadsafe(session._connection.close(), live.csms.loop)
        await wait_for(lambda: (live.station, 401) in journal.refusals, "a refused login")
        with journal.lock:
            del journal.passwords[live.station]
        event = await live.next_of(
            "SecurityEventNotification", 0, lambda e: e["type"] == "FailedToAuthenticateAtCsms"
        )
        assert "HTTP 401" in event["techInfo"]
        assert event_types(live).count("FailedToAuthenticateAtCsms") == 1


async def test_a_wrong_password_ends_the_run_in_one_line(tmp_path: Path) -> None:
    journal = Journal(password=PASSWORD)
    world = sc.world(sc.load(write_small_scenario(tmp_path, days=1.0)))
    with stock_csms(journal) as csms:
        options = OcppRunOptions(
            csms_url=csms.url,
            password="wrong-password-000",
            versions={n.id: "ocpp2.0.1" for n in world.networks},
        )
        with pytest.raises(BackendError) as raised:
            await run_ocpp_async(world, options)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"the central system at {csms.url} refused the credentials")
    assert message.endswith("(HTTP 401)")


def test_a_wrong_password_on_the_command_line_exits_non_zero_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = write_small_scenario(tmp_path, days=1.0)
    password_file = tmp_path / "password"
    password_file.write_text("wrong-password-000\n", encoding="utf-8")
    with stock_csms(Journal(password=PASSWORD)) as csms:
        code = cli.main(
            ["run", str(scenario), "--out", str(tmp_path / "out"), "--quiet", "--ocpp", "2.0.1",
             "--csms", csms.url, "--csms-password-file", str(password_file)]
        )  # fmt: skip
    assert code != 0
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert "refused the credentials of charge point" in lines[0]
    assert "HTTP 401" in lines[0]


async def test_profile_2_tls_with_a_test_ca_and_basic_auth(tmp_path: Path) -> None:
    ca = make_authority(tmp_path, "ca")
    journal = Journal(heartbeat_interval_s=3600, password=PASSWORD)
    tls = server_tls(tmp_path, ca)
    async with running(tmp_path, journal, tls, password=PASSWORD, ca_file=ca.cert_file) as live:
        assert live.csms.url.startswith("wss://")
        assert await security_variables(live) == {
            "SecurityProfile": "2",
            "Identity": live.station,
            "OrganizationName": "chargenet",
            "CertificateEntries": "1",  # the CA it verifies the CSMS with
        }
        await live.next_of("SecurityEventNotification", 0)
        assert event_types(live) == ["StartupOfTheDevice"]
    assert {p for _, p in journal.logins} == {PASSWORD}


async def test_a_csms_certificate_that_does_not_verify_is_reported_on_the_next_connection(
    tmp_path: Path,
) -> None:
    ca, other = make_authority(tmp_path, "ca"), make_authority(tmp_path, "other-ca")
    tls, impostor = server_tls(tmp_path, ca), server_tls(tmp_path, other)
    impostors = [0]  # handshakes served with the other CA's certificate

    def choose(sock: ssl.SSLObject, _name: str | None, _context: ssl.SSLContext) -> None:
        if impostors[0] > 0:
            impostors[0] -= 1
            sock.context = impostor

    tls.sni_callback = choose  # type: ignore[assignment]
    journal = Journal(heartbeat_interval_s=3600)
    async with running(tmp_path, journal, tls, ca_file=ca.cert_file) as live:
        logins = len(journal.logins)
        impostors[0] = 1
        session = live.csms.sessions[live.station]
        assert live.csms.loop is not None
        asyncio.run_coroutine_threadsafe(session._connection.close(), live.csms.loop)
        await wait_for(lambda: impostors[0] == 0, "a handshake with the other certificate")
        event = await live.next_of(
            "SecurityEventNotification", 0, lambda e: e["type"] == "InvalidCsmsCertificate"
        )
        assert "TLS with the central system" in event["techInfo"]
        assert len(journal.logins) > logins  # it came back on the right certificate


async def test_profile_3_mtls_with_a_client_certificate(tmp_path: Path) -> None:
    ca = make_authority(tmp_path, "ca")
    client = issue(ca, tmp_path, "chargenet-fleet")
    tls = server_tls(tmp_path, ca, client_ca=ca.cert_file)

    def transport(csms: StockCsms) -> TransportConfig:
        context = ssl_context(ca.cert_file, client.cert_file, client.key_file)
        return TransportConfig(csms.url, ssl_context=context, client_certificate=True)

    journal = Journal(heartbeat_interval_s=3600)
    async with running(tmp_path, journal, tls, transport=transport) as live:
        assert await security_variables(live) == {
            "SecurityProfile": "3",
            "Identity": live.station,
            "OrganizationName": "chargenet",
            "CertificateEntries": "2",  # the CA, and the station's own certificate
        }
        await live.next_of("SecurityEventNotification", 0)
        assert event_types(live) == ["StartupOfTheDevice"]


async def test_a_station_without_the_client_certificate_profile_3_asks_for_ends_in_one_line(
    tmp_path: Path,
) -> None:
    ca = make_authority(tmp_path, "ca")
    tls = server_tls(tmp_path, ca, client_ca=ca.cert_file)
    world = sc.world(sc.load(write_small_scenario(tmp_path, days=1.0)))
    with stock_csms(Journal(), tls) as csms:
        # TLS 1.3: the server refuses after the handshake, which the station cannot tell from
        # a busy server's close; it retries until the offline limit (small here)
        transport = TransportConfig(
            csms.url, ssl_context=ssl_context(ca.cert_file), offline_limit_s=2.0
        )
        options = OcppRunOptions(
            csms_url=csms.url,
            transport=transport,
            versions={n.id: "ocpp2.0.1" for n in world.networks},
        )
        with pytest.raises(BackendError) as raised:
            await run_ocpp_async(world, options)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("charge point ")
    assert "BootNotification not delivered within 2 s" in message
    assert message.endswith("asks for a client certificate: security profile 3)")
