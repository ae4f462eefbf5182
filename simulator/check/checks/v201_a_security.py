"""OCTT 2.0.1 block A, security profiles: basic authentication (profile 1), TLS with the
CSMS's certificate (profile 2) and with the station's own (profile 3); the basic-auth password
(A01), the station's certificate renewed at the CSMS's request (A02) and the profile raised
through a new network connection profile (A05).

The TLS cases need a wss:// URL (and --ca to verify a private CA); profile 3 needs --cert and
--key. Without them they are not applicable, as 1.6's TC_086_CS and TC_087_CS.
"""

from __future__ import annotations

import datetime as dt
import secrets
import ssl
import tempfile
import warnings
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from simulator.check.catalogue import check201
from simulator.check.checks.octt_security import (
    _run_profile,
    _second_id,
    _second_id_usable,
    csr_for,
)
from simulator.check.context import CheckContext
from simulator.check.station import HandshakeRefused
from simulator.check.trigger import TriggerFailed
from simulator.check.verdicts import CheckFailed, NotApplicable


def _needs_password(ctx: CheckContext) -> str:
    if ctx.target.password is None:
        raise NotApplicable("no password given (--password-file or CHARGENET_CSMS_PASSWORD)")
    return ctx.target.password


def _needs_tls(ctx: CheckContext) -> None:
    if not ctx.target.url.startswith("wss://"):
        raise NotApplicable("needs a wss:// URL (security profiles 2 and 3)")


async def _refused(
    ctx: CheckContext, what: str, *, statuses: frozenset[int], **options: object
) -> None:
    """The handshake with `options` is refused (HTTP status in `statuses`, or for TLS any
    refusal); a websocket opened and served fails the check."""
    try:
        async with ctx.connection(retry_conflict=False, **options) as station:  # type: ignore[arg-type]
            await station.still_open()
    except HandshakeRefused as refused:
        ctx.note(f"{what}: {refused.reason}")
        ctx.expect(
            not statuses or refused.status in statuses,
            f"HTTP {' or '.join(map(str, sorted(statuses)))} for {what}",
            refused.reason,
        )
        return
    except CheckFailed:
        if not statuses:
            return  # opened at the TLS level, then closed before serving: refused all the same
        raise CheckFailed(
            f"HTTP {' or '.join(map(str, sorted(statuses)))} for {what}",
            "the websocket was opened (then closed), not refused at the handshake",
        ) from None
    raise CheckFailed(f"the handshake with {what} refused", "the websocket was opened and served")


@check201(
    "TC_A_01_CSMS",
    "Basic authentication: the right station id and password are let in",
    clause="OCPP 2.0.1 A00 security profile 1 (HTTP basic auth; the username is the "
    "station's identity), B01 BootNotification",
    sends="the handshake with Authorization: Basic <id>:<password> offering ocpp2.0.1; "
    "BootNotification",
    expects="101 Switching Protocols with ocpp2.0.1; the boot Accepted",
)
async def basic_auth_valid(ctx: CheckContext) -> None:
    _needs_password(ctx)
    async with ctx.open_or_fail() as station:
        await ctx.boot(station)


@check201(
    "TC_A_02_CSMS",
    "Basic authentication: a username other than the station's identity is refused",
    clause="OCPP 2.0.1 A00 security profile 1 (the username is the station's identity)",
    sends="the handshake to the run's station URL with the right password under another username",
    expects="HTTP 401, no websocket",
)
async def basic_auth_other_username(ctx: CheckContext) -> None:
    _needs_password(ctx)
    other = f"{ctx.charge_point_id}-other"
    await _refused(
        ctx,
        f"username {other!r} on {ctx.charge_point_id!r}'s URL",
        statuses=frozenset({401}),
        username=other,
    )


@check201(
    "TC_A_03_CSMS",
    "Basic authentication: a wrong password is refused",
    clause="OCPP 2.0.1 A00 security profile 1; RFC 7617",
    sends="the handshake with the run's station id and a wrong password",
    expects="HTTP 401, no websocket",
)
async def basic_auth_wrong_password(ctx: CheckContext) -> None:
    password = _needs_password(ctx)
    await _refused(ctx, "a wrong password", statuses=frozenset({401}), password=f"{password}-wrong")


