"""SignCertificate (1.6 security extension): a test CA that the central system holds.

Stance: by default the central system signs a charge point's CSR with its own test CA and sends
the chain in a CertificateSigned call after answering Accepted; `--certificate-signing reject`
answers every SignCertificate Rejected instead. The CA is the one given by `--ca-cert` and
`--ca-key`, or one generated on the first CSR beside the store (`<store>-ca.pem`, and
`<store>-ca.key` with mode 0600) and reused from then on. It is a test CA: an EC P-256 key kept
unencrypted on disk, fit for a lab, not for a production PKI.

A CSR is signed when it parses as PEM, its signature verifies, its subject's commonName is the
charge point's own id (so one charge point cannot obtain a certificate in another's name; the
1.6 security whitepaper puts the charge point's identity in the CN), and its key is RSA of 2048
to 4096 bits or EC P-256/P-384. Anything else is Rejected with the reason stored.
"""

from __future__ import annotations

import datetime as dt
import enum
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from central_system.records import SigningOutcome

__all__ = [
    "MAX_CHAIN_CHARS",
    "CertificateAuthority",
    "CertificateSigner",
    "CertificateSigning",
    "SigningMode",
]

#: CertificateSigned.req certificateChain maxLength.
MAX_CHAIN_CHARS: Final = 10_000
_CURVES: Final = (ec.SECP256R1, ec.SECP384R1)


class SigningMode(enum.StrEnum):
    TEST_CA = "test-ca"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class CertificateSigning:
    mode: SigningMode = SigningMode.TEST_CA
    #: Both or neither; neither: generated beside the store on the first CSR.
    ca_cert_path: Path | None = None
    ca_key_path: Path | None = None
    validity_days: int = 365

    def paths(self, store_path: Path) -> tuple[Path, Path]:
        if self.ca_cert_path is not None and self.ca_key_path is not None:
            return self.ca_cert_path, self.ca_key_path
        stem = store_path.with_name(store_path.stem + "-ca")
        return stem.with_suffix(".pem"), stem.with_suffix(".key")


class CertificateAuthority:
    """A CA certificate and its key, loaded from files or generated into them."""

    def __init__(self, certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
        self.certificate = certificate
        self._key = key
        self.pem = certificate.public_bytes(serialization.Encoding.PEM).decode()

    @classmethod
    def load_or_create(cls, cert_path: Path, key_path: Path) -> CertificateAuthority:
        if cert_path.exists() or key_path.exists():
            certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
                raise ValueError(f"{key_path}: not an EC or RSA private key")
            return cls(certificate, key)  # type: ignore[arg-type]
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "chargenet test CA")])
        now = dt.datetime.now(dt.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(key, hashes.SHA256())
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as key_file:
            key_file.write(key_pem)
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        return cls(certificate, key)

    def sign(self, csr_pem: str, charge_point_id: str, validity_days: int) -> SigningOutcome:
        try:
            csr = x509.load_pem_x509_csr(csr_pem.encode(errors="replace"))
        except ValueError:
            return SigningOutcome(False, "not a PEM certificate signing request")
        if not csr.is_signature_valid:
            return SigningOutcome(False, "the CSR's signature does not verify")
        names = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        if [n.value for n in names] != [charge_point_id]:
            return SigningOutcome(False, "the CSR's commonName is not the charge point's id")
        public_key = csr.public_key()
        if isinstance(public_key, rsa.RSAPublicKey):
            if not 2048 <= public_key.key_size <= 4096:
                return SigningOutcome(False, "an RSA key must have 2048 to 4096 bits")
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            if not isinstance(public_key.curve, _CURVES):
                return SigningOutcome(False, "an EC key must be on P-256 or P-384")
        else:
            return SigningOutcome(False, "the key must be RSA or EC")
        now = dt.datetime.now(dt.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(self.certificate.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=validity_days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        chain = certificate.public_bytes(serialization.Encoding.PEM).decode() + self.pem
        if len(chain) > MAX_CHAIN_CHARS:
            return SigningOutcome(False, "the certificate chain would exceed 10000 characters")
        return SigningOutcome(True, "signed by the test CA", chain)


class CertificateSigner:
    """The signing stance of one server run; the CA is loaded or generated on first use."""

    def __init__(self, signing: CertificateSigning, store_path: Path) -> None:
        self.signing = signing
        self._store_path = store_path
        self._authority: CertificateAuthority | None = None

    def sign(self, csr_pem: str, charge_point_id: str) -> SigningOutcome:
        if self.signing.mode is SigningMode.REJECT:
            return SigningOutcome(False, "certificate signing is off (--certificate-signing)")
        if self._authority is None:
            try:
                self._authority = CertificateAuthority.load_or_create(
                    *self.signing.paths(self._store_path)
                )
            except (OSError, ValueError) as exc:
                return SigningOutcome(False, f"the test CA cannot be used: {exc}")
        return self._authority.sign(csr_pem, charge_point_id, self.signing.validity_days)
