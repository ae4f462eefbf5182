"""OCTT 1.6 security-extension cases (OCPP 1.6 Security Whitepaper, edition 2)."""

from __future__ import annotations

import secrets

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from simulator.check.catalogue import Profile, check
from simulator.check.context import CheckContext
from simulator.check.station import HandshakeRefused
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
    "reconnects with the new key, then tries the old password",
    expects="ChangeConfiguration key AuthorizationKey with the new key; the new key let in "
    "(101), the old password refused (401)",
    backend_initiated=True,
)
async def authorization_key(ctx: CheckContext) -> None:
    ctx.require_trigger("ChangeConfiguration AuthorizationKey")
    if ctx.target.password is None:
        raise NotApplicable("the run has no basic-auth password (--password-file) to rotate")
    # Another id than the run's: the rotation outlives the check on the backend.
    charge_point_id = f"{ctx.charge_point_id[:38]}-k{secrets.token_hex(4)}"
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