@check201(
    "TC_A_04_CSMS",
    "TLS with a server certificate the station verifies",
    clause="OCPP 2.0.1 A00 security profile 2 (TLS 1.2 or higher; the CSMS's certificate verified)",
    sends="a wss:// handshake verifying the server certificate against --ca (or the system "
    "CAs); BootNotification",
    expects="the TLS handshake verified at TLS 1.2 or higher, 101 with ocpp2.0.1, the boot "
    "Accepted",
)
async def tls_server_certificate(ctx: CheckContext) -> None:
    _needs_tls(ctx)
    async with ctx.open_or_fail() as station:
        ssl_object = station.ws.transport.get_extra_info("ssl_object")
        version = ssl_object.version() if ssl_object is not None else None
        ctx.note(f"TLS version {version}, cipher {ssl_object.cipher() if ssl_object else None}")
        ctx.expect(version in ("TLSv1.2", "TLSv1.3"), "TLS 1.2 or higher", f"TLS version {version}")
        await ctx.boot(station)


#: Our own OpenSSL's refusal to offer TLS 1.1 (then the case cannot be run here).
_CANNOT_OFFER: Final = ("NO_PROTOCOLS_AVAILABLE", "NO_CIPHERS")


def _below_tls_1_2(context: ssl.SSLContext, certificate: tuple[str, str] | None) -> ssl.SSLContext:
    """A client context like `context` (its CAs, the run's client certificate) that offers
    TLS 1.0 and 1.1 only."""
    old = ssl.create_default_context(cadata=_verify_locations(context) or None)
    if certificate is not None:
        old.load_cert_chain(*certificate)
    old.set_ciphers("DEFAULT:@SECLEVEL=0")  # OpenSSL 3 offers nothing below 1.2 otherwise
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the point: an old version
        old.minimum_version = ssl.TLSVersion.TLSv1
        old.maximum_version = ssl.TLSVersion.TLSv1_1
    return old


@check201(
    "TC_A_06_CSMS",
    "TLS: a handshake offering only TLS 1.0 and 1.1 is refused",
    clause="OCPP 2.0.1 A00 security profiles 2 and 3 (TLS 1.2 or higher: a "
    "lower version is refused)",
    sends="a wss:// handshake offering TLS 1.0-1.1 only (the run's CAs and client "
    "certificate: only the version differs from the run's own handshakes)",
    expects="the TLS handshake refused (an alert, or the connection closed), no websocket; "
    "not applicable where this machine's OpenSSL cannot offer TLS 1.1, or with --cert "
    "given to --ocpp 1.6 only",
)
async def tls_version_too_low(ctx: CheckContext) -> None:
    _needs_tls(ctx)
    base = ctx.target.ssl_without_client_certificate or ctx.target.ssl_context
    certificate = ctx.target.client_certificate_files
    if ctx.target.ssl_without_client_certificate is not None and certificate is None:
        raise NotApplicable("the client certificate's files are not known (--cert, --key)")
    old = _below_tls_1_2(base or ssl.create_default_context(), certificate)
    try:
        async with ctx.connection(retry_conflict=False, ssl_context=old) as station:
            await station.still_open()
    except HandshakeRefused as refused:
        if refused.status is None and any(name in refused.reason for name in _CANNOT_OFFER):
            raise NotApplicable(f"this machine cannot offer TLS 1.1: {refused.reason}") from None
        ctx.note(f"below TLS 1.2: {refused.reason or 'refused'}")
        ctx.expect(
            refused.status is None,
            "the TLS handshake refused (no HTTP answer at TLS 1.0/1.1)",
            refused.reason,
        )
        return
    except CheckFailed:
        pass  # served at TLS 1.1, then closed: the version was taken all the same
    raise CheckFailed("a handshake below TLS 1.2 refused", "it was accepted at TLS 1.0/1.1")


