"""Firmware, diagnostics and log upload statuses, security events, certificate requests."""

from __future__ import annotations

from central_system.backend import Backend
from central_system.records import SecurityEvent, SigningOutcome, StatusUpdate

__all__ = [
    "certificate_delivered",
    "diagnostics_status",
    "firmware_status",
    "security_event",
    "sign_certificate",
]


def firmware_status(backend: Backend, update: StatusUpdate) -> None:
    """FirmwareStatusNotification and SignedFirmwareStatusNotification."""
    backend.store.record_firmware_status(update, backend.clock())


def diagnostics_status(backend: Backend, update: StatusUpdate) -> None:
    """DiagnosticsStatusNotification and LogStatusNotification."""
    backend.store.record_diagnostics_status(update, backend.clock())


def security_event(backend: Backend, event: SecurityEvent) -> None:
    backend.store.record_security_event(event, backend.clock())


def sign_certificate(
    backend: Backend, charge_point_id: str, csr: str
) -> tuple[int, SigningOutcome]:
    """Sign (or reject, see `certificates`) a CSR; the request and outcome are stored, and the
    returned id names the request when the CertificateSigned delivery is recorded."""
    outcome = backend.signer.sign(csr, charge_point_id)
    request_id = backend.store.record_certificate_request(
        charge_point_id, csr, outcome, backend.clock()
    )
    return request_id, outcome


def certificate_delivered(backend: Backend, request_id: int, status: str) -> None:
    """The charge point's answer to CertificateSigned (or why there was none)."""
    backend.store.record_certificate_delivery(request_id, status, backend.clock())
