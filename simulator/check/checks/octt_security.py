"""OCTT 1.6 security-extension cases (OCPP 1.6 Security Whitepaper, edition 2)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

from simulator.check.catalogue import Profile, check
from simulator.check.context import CheckContext, utc_text
from simulator.check.station import HandshakeRefused, ScriptedChargePoint
from simulator.check.trigger import TriggerFailed
from simulator.check.verdicts import CheckFailed, NotApplicable

SECURITY = Profile.SECURITY


@check(
    "TC_085_CS",
    "Basic authentication: the right id and password are let in",
    profile=SECURITY,
    clause="OCPP 1.6 Security Whitepaper (security profile 1: HTTP basic auth, "
    "username = charge point id)",
    sends="the handshake with Authorization: Basic <id>:<password>; BootNotification",
    expects="101 Switching Protocols with ocpp1.6; the boot Accepted",
)
async def basic_auth_accepted(ctx: CheckContext) -> None:
    if ctx.target.password is None:
        raise NotApplicable("no password given (--password-file or CHARGENET_CSMS_PASSWORD)")
    async with ctx.open_or_fail() as station:
        await ctx.boot(station)


def csr_for(common_name: str) -> tuple[str, bytes]:
    """A fresh P-256 key's CSR (PEM) for `common_name`, and the key's public DER."""
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "chargenet check"),
                ]
            )
        )
        .sign(key, hashes.SHA256())
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode(), public


@check(
    "TC_074_CS",
    "Charge point certificate: a CSR is accepted and signed (from the charge point's "
    "SignCertificate on)",
    profile=SECURITY,
    clause="OCPP 1.6 Security Whitepaper (A02: SignCertificate, then CertificateSigned "
    "with the chain)",
    sends="SignCertificate with a P-256 CSR whose CN is the charge point id; answers "
    "CertificateSigned Accepted",
    expects="SignCertificate.conf Accepted, then a CertificateSigned whose first certificate "
    "holds the CSR's key and the id as CN",
)
async def sign_certificate(ctx: CheckContext) -> None:
    csr, public = csr_for(ctx.charge_point_id[:64])
    async with ctx.booted() as station:
        since = station.mark()
        reply = await ctx.result(station, "SignCertificate", {"csr": csr})
        ctx.expect(
            reply.get("status") == "Accepted",
            "SignCertificate.conf Accepted for a well-formed CSR in the charge point's name",
            f"status {reply.get('status')!r}",
        )
        call = await station.expect_call("CertificateSigned", since=since)
        chain = call.payload.get("certificateChain", "")
        try:
            leaf = x509.load_pem_x509_certificates(chain.encode())[0]
        except (ValueError, IndexError) as exc:
            ctx.expect(False, "certificateChain: PEM certificates", f"{exc}")
            return
        ctx.expect(
            leaf.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            == public,
            "the first certificate of the chain certifies the CSR's public key",
            "another key",
        )
        names = leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        ctx.expect(
            [n.value for n in names] == [ctx.charge_point_id[:64]],
            f"subject CN {ctx.charge_point_id!r}",
            f"{leaf.subject.rfc4514_string()}",
        )


def _needs_tls(ctx: CheckContext) -> None:
    if not ctx.target.url.startswith("wss://"):
        raise NotApplicable("needs a wss:// URL (security profiles 2 and 3)")


@check(
    "TC_086_CS",
    "TLS with a server certificate the charge point verifies",
    profile=SECURITY,
    clause="OCPP 1.6 Security Whitepaper (security profile 2: TLS 1.2 or higher, the "
    "Central System's certificate verified)",
    sends="a wss:// handshake verifying the server certificate against --ca (or the system "
    "CAs); BootNotification",
    expects="the TLS handshake verified at TLS 1.2 or higher, 101 with ocpp1.6, the boot Accepted",
)
async def tls_server_certificate(ctx: CheckContext) -> None:
    _needs_tls(ctx)
    async with ctx.open_or_fail() as station:
        ssl_object = station.ws.transport.get_extra_info("ssl_object")
        version = ssl_object.version() if ssl_object is not None else None
        ctx.note(f"TLS version {version}, cipher {ssl_object.cipher() if ssl_object else None}")
        ctx.expect(version in ("TLSv1.2", "TLSv1.3"), "TLS 1.2 or higher", f"TLS version {version}")
        await ctx.boot(station)


@check(
    "TC_087_CS",
    "TLS with a client certificate: in with it, refused without it",
    profile=SECURITY,
    clause="OCPP 1.6 Security Whitepaper (security profile 3: the charge point "
    "authenticates with its certificate)",
    sends="a wss:// handshake with --cert/--key, BootNotification; then one without a client "
    "certificate",
    expects="the first accepted and booted; the second refused (TLS alert or HTTP 4xx)",
)
async def tls_client_certificate(ctx: CheckContext) -> None:
    _needs_tls(ctx)
    without = ctx.target.ssl_without_client_certificate
    if without is None:
        raise NotApplicable("no client certificate given (--cert FILE --key FILE)")
    async with ctx.open_or_fail() as station:
        await ctx.boot(station)
    try:
        async with ctx.connection(ssl_context=without, retry_conflict=False) as station:
            await station.still_open()
    except HandshakeRefused as refused:
        ctx.note(f"without a client certificate: {refused.reason}")
        return
    except CheckFailed:
        return  # opened at the TLS level, then closed before serving: refused all the same
    raise CheckFailed(
        "the connection without a client certificate refused", "it was opened and served"
    )


@check(
    "TC_073_CS",
    "Update the charge point's basic-auth password (AuthorizationKey)",
    profile=Profile.SECURITY,
    clause="OCPP 1.6 Security Whitepaper (AuthorizationKey); §5.3 ChangeConfiguration",
    sends="as a second charge point id: answers ChangeConfiguration AuthorizationKey Accepted, "
    "reconnects with the new key, tries the old one; set-basic-auth-password to the run's after",
    expects="ChangeConfiguration key AuthorizationKey with the new key; the new key let in "
    "(101), the old password refused (401)",
    backend_initiated=True,
)
async def authorization_key(ctx: CheckContext) -> None:
    trigger = ctx.require_trigger("ChangeConfiguration AuthorizationKey")
    password = ctx.target.password
    if password is None:
        raise NotApplicable("the run has no basic-auth password (--password-file) to rotate")
    # Another id than the run's: a backend that gets the rotation wrong cannot lock the run's
    # own id out; afterwards its password is set back to the run's (set-basic-auth-password).
    charge_point_id = _second_id(ctx, "k")
    await _second_id_usable(ctx, charge_point_id)
    try:
        await _rotate_authorization_key(ctx, charge_point_id)
    finally:
        try:
            await trigger.set_password(charge_point_id, password)
            ctx.note(f"{charge_point_id}: the run's password set back (set-basic-auth-password)")
        except TriggerFailed as failed:
            ctx.note(f"{charge_point_id}: its password not set back: {failed}")


async def _rotate_authorization_key(ctx: CheckContext, charge_point_id: str) -> None:
    new_key = secrets.token_hex(20)
    async with ctx.booted(charge_point_id=charge_point_id) as station:
        await ctx.backend_sends(
            station, "ChangeConfiguration", {"key": "AuthorizationKey", "value": new_key}
        )
    async with ctx.booted(charge_point_id=charge_point_id, password=new_key):
        pass
    try:
        async with ctx.connection(charge_point_id=charge_point_id):
            pass
    except HandshakeRefused as refused:
        ctx.expect(
            refused.status == 401,
            "HTTP 401 for the password the new key replaced",
            refused.reason,
        )
        return
    raise CheckFailed(
        "HTTP 401 for the password the new key replaced", "the old password was let in"
    )


# -- the backend-initiated security cases ---------------------------------------------------


def _second_id(ctx: CheckContext, mark: str) -> str:
    """Another id than the run's, for a case whose change (a key, a profile) outlives the
    check on a backend: a wrong backend must not lock the run's own id out."""
    return f"{ctx.charge_point_id[:38]}-{mark}{secrets.token_hex(4)}"


