"""Security profiles 2 and 3 of the 2.0.1 catalogue: block A over mutual TLS against the
built-in central system passes, and each TLS case fails against the server meant for it (a
certificate of another authority, no client certificate asked, TLS 1.1 taken, a client
certificate of another authority)."""

from __future__ import annotations

import contextlib
import dataclasses
import ssl
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from unittest import mock

import central_system.server
from central_system.tls import TlsSettings, server_context
from ocppj.versions import OCPP201
from simulator.check.catalogue import catalogue, select
from simulator.check.context import Target
from simulator.check.runner import preflight, run_check, run_checks
from simulator.check.verdicts import Verdict
from tests.central_system.certificates import Authority, issue, make_authority
from tests.check.helpers import TIMEOUT_S, target
from tests.check.mutant_csms201 import Fault, mutant201, mutant_sessions

STATION_ID: Final = "chargenet-check"
TLS_CASES: Final = ["TC_A_04_CSMS", "TC_A_06_CSMS", "TC_A_07_CSMS", "TC_A_08_CSMS"]


@dataclass(frozen=True)
class Client:
    """The station's TLS settings with its certificate, the same without, and its files."""

    with_certificate: ssl.SSLContext
    without: ssl.SSLContext
    files: tuple[str, str]


def _client(ca: Authority, tmp_path: Path, *, trusted: Authority | None = None) -> Client:
    """A certificate for STATION_ID issued by `ca`; the server verified with `trusted`
    (default `ca`)."""
    client = issue(ca, tmp_path, STATION_ID, server=False, file_name=f"client-{ca.name}")
    verify = str((trusted or ca).cert_file)
    with_certificate = ssl.create_default_context(cafile=verify)
    with_certificate.load_cert_chain(str(client.cert_file), str(client.key_file))
    files = (str(client.cert_file), str(client.key_file))
    return Client(with_certificate, ssl.create_default_context(cafile=verify), files)


def _tls(ca: Authority, tmp_path: Path, *, client_ca: bool) -> TlsSettings:
    server = issue(ca, tmp_path, "127.0.0.1", server=True)
    return TlsSettings(server.cert_file, server.key_file, ca.cert_file if client_ca else None)


@contextlib.contextmanager
def _taking_tls_1_1() -> Iterator[None]:
    """The built-in's TLS settings, with TLS 1.0 and 1.1 taken (the fault for TC_A_06_CSMS)."""

    def lowered(settings: TlsSettings) -> ssl.SSLContext:
        context = server_context(settings)
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
        return context

    with mock.patch.object(central_system.server, "server_context", lowered):
        yield


def _target(url: str, client: Client) -> Target:
    return target(
        url,
        ssl_context=client.with_certificate,
        ssl_without_client_certificate=client.without,
        client_certificate_files=client.files,
        ocpp_version=OCPP201,
        timeout_s=10.0,
    )


async def test_block_a_passes_over_mutual_tls_against_the_built_in_central_system(
    tmp_path: Path,
) -> None:
    ca = make_authority(tmp_path, "lab")
    client = _client(ca, tmp_path)
    # the password cases (A_09, A_10) need a second station id: a certificate names one
    checks = select(
        catalogue(OCPP201), ["TC_A_01_CSMS", "TC_A_02_CSMS", "TC_A_03_CSMS", *TLS_CASES]
    )
    tls = _tls(ca, tmp_path, client_ca=True)
    with mutant_sessions():
        async with mutant201(tmp_path / "csms", Fault.NONE, timeout_s=TIMEOUT_S, tls=tls) as m:
            assert m.ws_url.startswith("wss://")
            run_target = _target(m.ws_url, client)
            await preflight(run_target)
            outcomes = await run_checks(run_target, checks)
    verdicts = {o.check_id: (o.verdict, o.expected, o.reason) for o in outcomes}
    assert verdicts == {c.id: (Verdict.PASS, "", "as expected") for c in checks}
    assert set(TLS_CASES) <= set(verdicts)


async def test_each_tls_case_fails_against_the_server_meant_for_it(tmp_path: Path) -> None:
    ca, other = make_authority(tmp_path, "lab"), make_authority(tmp_path, "other")
    client = _client(ca, tmp_path)
    trusting_the_other = _client(ca, tmp_path, trusted=other)
    foreign_client = _client(other, tmp_path, trusted=ca)
    cases = {c.id: c for c in select(catalogue(OCPP201), TLS_CASES)}
    mutual, server_only = _tls(ca, tmp_path, client_ca=True), _tls(ca, tmp_path, client_ca=False)

    async def verdict(tls: TlsSettings, case: str, station: Client) -> tuple[str, str]:
        async with mutant201(tmp_path / case, Fault.NONE, timeout_s=TIMEOUT_S, tls=tls) as m:
            outcome = await run_check(_target(m.ws_url, station), cases[case])
        return outcome.verdict.value, outcome.reason

    with mutant_sessions():
        # a server certificate of an authority the station does not trust
        foreign = await verdict(mutual, "TC_A_04_CSMS", trusting_the_other)
        # a station certificate of another authority
        refused = await verdict(mutual, "TC_A_07_CSMS", foreign_client)
        # no client certificate asked for: any station gets in
        unasked = await verdict(server_only, "TC_A_08_CSMS", client)
        with _taking_tls_1_1():
            old = await verdict(mutual, "TC_A_06_CSMS", client)
    assert foreign[0] == "fail", foreign
    assert "CERTIFICATE_VERIFY_FAILED" in foreign[1]
    assert refused[0] == "fail", refused
    assert refused[1].startswith(("TLS failed", "cannot connect", "handshake failed")), refused
    assert unasked == ("fail", "the websocket was opened and served"), unasked
    assert old == ("fail", "it was accepted at TLS 1.0/1.1") or (
        old[0] == "not applicable" and "cannot offer TLS 1.1" in old[1]
    ), old


async def test_the_certificate_renewal_passes_over_mutual_tls_and_no_upgrade_is_past_3(
    tmp_path: Path,
) -> None:
    ca = make_authority(tmp_path, "lab")
    client = _client(ca, tmp_path)
    renewal = ["TC_A_11_CSMS", "TC_A_14_CSMS"]
    checks = select(catalogue(OCPP201), [*renewal, "TC_A_19_CSMS"])
    tls = _tls(ca, tmp_path, client_ca=True)
    with mutant_sessions():
        async with mutant201(tmp_path / "csms", Fault.NONE, timeout_s=TIMEOUT_S, tls=tls) as m:
            run_target = dataclasses.replace(_target(m.ws_url, client), trigger=m.trigger)
            outcomes = await run_checks(run_target, checks)
    verdicts = {o.check_id: (o.verdict, o.reason) for o in outcomes}
    # the station renews the certificate it connects with (its CN: the station id)
    assert {c: verdicts[c] for c in renewal} == {c: (Verdict.PASS, "as expected") for c in renewal}
    upgrade = verdicts["TC_A_19_CSMS"]
    assert upgrade[0] is Verdict.NOT_APPLICABLE, upgrade
    assert "security profile 3" in upgrade[1], upgrade
