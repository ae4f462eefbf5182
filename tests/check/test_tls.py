"""Security profiles 2 and 3 as checks: the whole catalogue over wss:// with a client
certificate against the built-in central system, and the TLS checks failing where they must."""

from __future__ import annotations

import ssl
from pathlib import Path

from simulator.check.catalogue import catalogue, select
from simulator.check.runner import preflight, provision_tags, run_check, run_checks
from simulator.check.trigger import HttpTrigger
from simulator.check.verdicts import Verdict
from tests.central_system.certificates import issue, make_authority
from tests.check.helpers import PASSWORD, TAGS, builtin_with_trigger, target
from tests.check.mutant_csms import Fault, mutant

CHARGE_POINT_ID = "chargenet-check"
#: The checks that connect as more charge point ids than the run's own.
SECOND_IDS = ("RB_BOOT_BURST", "TC_073_CS", "TC_084_CS")


def _client_contexts(
    ca_file: Path, cert: Path | None = None, key: Path | None = None
) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    with_certificate = ssl.create_default_context(cafile=str(ca_file))
    if cert is not None:
        with_certificate.load_cert_chain(str(cert), str(key))
    return with_certificate, ssl.create_default_context(cafile=str(ca_file))


async def test_the_catalogue_passes_over_mutual_tls_against_the_built_in_central_system(
    tmp_path: Path,
) -> None:
    ca = make_authority(tmp_path, "lab")
    server = issue(ca, tmp_path, "127.0.0.1", server=True)
    client = issue(ca, tmp_path, CHARGE_POINT_ID, server=False)
    with_certificate, without = _client_contexts(ca.cert_file, client.cert_file, client.key_file)
    arguments = ("--tls-cert", str(server.cert_file), "--tls-key", str(server.key_file))
    async with builtin_with_trigger(
        tmp_path, *arguments, "--client-ca", str(ca.cert_file)
    ) as central:
        assert central.ws_url.startswith("wss://")
        token = central.token_file.read_text().strip()
        run_target = target(
            central.ws_url,
            ssl_context=with_certificate,
            ssl_without_client_certificate=without,
            timeout_s=10.0,
            trigger=HttpTrigger(central.api_url, token=token, timeout_s=10.0),
        )
        await preflight(run_target)
        outcomes = await run_checks(await provision_tags(run_target), catalogue())
    verdicts = {o.check_id: (o.verdict, o.expected, o.reason) for o in outcomes}
    # more ids need more certificates: the certificate names only the run's id (the next
    # test runs these over TLS with a password instead)
    for second_id in SECOND_IDS:
        refused = verdicts.pop(second_id)
        assert refused[0] is Verdict.NOT_APPLICABLE, (second_id, refused)
        assert "HTTP 403" in refused[2], (second_id, refused)
    highest = verdicts.pop("TC_083_CS")  # no security profile above 3
    assert highest[0] is Verdict.NOT_APPLICABLE, highest
    pending = verdicts.pop("TC_002_CS")  # no --pending-id: no other id to keep Pending
    assert pending[0] is Verdict.NOT_APPLICABLE, pending
    failed = {k: v for k, v in verdicts.items() if v[0] is not Verdict.PASS}
    assert not failed, failed
    assert {"TC_086_CS", "TC_087_CS"} <= {o.check_id for o in outcomes}


async def test_over_tls_with_a_password_the_checks_of_more_ids_and_profiles_pass(
    tmp_path: Path,
) -> None:
    ca = make_authority(tmp_path, "lab")
    server = issue(ca, tmp_path, "127.0.0.1", server=True)
    arguments = ("--tls-cert", str(server.cert_file), "--tls-key", str(server.key_file))
    async with builtin_with_trigger(tmp_path, *arguments) as central:
        token = central.token_file.read_text().strip()
        run_target = target(
            central.ws_url,
            ssl_context=ssl.create_default_context(cafile=str(ca.cert_file)),
            timeout_s=10.0,
            trigger=HttpTrigger(central.api_url, token=token, timeout_s=10.0),
        )
        checks = select(catalogue(), [*SECOND_IDS, "TC_083_CS", "TC_086_CS"])
        outcomes = await run_checks(await provision_tags(run_target), checks)
    verdicts = {o.check_id: (o.verdict, o.reason) for o in outcomes}
    assert verdicts == {c.id: (Verdict.PASS, "as expected") for c in checks}


async def test_a_server_certificate_from_another_authority_fails_the_profile_2_check(
    tmp_path: Path,
) -> None:
    real, other = make_authority(tmp_path, "real"), make_authority(tmp_path, "other")
    server = issue(real, tmp_path, "127.0.0.1", server=True)
    serving = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    serving.load_cert_chain(str(server.cert_file), str(server.key_file))
    trusting_the_other, _ = _client_contexts(other.cert_file)
    (check,) = select(catalogue(), ["TC_086_CS"])
    async with mutant(Fault.NONE, TAGS, PASSWORD, ssl_context=serving) as central:
        outcome = await run_check(target(central.ws_url, ssl_context=trusting_the_other), check)
    assert outcome.verdict is Verdict.FAIL
    assert "TLS failed" in outcome.reason
    assert "CERTIFICATE_VERIFY_FAILED" in outcome.reason


async def test_a_backend_not_asking_for_client_certificates_fails_the_profile_3_check(
    tmp_path: Path,
) -> None:
    ca = make_authority(tmp_path, "lab")
    server = issue(ca, tmp_path, "127.0.0.1", server=True)
    client = issue(ca, tmp_path, CHARGE_POINT_ID, server=False)
    serving = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)  # no verify_mode: any client gets in
    serving.load_cert_chain(str(server.cert_file), str(server.key_file))
    with_certificate, without = _client_contexts(ca.cert_file, client.cert_file, client.key_file)
    checks = select(catalogue(), ["TC_086_CS", "TC_087_CS"])
    async with mutant(Fault.NONE, TAGS, PASSWORD, ssl_context=serving) as central:
        run_target = target(
            central.ws_url, ssl_context=with_certificate, ssl_without_client_certificate=without
        )
        tls_server, tls_client = [await run_check(run_target, c) for c in checks]
    assert tls_server.verdict is Verdict.PASS
    assert tls_client.verdict is Verdict.FAIL
    assert tls_client.reason == "it was opened and served"


async def test_the_tls_checks_are_not_applicable_on_plain_websockets() -> None:
    checks = select(catalogue(), ["TC_086_CS", "TC_087_CS"])
    async with mutant(Fault.NONE, TAGS, PASSWORD) as central:
        outcomes = [await run_check(target(central.ws_url), c) for c in checks]
    assert [o.verdict for o in outcomes] == [Verdict.NOT_APPLICABLE] * 2
    assert "wss://" in outcomes[0].reason
