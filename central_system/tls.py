"""TLS for the websocket server: security profile 2 (server certificate) and 3 (client
certificates from a given CA, the charge point id bound to the certificate's subject CN).

TLS 1.2 is the minimum, as the OCPP 1.6 security whitepaper requires. A client certificate
is checked by OpenSSL during the TLS handshake (chain to `--client-ca`, validity dates); the
binding of its subject to the charge point id in the path is checked by the handshake code.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "TlsError",
    "TlsSettings",
    "server_context",
    "subject_common_names",
]


class TlsError(ValueError):
    """The certificate, key or CA cannot be used; the message is one line."""


@dataclass(frozen=True, slots=True)
class TlsSettings:
    cert_file: Path
    key_file: Path
    #: Security profile 3: charge points must present a certificate issued by this CA.
    client_ca_file: Path | None = None


def _no_passphrase() -> str:
    # An encrypted key would otherwise make OpenSSL prompt on the terminal.
    raise TlsError("the key is encrypted; give an unencrypted key file")


def server_context(settings: TlsSettings) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(settings.cert_file, settings.key_file, password=_no_passphrase)
    except TlsError as exc:
        raise TlsError(f"--tls-key {settings.key_file}: {exc}") from None
    except (OSError, ssl.SSLError) as exc:
        raise TlsError(
            f"--tls-cert {settings.cert_file} / --tls-key {settings.key_file}: cannot load: "
            f"{_reason(exc)}"
        ) from None
    if settings.client_ca_file is not None:
        try:
            context.load_verify_locations(cafile=settings.client_ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise TlsError(
                f"--client-ca {settings.client_ca_file}: cannot load: {_reason(exc)}"
            ) from None
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def _reason(exc: OSError | ssl.SSLError) -> str:
    if isinstance(exc, ssl.SSLError):
        return exc.reason or str(exc)
    return exc.strerror or str(exc)


def subject_common_names(peer_certificate: dict[str, Any] | None) -> tuple[str, ...]:
    """The commonName values of a certificate's subject, as `SSLSocket.getpeercert()` gives
    it; () without a certificate."""
    if not peer_certificate:
        return ()
    return tuple(
        value
        for relative_name in peer_certificate.get("subject", ())
        for key, value in relative_name
        if key == "commonName"
    )