@check201(
    "TC_A_07_CSMS",
    "TLS with a client certificate: the station is let in with it",
    clause="OCPP 2.0.1 A00 security profile 3 (the station authenticates with its certificate)",
    sends="a wss:// handshake with --cert/--key; BootNotification",
    expects="101 with ocpp2.0.1; the boot Accepted",
)
async def tls_client_certificate_valid(ctx: CheckContext) -> None:
    _needs_tls(ctx)
    if ctx.target.ssl_without_client_certificate is None:
        raise NotApplicable("no client certificate given (--cert FILE --key FILE)")
    async with ctx.open_or_fail() as station:
        await ctx.boot(station)


def _untrusted_context(base: ssl.SSLContext, common_name: str) -> ssl.SSLContext:
    """`base` (the run's TLS settings without a client certificate) with a self-signed
    certificate for `common_name`: a certificate no CSMS's CA signed."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "chargenet check (untrusted)"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    with tempfile.TemporaryDirectory(prefix="chargenet-check-") as folder:
        cert_path, key_path = Path(folder, "cert.pem"), Path(folder, "key.pem")
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        base.load_cert_chain(str(cert_path), str(key_path))
    return base


@check201(
    "TC_A_08_CSMS",
    "TLS with a client certificate: an untrusted certificate, and none, are refused",
    clause="OCPP 2.0.1 A00 security profile 3 (a certificate the CSMS cannot verify is refused)",
    sends="a wss:// handshake with a fresh self-signed certificate for the station id; one "
    "without a client certificate",
    expects="both refused (a TLS alert, or HTTP 4xx), no websocket served",
)
async def tls_client_certificate_invalid(ctx: CheckContext) -> None:
    _needs_tls(ctx)
    without = ctx.target.ssl_without_client_certificate
    if without is None:
        raise NotApplicable("no client certificate given (--cert FILE --key FILE)")
    # The run's CAs (--ca), else the system's, with a certificate no CA of the CSMS signed.
    untrusted = ssl.create_default_context(cadata=_verify_locations(without) or None)
    _untrusted_context(untrusted, ctx.charge_point_id)
    await _refused(
        ctx, "a self-signed client certificate", statuses=frozenset(), ssl_context=untrusted
    )
    await _refused(ctx, "no client certificate", statuses=frozenset(), ssl_context=without)


def _verify_locations(context: ssl.SSLContext) -> str:
    """The CA certificates `context` verifies the server with (PEM), to build another like it."""
    return "".join(ssl.DER_cert_to_PEM_cert(der) for der in context.get_ca_certs(binary_form=True))


#: The station's basic-auth password in its device model (A01).
BASIC_AUTH_PASSWORD: Final = {
    "component": {"name": "SecurityCtrlr"},
    "variable": {"name": "BasicAuthPassword"},
}


async def _new_password(ctx: CheckContext, *, accepted: bool) -> None:
    """As a second station id (the run's own is never locked out): the backend sets a new
    BasicAuthPassword, answered Accepted or Rejected; then which password lets it in. The
    run's password is set back afterwards (set-basic-auth-password)."""
    trigger = ctx.require_trigger("SetVariables BasicAuthPassword")
    password = _needs_password(ctx)
    station_id = _second_id(ctx, "p")
    await _second_id_usable(ctx, station_id)
    new = secrets.token_hex(16)  # passwordString: 16 to 40 characters
    answer = "Accepted" if accepted else "Rejected"
    reply = {"setVariableResult": [{"attributeStatus": answer} | BASIC_AUTH_PASSWORD]}
    try:
        async with ctx.booted(charge_point_id=station_id) as station:
            await ctx.backend_sends(
                station,
                "SetVariables",
                {"setVariableData": [BASIC_AUTH_PASSWORD | {"attributeValue": new}]},
                reply=reply,
            )
        kept, dropped = (new, password) if accepted else (password, new)
        async with ctx.booted(charge_point_id=station_id, password=kept):
            pass
        await _refused(
            ctx,
            f"the {'old' if accepted else 'rejected new'} password",
            statuses=frozenset({401}),
            charge_point_id=station_id,
            password=dropped,
        )
    finally:
        try:
            await trigger.set_password(station_id, password)
            ctx.note(f"{station_id}: the run's password set back (set-basic-auth-password)")
        except TriggerFailed as failed:
            ctx.note(f"{station_id}: its password not set back: {failed}")


@check201(
    "TC_A_09_CSMS",
    "Update the station's basic-auth password: Accepted, the new one is its password",
    clause="OCPP 2.0.1 A01 Update Charging Station Password for HTTP Basic Authentication "
    "(after an Accepted SetVariables the new password is the station's)",
    sends="as a second station id: answers SetVariables SecurityCtrlr.BasicAuthPassword "
    "Accepted; reconnects with the new password, then tries the old one",
    expects="SetVariablesRequest with the new password; the new one let in (101), the old "
    "one refused (401)",
    backend_initiated=True,
)
async def new_password_accepted(ctx: CheckContext) -> None:
    await _new_password(ctx, accepted=True)


@check201(
    "TC_A_10_CSMS",
    "Update the station's basic-auth password: Rejected, the old one stays",
    clause="OCPP 2.0.1 A01 Update Charging Station Password for HTTP Basic Authentication "
    "(a Rejected attribute is not set: the station keeps its password)",
    sends="as a second station id: answers SetVariables SecurityCtrlr.BasicAuthPassword "
    "Rejected; reconnects with the old password, then tries the new one",
    expects="the old password still let in (101), the rejected new one refused (401)",
    backend_initiated=True,
)
async def new_password_rejected(ctx: CheckContext) -> None:
    await _new_password(ctx, accepted=False)


# -- A02: the station's certificate renewed at the CSMS's request --------------------------

#: TriggerMessage's request for a new ChargingStationCertificate (A02.FR.01).
SIGN_STATION_CERTIFICATE: Final = {"requestedMessage": "SignChargingStationCertificate"}


async def _renewal(ctx: CheckContext, *, accepted: bool) -> None:
    """The backend triggers a renewal; the station sends a fresh CSR in SignCertificate,
    which must be Accepted and followed by a CertificateSigned, answered `accepted` or
    Rejected; the connection is kept either way."""
    ctx.require_trigger("TriggerMessage", SIGN_STATION_CERTIFICATE)
    common_name = ctx.charge_point_id[:64]
    csr, public = csr_for(common_name)
    async with ctx.booted() as station:
        station.replies["CertificateSigned"] = {"status": "Accepted" if accepted else "Rejected"}
        await ctx.backend_sends(station, "TriggerMessage", SIGN_STATION_CERTIFICATE)
        since = station.mark()
        request = {"csr": csr, "certificateType": "ChargingStationCertificate"}
        reply = await ctx.result(station, "SignCertificate", request)
        ctx.expect(
            reply.get("status") == "Accepted",
            "SignCertificateResponse Accepted for a well-formed CSR in the station's name",
            f"status {reply.get('status')!r}",
        )
        call = await station.expect_call("CertificateSigned", since=since)
        if accepted:
            _expect_leaf_for(ctx, call.payload.get("certificateChain", ""), public, common_name)
        await station.still_open()


def _expect_leaf_for(ctx: CheckContext, chain: str, public: bytes, common_name: str) -> None:
    try:
        leaf = x509.load_pem_x509_certificates(chain.encode())[0]
    except (ValueError, IndexError) as exc:
        raise CheckFailed("certificateChain: PEM certificates", str(exc)) from None
    der = leaf.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    ctx.expect(
        der == public, "the chain's first certificate certifies the CSR's key", "another key"
    )
    names = [n.value for n in leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    ctx.expect(names == [common_name], f"subject CN {common_name!r}", leaf.subject.rfc4514_string())


@check201(
    "TC_A_11_CSMS",
    "Update the station's certificate at the CSMS's request: signed and delivered",
    clause="OCPP 2.0.1 A02 Update Charging Station Certificate by request of CSMS "
    "(TriggerMessage SignChargingStationCertificate, SignCertificate, CertificateSigned), "
    "F06 TriggerMessage",
    sends="answers TriggerMessage SignChargingStationCertificate Accepted; SignCertificate "
    "with a fresh P-256 CSR (CN the station id, certificateType ChargingStationCertificate); "
    "answers CertificateSigned Accepted",
    expects="TriggerMessageRequest requestedMessage SignChargingStationCertificate; "
    "SignCertificateResponse Accepted; a CertificateSigned whose first certificate holds the "
    "CSR's key and the id as CN; the connection kept",
    backend_initiated=True,
)
async def certificate_renewal_accepted(ctx: CheckContext) -> None:
    await _renewal(ctx, accepted=True)


@check201(
    "TC_A_14_CSMS",
    "Update the station's certificate at the CSMS's request: the station rejects it",
    clause="OCPP 2.0.1 A02 Update Charging Station Certificate by request of CSMS (a "
    "CertificateSigned the station answers Rejected)",
    sends="answers TriggerMessage SignChargingStationCertificate Accepted; SignCertificate "
    "with a fresh CSR; answers CertificateSigned Rejected",
    expects="TriggerMessageRequest requestedMessage SignChargingStationCertificate; "
    "SignCertificateResponse Accepted; a CertificateSigned; the connection kept after the "
    "Rejected",
    backend_initiated=True,
)
async def certificate_renewal_rejected(ctx: CheckContext) -> None:
    await _renewal(ctx, accepted=False)


# -- A05: the security profile raised through a new network connection profile ------------

#: The configuration slot the check's station offers for the new profile, and its interface.
UPGRADE_SLOT: Final = 2
UPGRADE_INTERFACE: Final = "Wired0"


def _upgraded_url(url: str, profile: int) -> str:
    """The run's CSMS URL for `profile`: wss:// from profile 2 on (TLS), else as given."""
    if profile >= 2 and url.startswith("ws://"):
        return "wss://" + url.removeprefix("ws://")
    return url


@check201(
    "TC_A_19_CSMS",
    "Upgrade the station's security profile: a new network profile one level higher",
    clause="OCPP 2.0.1 A05 Upgrade Charging Station Security Profile (SetNetworkProfile with "
    "a higher securityProfile, NetworkConfigurationPriority, then a reset), B09, B11",
    sends="as a second station id, connected with security profile 1 or 2: answers "
    f"SetNetworkProfile (slot {UPGRADE_SLOT}), SetVariables "
    "OCPPCommCtrlr.NetworkConfigurationPriority and Reset Accepted; connects again and boots "
    "(reason RemoteReset) on the run's transport",
    expects="SetNetworkProfileRequest with connectionData.securityProfile the run's profile + 1, "
    "ocppVersion OCPP20, ocppTransport JSON; SetVariablesRequest NetworkConfigurationPriority "
    f"'{UPGRADE_SLOT}'; ResetRequest; the boot after it Accepted (not applicable at profile 0 "
    "or 3; the reconnection at the higher profile itself is the station's, and TC_A_04/07 "
    "check the CSMS's side of it)",
    backend_initiated=True,
)
async def upgrade_security_profile(ctx: CheckContext) -> None:
    ctx.require_trigger("SetNetworkProfile")
    current = _run_profile(ctx)
    if current not in (1, 2):
        raise NotApplicable(
            f"the run connects with security profile {current}: A05 upgrades from 1 or 2"
        )
    ctx.note(f"the run connects with security profile {current}")
    profile = {
        "configurationSlot": UPGRADE_SLOT,
        "connectionData": {
            "ocppVersion": "OCPP20",
            "ocppTransport": "JSON",
            "ocppCsmsUrl": _upgraded_url(ctx.target.url, current + 1),
            "messageTimeout": 30,
            "securityProfile": current + 1,
            "ocppInterface": UPGRADE_INTERFACE,
        },
    }
    priority = {
        "component": {"name": "OCPPCommCtrlr"},
        "variable": {"name": "NetworkConfigurationPriority"},
        "attributeValue": str(UPGRADE_SLOT),
    }
    # Another id: a backend that enforces the new profile refuses this transport after it.
    station_id = _second_id(ctx, "s")
    await _second_id_usable(ctx, station_id)
    async with ctx.booted(charge_point_id=station_id) as station:
        await ctx.backend_sends(station, "SetNetworkProfile", profile)
        await ctx.backend_sends(station, "SetVariables", {"setVariableData": [priority]})
        await ctx.backend_sends(station, "Reset", {"type": "OnIdle"})
    async with ctx.open_or_fail(charge_point_id=station_id) as station:
        await ctx.boot(station, "RemoteReset")
        await ctx.all_available(station)