async def _second_id_usable(ctx: CheckContext, charge_point_id: str) -> None:
    """A backend that refuses the second id (HTTP 403/404: unknown to it, or under security
    profile 3 a client certificate naming only the run's id) makes the case not applicable."""
    try:
        async with ctx.connection(charge_point_id=charge_point_id):
            pass
    except HandshakeRefused as refused:
        if refused.status in (403, 404):
            raise NotApplicable(
                f"the case needs a second charge point id, and the backend refuses "
                f"{charge_point_id!r} ({refused.reason})"
            ) from None
        raise CheckFailed("the websocket handshake to succeed", refused.reason) from None


def _certificate(common_name: str) -> x509.Certificate:
    """A fresh self-signed P-256 CA certificate (a root a charge point could be given)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "chargenet check"),
        ]
    )
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _hash_data(certificate: x509.Certificate) -> dict[str, str]:
    """CertificateHashDataType of a self-signed certificate: the hashes of an OCSP CertID
    (the issuer's name and key; the certificate is its own issuer), the serial in hex."""
    request = (
        ocsp.OCSPRequestBuilder().add_certificate(certificate, certificate, hashes.SHA256()).build()
    )
    return {
        "hashAlgorithm": "SHA256",
        "issuerNameHash": request.issuer_name_hash.hex(),
        "issuerKeyHash": request.issuer_key_hash.hex(),
        "serialNumber": format(request.serial_number, "x"),
    }


async def _install_certificate(ctx: CheckContext, certificate_type: str) -> None:
    ctx.require_trigger(f"InstallCertificate {certificate_type}")
    pem = _pem(_certificate(f"chargenet check {certificate_type}"))
    async with ctx.booted() as station:
        await ctx.backend_sends(
            station, "InstallCertificate", {"certificateType": certificate_type, "certificate": pem}
        )


@check(
    "TC_075_1_CS",
    "Install a manufacturer root certificate on the charge point",
    profile=SECURITY,
    clause="OCPP 1.6 Security Whitepaper (M05: InstallCertificate)",
    sends="answers InstallCertificate Accepted",
    expects="InstallCertificate ManufacturerRootCertificate carrying, unaltered, the PEM the "
    "check generated",
    backend_initiated=True,
)
async def install_manufacturer_root(ctx: CheckContext) -> None:
    await _install_certificate(ctx, "ManufacturerRootCertificate")


@check(
    "TC_075_2_CS",
    "Install a central system root certificate on the charge point",
    profile=SECURITY,
    clause="OCPP 1.6 Security Whitepaper (M05: InstallCertificate)",
    sends="answers InstallCertificate Accepted",
    expects="InstallCertificate CentralSystemRootCertificate carrying, unaltered, the PEM the "
    "check generated",
    backend_initiated=True,
)
async def install_central_system_root(ctx: CheckContext) -> None:
    await _install_certificate(ctx, "CentralSystemRootCertificate")


@check(
    "TC_076_CS",
    "Delete a specific certificate the charge point reported",
    profile=SECURITY,
    clause="OCPP 1.6 Security Whitepaper (M03: GetInstalledCertificateIds, M04: DeleteCertificate)",
    sends="answers GetInstalledCertificateIds Accepted with one certificate's hash data, then "
    "DeleteCertificate Accepted",
    expects="GetInstalledCertificateIds CentralSystemRootCertificate, then DeleteCertificate "
    "with exactly the hash data reported",
    backend_initiated=True,
)
async def delete_certificate(ctx: CheckContext) -> None:
    ctx.require_trigger("GetInstalledCertificateIds, then DeleteCertificate")
    hash_data = _hash_data(_certificate("chargenet check installed root"))
    async with ctx.booted() as station:
        await ctx.backend_sends(
            station,
            "GetInstalledCertificateIds",
            {"certificateType": "CentralSystemRootCertificate"},
            reply={"status": "Accepted", "certificateHashData": [hash_data]},
        )
        await ctx.backend_sends(station, "DeleteCertificate", {"certificateHashData": hash_data})


async def _security_event(
    ctx: CheckContext, station: ScriptedChargePoint, event: str, tech_info: str | None = None
) -> None:
    payload = {"type": event, "timestamp": ctx.now()}
    if tech_info is not None:
        payload["techInfo"] = tech_info
    await ctx.result(station, "SecurityEventNotification", payload)


@check(
    "TC_077_CS",
    "A charge point certificate it rejects, reported as a security event",
    profile=SECURITY,
    clause="OCPP 1.6 Security Whitepaper (A02: a CertificateSigned the charge point rejects; "
    "security event InvalidChargePointCertificate)",
    sends="SignCertificate; answers CertificateSigned Rejected; SecurityEventNotification "
    "InvalidChargePointCertificate",
    expects="SignCertificate.conf Accepted, a CertificateSigned, the event answered "
    "(SecurityEventNotification.conf)",
)
async def invalid_charge_point_certificate(ctx: CheckContext) -> None:
    csr, _ = csr_for(ctx.charge_point_id[:64])
    async with ctx.booted() as station:
        station.replies["CertificateSigned"] = {"status": "Rejected"}
        since = station.mark()
        reply = await ctx.result(station, "SignCertificate", {"csr": csr})
        ctx.expect(
            reply.get("status") == "Accepted",
            "SignCertificate.conf Accepted for a well-formed CSR in the charge point's name",
            f"status {reply.get('status')!r}",
        )
        await station.expect_call("CertificateSigned", since=since)
        await _security_event(ctx, station, "InvalidChargePointCertificate")


@check(
    "TC_078_CS",
    "A central system certificate the charge point could not verify, reported",
    profile=SECURITY,
    clause="OCPP 1.6 Security Whitepaper (security event InvalidCentralSystemCertificate, "
    "sent once connected again)",
    sends="BootNotification; SecurityEventNotification InvalidCentralSystemCertificate with "
    "techInfo",
    expects="the event answered (SecurityEventNotification.conf)",
)
async def invalid_central_system_certificate(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        await _security_event(
            ctx,
            station,
            "InvalidCentralSystemCertificate",
            "the server certificate did not verify on the previous connection",
        )


@check(
    "TC_079_CS",
    "Get the security log",
    profile=SECURITY,
    clause="OCPP 1.6 Security Whitepaper (N01: GetLog, LogStatusNotification)",
    sends="answers GetLog Accepted with a filename; LogStatusNotification Uploading, then "
    "Uploaded, with the requestId",
    expects="GetLog logType SecurityLog with the requestId and remoteLocation; both "
    "notifications answered",
    backend_initiated=True,
)
async def get_security_log(ctx: CheckContext) -> None:
    request_id = secrets.randbelow(1_000_000) + 1
    payload = {
        "logType": "SecurityLog",
        "requestId": request_id,
        "log": {"remoteLocation": "ftp://logs.example.com/chargenet-check/"},
    }
    ctx.require_trigger("GetLog", payload)
    async with ctx.booted() as station:
        await ctx.backend_sends(
            station, "GetLog", payload, reply={"status": "Accepted", "filename": "security.log"}
        )
        for status in ("Uploading", "Uploaded"):
            await ctx.result(
                station, "LogStatusNotification", {"status": status, "requestId": request_id}
            )


def _signed_firmware(request_id: int) -> dict[str, Any]:
    """A SignedUpdateFirmware payload: a signing certificate made now and the signature of a
    firmware image by its key (ECDSA P-256, SHA-256)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "chargenet check firmware signer")])
    now = datetime.now(UTC)
    signer = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    image = f"chargenet check firmware {secrets.token_hex(8)}".encode()
    signature = key.sign(image, ec.ECDSA(hashes.SHA256()))
    return {
        "requestId": request_id,
        "firmware": {
            "location": "https://firmware.example.com/chargenet-check.bin",
            "retrieveDateTime": utc_text(now),
            "signingCertificate": _pem(signer),
            "signature": base64.b64encode(signature).decode(),
        },
    }


async def _firmware_statuses(
    ctx: CheckContext, station: ScriptedChargePoint, request_id: int, statuses: Sequence[str]
) -> None:
    for status in statuses:
        await ctx.result(
            station,
            "SignedFirmwareStatusNotification",
            {"status": status, "requestId": request_id},
        )


@check(
    "TC_080_CS",
    "Secure firmware update: downloaded, verified, installed after a reboot",
    profile=SECURITY,
    clause="OCPP 1.6 Security Whitepaper (L01: SignedUpdateFirmware, "
    "SignedFirmwareStatusNotification)",
    sends="answers SignedUpdateFirmware Accepted; SignedFirmwareStatusNotification Downloading, "
    "Downloaded, SignatureVerified, Installing, InstallRebooting; reboots, boots, Installed; "
    "SecurityEventNotification FirmwareUpdated",
    expects="SignedUpdateFirmware with the requestId, location, certificate and signature; "
    "every notification and the event answered, the boot after the reboot Accepted",
    backend_initiated=True,
)
async def signed_firmware_update(ctx: CheckContext) -> None:
    ctx.require_trigger("SignedUpdateFirmware")
    request_id = secrets.randbelow(1_000_000) + 1
    payload = _signed_firmware(request_id)
    async with ctx.booted() as station:
        await ctx.backend_sends(station, "SignedUpdateFirmware", payload)
        await _firmware_statuses(
            ctx,
            station,
            request_id,
            ("Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting"),
        )
    ctx.note("the charge point reboots into the new firmware")
    async with ctx.booted() as station:
        await _firmware_statuses(ctx, station, request_id, ("Installed",))
        await _security_event(ctx, station, "FirmwareUpdated")


@check(
    "TC_081_CS",
    "Secure firmware update: a signature that does not verify",
    profile=SECURITY,
    clause="OCPP 1.6 Security Whitepaper (L01: SignedFirmwareStatusNotification "
    "InvalidSignature; security event InvalidFirmwareSignature)",
    sends="answers SignedUpdateFirmware Accepted; SignedFirmwareStatusNotification Downloading, "
    "Downloaded, InvalidSignature; SecurityEventNotification InvalidFirmwareSignature",
    expects="SignedUpdateFirmware with the requestId; the notifications and the event answered",
    backend_initiated=True,
)
async def signed_firmware_invalid_signature(ctx: CheckContext) -> None:
    ctx.require_trigger("SignedUpdateFirmware")
    request_id = secrets.randbelow(1_000_000) + 1
    payload = _signed_firmware(request_id)
    async with ctx.booted() as station:
        await ctx.backend_sends(station, "SignedUpdateFirmware", payload)
        await _firmware_statuses(
            ctx, station, request_id, ("Downloading", "Downloaded", "InvalidSignature")
        )
        await _security_event(ctx, station, "InvalidFirmwareSignature")


def _run_profile(ctx: CheckContext) -> int:
    """The security profile the run connects with: 0 plain, 1 basic auth, 2 TLS, 3 TLS with a
    client certificate."""
    if ctx.target.url.startswith("wss://"):
        return 3 if ctx.target.ssl_without_client_certificate is not None else 2
    return 1 if ctx.target.password is not None else 0


@check(
    "TC_083_CS",
    "Upgrade the security profile",
    profile=SECURITY,
    clause="OCPP 1.6 Security Whitepaper (A05: ChangeConfiguration SecurityProfile, a higher "
    "profile)",
    sends="as a second charge point id: answers ChangeConfiguration SecurityProfile Accepted",
    expects="ChangeConfiguration key SecurityProfile with the run's profile + 1 as a string; the "
    "Accepted reply taken (the trigger reports success)",
    backend_initiated=True,
)
async def upgrade_security_profile(ctx: CheckContext) -> None:
    ctx.require_trigger("ChangeConfiguration SecurityProfile")
    current = _run_profile(ctx)
    if current == 3:
        raise NotApplicable("the run connects with security profile 3: there is none higher")
    payload = {"key": "SecurityProfile", "value": str(current + 1)}
    ctx.note(f"the run connects with security profile {current}")
    # Another id: a backend that enforces the new profile refuses this transport after it.
    charge_point_id = _second_id(ctx, "u")
    await _second_id_usable(ctx, charge_point_id)
    async with ctx.booted(charge_point_id=charge_point_id) as station:
        await ctx.backend_sends(station, "ChangeConfiguration", payload)


@check(
    "TC_084_CS",
    "Downgrade the security profile: rejected, nothing changes",
    profile=SECURITY,
    clause="OCPP 1.6 Security Whitepaper (A05: a charge point rejects a lower SecurityProfile)",
    sends="as a second charge point id: answers ChangeConfiguration SecurityProfile Rejected; "
    "a Heartbeat; reconnects with the same credentials",
    expects="ChangeConfiguration SecurityProfile, value the run's profile - 1; the connection "
    "kept, the reconnection let in and booted as before",
    backend_initiated=True,
)
async def downgrade_security_profile(ctx: CheckContext) -> None:
    ctx.require_trigger("ChangeConfiguration SecurityProfile")
    current = _run_profile(ctx)
    if current == 0:
        raise NotApplicable("the run connects with security profile 0: there is none lower")
    payload = {"key": "SecurityProfile", "value": str(current - 1)}
    ctx.note(f"the run connects with security profile {current}")
    charge_point_id = _second_id(ctx, "d")
    await _second_id_usable(ctx, charge_point_id)
    async with ctx.booted(charge_point_id=charge_point_id) as station:
        await ctx.backend_sends(
            station, "ChangeConfiguration", payload, reply={"status": "Rejected"}
        )
        await station.still_open()
    async with ctx.booted(charge_point_id=charge_point_id):
        pass
