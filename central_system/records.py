"""The central system's facts, as frozen dataclasses (ocpp types stay in `session`)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "Authorization",
    "Boot",
    "DataTransferReply",
    "IdTag",
    "IdTagStatus",
    "MeterSample",
    "Registration",
    "RegistrationStatus",
    "SecurityEvent",
    "SigningOutcome",
    "StartedTransaction",
    "StatusReport",
    "StatusUpdate",
    "StopFlag",
    "StopOutcome",
    "Transaction",
    "TransactionStart",
    "TransactionStop",
]


class IdTagStatus(enum.StrEnum):
    """OCPP 1.6 AuthorizationStatus."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    CONCURRENT_TX = "ConcurrentTx"


class RegistrationStatus(enum.StrEnum):
    ACCEPTED = "Accepted"
    PENDING = "Pending"
    REJECTED = "Rejected"


@dataclass(frozen=True, slots=True)
class IdTag:
    """A provisioned id tag."""

    id_tag: str
    status: IdTagStatus
    expiry_date: datetime | None = None
    parent_id_tag: str | None = None


@dataclass(frozen=True, slots=True)
class Authorization:
    """What the central system says about an id tag (OCPP's IdTagInfo)."""

    status: IdTagStatus
    expiry_date: datetime | None = None
    parent_id_tag: str | None = None


@dataclass(frozen=True, slots=True)
class Boot:
    charge_point_id: str
    vendor: str
    model: str
    charge_point_serial_number: str | None = None
    charge_box_serial_number: str | None = None
    firmware_version: str | None = None
    iccid: str | None = None
    imsi: str | None = None
    meter_type: str | None = None
    meter_serial_number: str | None = None


@dataclass(frozen=True, slots=True)
class Registration:
    """The answer to a boot."""

    status: RegistrationStatus
    interval_s: int


@dataclass(frozen=True, slots=True)
class StatusReport:
    charge_point_id: str
    connector_id: int
    status: str
    error_code: str
    timestamp: datetime | None = None
    info: str | None = None
    vendor_id: str | None = None
    vendor_error_code: str | None = None


@dataclass(frozen=True, slots=True)
class MeterSample:
    """One sampledValue, with OCPP 1.6's defaults filled in (so duplicates compare equal)."""

    timestamp: datetime
    value: str
    measurand: str = "Energy.Active.Import.Register"
    phase: str = ""
    unit: str = "Wh"
    context: str = "Sample.Periodic"
    location: str = "Outlet"
    format: str = "Raw"


@dataclass(frozen=True, slots=True)
class TransactionStart:
    charge_point_id: str
    connector_id: int
    id_tag: str
    meter_start_wh: int
    started_at: datetime
    reservation_id: int | None = None


@dataclass(frozen=True, slots=True)
class StartedTransaction:
    transaction_id: int
    authorization: Authorization
    #: False when this start was a retransmission of one already stored.
    created: bool


@dataclass(frozen=True, slots=True)
class TransactionStop:
    charge_point_id: str
    transaction_id: int
    meter_stop_wh: int
    stopped_at: datetime
    id_tag: str | None = None
    reason: str | None = None


class StopOutcome(enum.StrEnum):
    STOPPED = "stopped"
    #: Already stopped: a retransmission, or a second stop (the first one stands).
    ALREADY_STOPPED = "already_stopped"
    #: No such transaction on this charge point: stored in unmatched_stops, still answered.
    UNKNOWN = "unknown"
    #: Stopped, but the stop is impossible as it stands: stored with a `StopFlag`.
    FLAGGED = "flagged"


@dataclass(frozen=True, slots=True)
class Transaction:
    """A stored transaction (read side)."""

    transaction_id: int
    charge_point_id: str
    connector_id: int
    id_tag: str
    id_tag_status: IdTagStatus
    meter_start_wh: int
    started_at: datetime
    meter_stop_wh: int | None
    stopped_at: datetime | None
    stop_reason: str | None
    stop_flag: str | None = None


@dataclass(frozen=True, slots=True)
class DataTransferReply:
    status: str
    data: str | None = None


class StopFlag(enum.StrEnum):
    """Why a stop that was accepted (OCPP 1.6 §4.10: the Central System cannot prevent a
    transaction from stopping) is impossible as it stands; `chargenet report` warns and leaves
    the energy of a flagged transaction out."""

    METER_STOP_BELOW_START = "meter_stop_below_start"
    STOP_BEFORE_START = "stop_before_start"
    METER_WENT_BACKWARDS = "meter_went_backwards"


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """A firmware, diagnostics or log upload status (the action names which)."""

    charge_point_id: str
    action: str
    status: str
    request_id: int | None = None


@dataclass(frozen=True, slots=True)
class SecurityEvent:
    charge_point_id: str
    type: str
    timestamp: datetime
    tech_info: str | None = None


@dataclass(frozen=True, slots=True)
class SigningOutcome:
    """The answer to a SignCertificate: Accepted with the chain to send in CertificateSigned,
    or Rejected with the reason."""

    accepted: bool
    reason: str
    certificate_chain_pem: str | None = None
