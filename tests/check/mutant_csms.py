"""A small OCPP 1.6J central system for the check's own tests, with one fault per mutant.

Without a fault (`Fault.NONE`) it answers like a correct backend: every frame parsed by
`ocppj.frames`, every payload validated by `ocppj.validation`, the CALLERRORs OCPP-J 1.6 names,
tags by status, unique transaction ids with retransmissions recognized, basic auth, one
connection per id, SignCertificate signed by a throw-away CA. Each other `Fault` breaks one
thing a real backend gets wrong; the check meant for it must fail.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import enum
import http
import itertools
import json
import ssl
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from ocpp.exceptions import OCPPError
from ocpp.messages import Call
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.frames import Opcode
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from ocppj.frames import Rejected, parse_frame
from ocppj.validation import is_known_action, validate_request

OCPP16 = "ocpp1.6"
#: Tag → parent id tag (the group of TC_069_CS).
PARENTS = {"CHK-FLEET-1": "CHK-FLEET", "CHK-FLEET-2": "CHK-FLEET"}
MAX_FRAME_BYTES = 65_536
#: Charge points whose first boot per server is answered Pending (helpers.PENDING_ID: TC_002_CS).
PENDING_IDS = frozenset({"chk-pending"})
CENTRAL_SYSTEM_ACTIONS = frozenset({"Reset", "RemoteStartTransaction", "ChangeConfiguration"})


class Fault(enum.Enum):
    NONE = "none"
    SILENT_ON_INVALID_JSON = "no CALLERROR for invalid JSON"
    OCPP201_ERROR_NAMES = "FormatViolation (the 2.0.1 name) on a 1.6 connection"
    CLOSES_ON_UNKNOWN_ACTION = "closes the connection on an unknown action"
    INTERNAL_ERROR_ON_MISSING_FIELD = "InternalError for a missing required field"
    NO_SCHEMA_VALIDATION = "no schema validation: extra properties and bad enums accepted"
    GENERIC_ERROR_ON_TYPE = "GenericError for a field of the wrong type"
    CLOSES_ON_OVERSIZED = "closes the connection (1009) on an oversized frame"
    ANSWERS_STRAY_RESPONSES = "answers a CALLRESULT/CALLERROR of unknown id with a CALLERROR"
    TRUNCATES_MESSAGE_IDS = "cuts message ids to 20 characters"
    SILENT_ON_UNKNOWN_MESSAGE_TYPE = "no answer to an unknown MessageTypeId"
    INTERNAL_ERROR_ON_CENTRAL_SYSTEM_ACTION = "InternalError for a Reset from a charge point"
    NEW_TRANSACTION_ON_RETRANSMIT = "a retransmitted StartTransaction opens a new transaction"
    REUSES_TRANSACTION_ID = "every transaction gets transactionId 1"
    NO_HEARTBEAT_INTERVAL = "BootNotification.conf without interval"
    ACCEPTS_BLOCKED = "a Blocked tag is Accepted"
    ACCEPTS_EXPIRED = "an Expired tag is Accepted"
    ACCEPTS_UNKNOWN = "an unknown tag is Accepted"
    DROPS_METER_VALUES = "MeterValues never answered"
    REFUSES_OFFLINE_START = "a StartTransaction older than an hour gets a CALLERROR"
    STOP_WITHOUT_ID_TAG_INFO = "StopTransaction.conf without idTagInfo when an idTag is given"
    CALLERROR_FOR_UNKNOWN_STOP = "a stop of an unknown transaction gets a CALLERROR"
    CALLERROR_ON_DATA_TRANSFER = "DataTransfer answered with NotSupported"
    PARTIAL_STATUS_ENUM = "SuspendedEVSE refused as PropertyConstraintViolation"
    PICKS_FIRST_SUBPROTOCOL = "selects the first subprotocol offered (bogus)"
    ACCEPTS_ANY_SUBPROTOCOL = "keeps a connection that offered no known subprotocol"
    NO_PASSWORD_CHECK = "lets any password in"
    CLOCK_AN_HOUR_AHEAD = "its clock is an hour ahead"
    TWO_SESSIONS_PER_ID = "serves two connections under one id"
    PROBE_HOLDS_ID = "a connection closed without a message holds the id for a minute"
    NO_CERTIFICATE_SIGNED = "SignCertificate Accepted but no CertificateSigned sent"
    FIRMWARE_STATUS_INTERNAL_ERROR = "FirmwareStatusNotification answered with InternalError"
    FORGETS_TRANSACTIONS_ON_DISCONNECT = "a connection's transactions forgotten when it drops"
    TRANSACTION_ID_ZERO = "StartTransaction.conf transactionId 0"
    AUTHORIZE_NEEDS_PREPARING = "Authorize Invalid unless a connector is Preparing"
    AVAILABLE_AFTER_PREPARING_REFUSED = "Preparing → Available without a transaction refused"
    EV_DISCONNECTED_REFUSED = "StopTransaction reason EVDisconnected refused"
    STOP_BEFORE_BOOT_REFUSED = "a stop timestamped before the last boot refused"
    CONNECTOR_ZERO_ONLY_AVAILABLE = "connector 0 may only be Available"
    INVALID_TAG_START_REFUSED = "StartTransaction of a tag not Accepted gets a CALLERROR"
    STOP_IN_THE_PAST_REFUSED = "a stop timestamped over a minute ago refused"
    OLD_METER_VALUES_REFUSED = "meter values over an hour old refused"
    METER_VALUES_NEED_TRANSACTION = "MeterValues without transactionId refused"
    ALWAYS_401 = "401 for every handshake, the right password too"
    SILENT_ON_BINARY = "binary frames ignored"
    INTERNAL_ERROR_ON_SHORT_CALL = "InternalError for a CALL of three elements"
    PARTIAL_ERROR_CODES = "errorCode WeakSignal refused"
    DROP_HOLDS_ID = "a connection lost without a close frame holds the id for a minute"
    NO_PONG = "websocket pings never answered"
    SECURITY_EVENT_INTERNAL_ERROR = "SecurityEventNotification with techInfo: InternalError"
    SIGNED_FIRMWARE_PARTIAL_ENUM = "SignedFirmwareStatusNotification InvalidSignature refused"
    DIAGNOSTICS_PARTIAL_ENUM = "DiagnosticsStatusNotification UploadFailed refused"
    MISSING_CREDENTIALS_LET_IN = "a handshake without Authorization is let in"
    FLOOD_CLOSE = "closes a connection sending more than 10 CALLs in its first 30 s (a flood guard)"
    CONNECTION_SLOTS_LEAK = "a connection slot per id is never given back: 503 after 5"
    BOOT_LOCK = "more than 3 boots at once: InternalError (a locked database)"
    BLOCKS_WHILE_AWAITING = "reads nothing more until its CertificateSigned is answered"
    LONG_CALL_IDS = "its CALLs carry message ids of 40 characters"
    CERTIFICATE_SIGNED_OFF_SCHEMA = "CertificateSigned with a property its schema does not have"
    NO_PARENT_ID_TAG = "idTagInfo never carries the parentIdTag"
    ACCEPTS_BLOCKED_ONCE = "the first Authorize of a Blocked tag is Accepted (a stall, then right)"
    NO_LENGTH_CHECK = "strings longer than their schema allows are accepted"
    OFF_BY_ONE_LENGTH = "an idTag of 20 characters is refused as too long"
    TRIGGER_IGNORED = "its trigger API says yes and sends nothing"
    # -- reservation --
    RESERVED_STATUS_REFUSED = "StatusNotification Reserved refused"
    RESERVED_START_REFUSED = "a StartTransaction with a reservationId refused"
    RESERVE_NOW_OTHER_ID = "ReserveNow relayed with another reservationId"
    RESERVE_NOW_CONNECTOR_ONE = "a ReserveNow for connector 0 relayed for connector 1"
    RESERVE_NOW_WITHOUT_PARENT = "ReserveNow relayed without its parentIdTag"
    CANCEL_OTHER_RESERVATION = "CancelReservation relayed with another reservationId"
    AVAILABLE_AFTER_RESERVED_REFUSED = "Reserved → Available without a transaction refused"
    AUTHORIZE_WITHOUT_PARENT = "Authorize.conf without the parentIdTag (the other replies have it)"
    REFUSED_RESERVATION_KEPT = "a refused ReserveNow kept: other tags' starts there Blocked"
    # -- smart --
    PROFILE_RATE_UNIT_SWAPPED = "SetChargingProfile relayed with chargingRateUnit A and W swapped"
    PROFILE_PERIODS_TRUNCATED = "SetChargingProfile relayed with its first schedule period only"
    PROFILE_TRANSACTION_ID_DROPPED = "SetChargingProfile relayed without its transactionId"
    PROFILE_STACK_LEVEL_FLATTENED = "SetChargingProfile relayed with stackLevel 0"
    REMOTE_START_PROFILE_DROPPED = "RemoteStartTransaction relayed without its chargingProfile"
    CLEAR_PROFILE_WITHOUT_ID = "ClearChargingProfile relayed without its id (clears them all)"
    COMPOSITE_SCHEDULE_REFUSED = "a GetCompositeSchedule answer with a schedule is an error"
    METER_VALUES_REFUSED_UNDER_PROFILE = "MeterValues refused once a profile was accepted"
    REJECTED_REMOTE_START_HOLDS_TAG = "a tag whose remote start was rejected is ConcurrentTx"
    # -- remote --
    REMOTE_START_OTHER_CONNECTOR = "RemoteStartTransaction relayed for the next connector"
    REMOTE_START_NEEDS_AUTHORIZE = (
        "a StartTransaction after its RemoteStart with no Authorize since: idTagInfo Invalid"
    )
    REMOTE_START_CONCURRENT_TX = "Authorize of a tag it remote-started: ConcurrentTx"
    REMOTE_START_TIMEOUT_REFUSED = "Available after an accepted RemoteStart refused"
    REMOTE_TAG_TRUSTED = "Authorize of a tag it remote-started: Accepted, whatever its status"
    REMOTE_STOP_OTHER_TRANSACTION = "RemoteStopTransaction relayed with another transactionId"
    REMOTE_STOP_REASON_REFUSED = "StopTransaction reason Remote refused"
    UNLOCK_COMMAND_REASON_REFUSED = "StopTransaction reason UnlockCommand refused"
    UNLOCK_OTHER_CONNECTOR = "UnlockConnector relayed for the next connector"
    ENDS_TRANSACTION_ON_CALL = (
        "a transaction taken as ended once RemoteStop/UnlockConnector is sent: MeterValues refused"
    )
    CLOSES_UNLESS_ACCEPTED = "closes the connection when its CALL is answered other than yes"
    UNAVAILABLE_REFUSED = "StatusNotification Unavailable refused"
    # -- profiles --
    LIST_VERSION_NEGATIVE_REFUSED = "GetLocalListVersion.conf listVersion -1 taken as malformed"
    LIST_VERSION_ZERO_MISSING = "GetLocalListVersion.conf listVersion 0 taken as missing"
    LOCAL_LIST_EMPTIED = "SendLocalList relayed with its localAuthorizationList emptied"
    LOCAL_LIST_VERSION_STALE = "SendLocalList relayed with listVersion 1, whatever it was given"
    LOCAL_LIST_REFUSAL_CLOSES = "SendLocalList answered other than Accepted: connection closed"
    LOCAL_LIST_VERSION_MISMATCH_UNKNOWN = "SendLocalList.conf VersionMismatch taken as malformed"
    START_NEEDS_AUTHORIZE = "StartTransaction of a tag not Authorized first: Invalid"
    FIRMWARE_INSTALLED_REFUSED = "FirmwareStatusNotification Installed refused"
    FIRMWARE_FAILURE_REFUSED = (
        "FirmwareStatusNotification DownloadFailed/InstallationFailed refused"
    )
    DIAGNOSTICS_UPLOADED_REFUSED = "DiagnosticsStatusNotification Uploaded refused"
    DIAGNOSTICS_FAILURE_OFF_SCHEMA = (
        "DiagnosticsStatusNotification UploadFailed answered off schema"
    )
    TRIGGER_CONTEXT_REFUSED = "MeterValues of context Trigger refused"
    REPEATED_STATUS_REFUSED = "a StatusNotification repeating the connector's status refused"
    TRIGGER_DROPS_CONNECTOR_ID = "TriggerMessage relayed without its connectorId"
    TRIGGER_REFUSAL_CLOSES = "TriggerMessage answered Rejected/NotImplemented: connection closed"
    # -- sessions --
    BOOT_AFTER_RESET_REJECTED = "the first boot after an accepted Reset answered Rejected"
    RESET_ALWAYS_SOFT = "its trigger sends every Reset as type Soft"
    RESET_ALWAYS_HARD = "its trigger sends every Reset as type Hard"
    HARD_RESET_STOP_REFUSED = "StopTransaction reason HardReset refused"
    SOFT_RESET_STOP_REFUSED = "StopTransaction reason SoftReset refused"
    GET_CONFIGURATION_ADDS_KEY = "its trigger asks GetConfiguration for HeartbeatInterval only"
    GET_CONFIGURATION_DROPS_KEY = "its trigger drops GetConfiguration's key list"
    CONFIGURATION_VALUE_AS_NUMBER = "ChangeConfiguration value sent as a number, not a string"
    NOT_ACCEPTED_FAILS_TRIGGER = "a reply status other than Accepted fails its trigger (502)"
    FAULT_INFO_REFUSED = "StatusNotification with info or vendorErrorCode refused"
    BOOT_CLOSES_TRANSACTIONS = "a boot closes the transactions begun before it: stops refused"
    CLEAR_CACHE_FORGETS_TAGS = "after an accepted ClearCache every tag is Invalid"
    STOP_NEEDS_ID_TAG = "StopTransaction without idTag refused"
    CHARGING_AFTER_SUSPENDED_EV_REFUSED = "SuspendedEV → Charging refused"
    START_NEEDS_AUTHORIZE_ON_CONNECTION = (
        "StartTransaction of a tag not authorized on the connection: Invalid"
    )
    INVALID_AUTHORIZE_HOLDS_CONNECTOR = "an Invalid Authorize holds a Preparing connector"
    LOCK_FAILURE_REFUSED = "StatusNotification Faulted ConnectorLockFailure refused"
    INVALID_TX_METER_VALUES_REFUSED = "MeterValues of a transaction of a refused tag refused"
    PENDING_FOREVER = "every boot of a Pending charge point answered Pending"
    METER_VALUES_RATE_LIMITED = "a transaction's MeterValues sampled < 300 s apart refused"
    # -- security --
    INSTALL_CERTIFICATE_CUT = "InstallCertificate relayed with its certificate's last line cut"
    DELETE_CERTIFICATE_OTHER_SERIAL = "DeleteCertificate relayed with another serial number"
    CERTIFICATE_EVENTS_REFUSED = "SecurityEventNotification of an invalid certificate refused"
    LOG_UPLOADED_REFUSED = "LogStatusNotification Uploaded refused"
    SIGNED_FIRMWARE_INSTALLED_REFUSED = "SignedFirmwareStatusNotification Installed refused"
    FIRMWARE_SIGNATURE_EVENT_REFUSED = "SecurityEventNotification InvalidFirmwareSignature refused"
    SECURITY_PROFILE_AS_NUMBER = "ChangeConfiguration SecurityProfile's value sent as a number"
    REJECTED_DOWNGRADE_TAKEN = "a rejected SecurityProfile downgrade taken: the password dropped"
    AUTHORIZATION_KEY_NOT_TAKEN = "an accepted AuthorizationKey not taken as the password"


def _older_than(text: Any, age: timedelta) -> bool:
    moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return moment < datetime.now(UTC) - age


#: Faults that refuse one kind of message: (action, does it refuse this payload, error code).
REFUSALS: dict[Fault, tuple[str, Callable[[dict[str, Any]], bool], str]] = {
    Fault.EV_DISCONNECTED_REFUSED: (
        "StopTransaction",
        lambda p: p.get("reason") == "EVDisconnected",
        "PropertyConstraintViolation",
    ),
    Fault.CONNECTOR_ZERO_ONLY_AVAILABLE: (
        "StatusNotification",
        lambda p: p["connectorId"] == 0 and p["status"] != "Available",
        "PropertyConstraintViolation",
    ),
    Fault.STOP_IN_THE_PAST_REFUSED: (
        "StopTransaction",
        lambda p: _older_than(p["timestamp"], timedelta(minutes=1)),
        "PropertyConstraintViolation",
    ),
    Fault.OLD_METER_VALUES_REFUSED: (
        "MeterValues",
        lambda p: any(_older_than(v["timestamp"], timedelta(hours=1)) for v in p["meterValue"]),
        "PropertyConstraintViolation",
    ),
    Fault.METER_VALUES_NEED_TRANSACTION: (
        "MeterValues",
        lambda p: "transactionId" not in p,
        "OccurenceConstraintViolation",
    ),
    Fault.PARTIAL_ERROR_CODES: (
        "StatusNotification",
        lambda p: p["errorCode"] == "WeakSignal",
        "PropertyConstraintViolation",
    ),
    Fault.SECURITY_EVENT_INTERNAL_ERROR: (
        "SecurityEventNotification",
        lambda p: "techInfo" in p,
        "InternalError",
    ),
    Fault.SIGNED_FIRMWARE_PARTIAL_ENUM: (
        "SignedFirmwareStatusNotification",
        lambda p: p["status"] == "InvalidSignature",
        "PropertyConstraintViolation",
    ),
    Fault.DIAGNOSTICS_PARTIAL_ENUM: (
        "DiagnosticsStatusNotification",
        lambda p: p["status"] == "UploadFailed",
        "PropertyConstraintViolation",
    ),
    # -- reservation --
    Fault.RESERVED_STATUS_REFUSED: (
        "StatusNotification",
        lambda p: p["status"] == "Reserved",
        "PropertyConstraintViolation",
    ),
    Fault.RESERVED_START_REFUSED: (
        "StartTransaction",
        lambda p: "reservationId" in p,
        "PropertyConstraintViolation",
    ),
    # -- remote --
    Fault.REMOTE_STOP_REASON_REFUSED: (
        "StopTransaction",
        lambda p: p.get("reason") == "Remote",
        "PropertyConstraintViolation",
    ),
    Fault.UNLOCK_COMMAND_REASON_REFUSED: (
        "StopTransaction",
        lambda p: p.get("reason") == "UnlockCommand",
        "PropertyConstraintViolation",
    ),
    Fault.UNAVAILABLE_REFUSED: (
        "StatusNotification",
        lambda p: p["status"] == "Unavailable",
        "PropertyConstraintViolation",
    ),
    # -- profiles --
    Fault.FIRMWARE_INSTALLED_REFUSED: (
        "FirmwareStatusNotification",
        lambda p: p["status"] == "Installed",
        "PropertyConstraintViolation",
    ),
    Fault.FIRMWARE_FAILURE_REFUSED: (
        "FirmwareStatusNotification",
        lambda p: p["status"] in ("DownloadFailed", "InstallationFailed"),
        "PropertyConstraintViolation",
    ),
    Fault.DIAGNOSTICS_UPLOADED_REFUSED: (
        "DiagnosticsStatusNotification",
        lambda p: p["status"] == "Uploaded",
        "PropertyConstraintViolation",
    ),
    Fault.TRIGGER_CONTEXT_REFUSED: (
        "MeterValues",
        lambda p: any(
            s.get("context") == "Trigger" for v in p["meterValue"] for s in v["sampledValue"]
        ),
        "PropertyConstraintViolation",
    ),
    # -- sessions --
    Fault.HARD_RESET_STOP_REFUSED: (
        "StopTransaction",
        lambda p: p.get("reason") == "HardReset",
        "PropertyConstraintViolation",
    ),
    Fault.SOFT_RESET_STOP_REFUSED: (
        "StopTransaction",
        lambda p: p.get("reason") == "SoftReset",
        "PropertyConstraintViolation",
    ),
    Fault.FAULT_INFO_REFUSED: (
        "StatusNotification",
        lambda p: "info" in p or "vendorErrorCode" in p,
        "PropertyConstraintViolation",
    ),
    Fault.STOP_NEEDS_ID_TAG: (
        "StopTransaction",
        lambda p: "idTag" not in p,
        "OccurenceConstraintViolation",
    ),
    Fault.LOCK_FAILURE_REFUSED: (
        "StatusNotification",
        lambda p: p["status"] == "Faulted" and p["errorCode"] == "ConnectorLockFailure",
        "PropertyConstraintViolation",
    ),
    # -- security --
    Fault.CERTIFICATE_EVENTS_REFUSED: (
        "SecurityEventNotification",
        lambda p: p["type"] in ("InvalidChargePointCertificate", "InvalidCentralSystemCertificate"),
        "PropertyConstraintViolation",
    ),
    Fault.LOG_UPLOADED_REFUSED: (
        "LogStatusNotification",
        lambda p: p["status"] == "Uploaded",
        "PropertyConstraintViolation",
    ),
    Fault.SIGNED_FIRMWARE_INSTALLED_REFUSED: (
        "SignedFirmwareStatusNotification",
        lambda p: p["status"] == "Installed",
        "InternalError",
    ),
    Fault.FIRMWARE_SIGNATURE_EVENT_REFUSED: (
        "SecurityEventNotification",
        lambda p: p["type"] == "InvalidFirmwareSignature",
        "PropertyConstraintViolation",
    ),
}


def _rewrite(wanted: str, change: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
    """A trigger rewrite that changes the payloads of one action only."""
    return lambda action, payload: change(payload) if action == wanted else payload


#: Faults of the trigger: what it sends instead of the payload it was given.
TRIGGER_REWRITES: dict[Fault, Callable[[str, dict[str, Any]], dict[str, Any]]] = {
    # -- reservation --
    Fault.RESERVE_NOW_OTHER_ID: lambda action, p: (
        p | {"reservationId": p["reservationId"] + 1} if action == "ReserveNow" else p
    ),
    Fault.RESERVE_NOW_CONNECTOR_ONE: lambda action, p: (
        p | {"connectorId": 1} if action == "ReserveNow" and p["connectorId"] == 0 else p
    ),
    Fault.RESERVE_NOW_WITHOUT_PARENT: lambda action, p: (
        {k: v for k, v in p.items() if k != "parentIdTag"} if action == "ReserveNow" else p
    ),
    Fault.CANCEL_OTHER_RESERVATION: lambda action, p: (
        p | {"reservationId": p["reservationId"] + 1} if action == "CancelReservation" else p
    ),
    # -- smart --
    Fault.PROFILE_RATE_UNIT_SWAPPED: lambda action, p: _rewrite_schedule(
        action, p, lambda s: s | {"chargingRateUnit": "W" if s["chargingRateUnit"] == "A" else "A"}
    ),
    Fault.PROFILE_PERIODS_TRUNCATED: lambda action, p: _rewrite_schedule(
        action, p, lambda s: s | {"chargingSchedulePeriod": s["chargingSchedulePeriod"][:1]}
    ),
    Fault.PROFILE_TRANSACTION_ID_DROPPED: lambda action, p: _rewrite_profile(
        action, p, lambda c: {k: v for k, v in c.items() if k != "transactionId"}
    ),
    Fault.PROFILE_STACK_LEVEL_FLATTENED: lambda action, p: _rewrite_profile(
        action, p, lambda c: c | {"stackLevel": 0}
    ),
    Fault.REMOTE_START_PROFILE_DROPPED: lambda action, p: (
        {k: v for k, v in p.items() if k != "chargingProfile"}
        if action == "RemoteStartTransaction"
        else p
    ),
    Fault.CLEAR_PROFILE_WITHOUT_ID: lambda action, p: (
        {k: v for k, v in p.items() if k != "id"} if action == "ClearChargingProfile" else p
    ),
    # -- remote --
    Fault.REMOTE_START_OTHER_CONNECTOR: lambda action, p: (
        p | {"connectorId": p.get("connectorId", 0) + 1}
        if action == "RemoteStartTransaction"
        else p
    ),
    Fault.REMOTE_STOP_OTHER_TRANSACTION: lambda action, p: (
        p | {"transactionId": p["transactionId"] + 1} if action == "RemoteStopTransaction" else p
    ),
    Fault.UNLOCK_OTHER_CONNECTOR: lambda action, p: (
        p | {"connectorId": p["connectorId"] + 1} if action == "UnlockConnector" else p
    ),
    # -- profiles --
    Fault.LOCAL_LIST_EMPTIED: lambda action, p: (
        p | {"localAuthorizationList": []} if action == "SendLocalList" else p
    ),
    Fault.LOCAL_LIST_VERSION_STALE: lambda action, p: (
        p | {"listVersion": 1} if action == "SendLocalList" else p
    ),
    Fault.TRIGGER_DROPS_CONNECTOR_ID: lambda action, p: (
        {k: v for k, v in p.items() if k != "connectorId"} if action == "TriggerMessage" else p
    ),
    # -- sessions --
    Fault.RESET_ALWAYS_SOFT: _rewrite("Reset", lambda p: p | {"type": "Soft"}),
    Fault.RESET_ALWAYS_HARD: _rewrite("Reset", lambda p: p | {"type": "Hard"}),
    Fault.GET_CONFIGURATION_ADDS_KEY: _rewrite(
        "GetConfiguration", lambda p: p if "key" in p else p | {"key": ["HeartbeatInterval"]}
    ),
    Fault.GET_CONFIGURATION_DROPS_KEY: _rewrite(
        "GetConfiguration", lambda p: {k: v for k, v in p.items() if k != "key"}
    ),
    Fault.CONFIGURATION_VALUE_AS_NUMBER: _rewrite(
        "ChangeConfiguration",
        lambda p: p | {"value": int(p["value"])} if p["value"].lstrip("-").isdigit() else p,
    ),
    # -- security --
    Fault.INSTALL_CERTIFICATE_CUT: lambda action, p: (
        p | {"certificate": p["certificate"].strip().rsplit("\n", 1)[0] + "\n"}
        if action == "InstallCertificate"
        else p
    ),
    Fault.DELETE_CERTIFICATE_OTHER_SERIAL: lambda action, p: (
        p | {"certificateHashData": p["certificateHashData"] | {"serialNumber": "1"}}
        if action == "DeleteCertificate"
        else p
    ),
    Fault.SECURITY_PROFILE_AS_NUMBER: lambda action, p: (
        p | {"value": int(p["value"])} if p.get("key") == "SecurityProfile" else p
    ),
}


def _rewrite_profile(
    action: str, payload: dict[str, Any], change: Callable[[dict[str, Any]], dict[str, Any]]
) -> dict[str, Any]:
    """SetChargingProfile with its csChargingProfiles changed (other actions unchanged)."""
    if action != "SetChargingProfile":
        return payload
    return payload | {"csChargingProfiles": change(payload["csChargingProfiles"])}


def _rewrite_schedule(
    action: str, payload: dict[str, Any], change: Callable[[dict[str, Any]], dict[str, Any]]
) -> dict[str, Any]:
    """SetChargingProfile with the chargingSchedule of its profile changed."""
    return _rewrite_profile(
        action, payload, lambda c: c | {"chargingSchedule": change(c["chargingSchedule"])}
    )


#: The answers by which a charge point says yes to a CALL (CLOSES_UNLESS_ACCEPTED).
YES_STATUSES = frozenset({"Accepted", "Unlocked"})


#: Faults in taking a charge point's CALLRESULT to its own CALL: (action, does it mishandle
#: this reply payload, what it does then: "fail" its trigger or "close" the connection).
REPLY_FAULTS: dict[Fault, tuple[str, Callable[[dict[str, Any]], bool], str]] = {
    # -- profiles --
    Fault.LIST_VERSION_NEGATIVE_REFUSED: (
        "GetLocalListVersion",
        lambda p: p["listVersion"] < 0,
        "fail",
    ),
    Fault.LIST_VERSION_ZERO_MISSING: (
        "GetLocalListVersion",
        lambda p: not p["listVersion"],
        "fail",
    ),
    Fault.LOCAL_LIST_REFUSAL_CLOSES: (
        "SendLocalList",
        lambda p: p["status"] != "Accepted",
        "close",
    ),
    Fault.LOCAL_LIST_VERSION_MISMATCH_UNKNOWN: (
        "SendLocalList",
        lambda p: p["status"] == "VersionMismatch",
        "fail",
    ),
    Fault.TRIGGER_REFUSAL_CLOSES: ("TriggerMessage", lambda p: p["status"] != "Accepted", "close"),
}


@dataclass
class _Transaction:
    connector: int
    id_tag: str
    meter_start: int
    timestamp: str
    connection: ServerConnection
    open: bool = True


@dataclass
class MutantCentralSystem:
    fault: Fault
    tags: dict[str, str]  # tag -> status
    password: str | None = None
    tls: bool = False
    server: Server | None = None
    sessions: dict[str, ServerConnection] = field(default_factory=dict)
    held_until: dict[str, datetime] = field(default_factory=dict)
    transactions: dict[int, _Transaction] = field(default_factory=dict)
    statuses: dict[tuple[str, int], str] = field(default_factory=dict)
    booted_at: dict[str, datetime] = field(default_factory=dict)
    connections: dict[str, int] = field(default_factory=dict)
    call_times: dict[ServerConnection, list[float]] = field(default_factory=dict)
    awaiting: dict[ServerConnection, asyncio.Event] = field(default_factory=dict)
    booting: int = 0
    blocked_seen: bool = False
    #: Per-id passwords (set through the trigger's set-basic-auth-password).
    passwords: dict[str, str] = field(default_factory=dict)
    #: Parent id tags of tags created through the trigger.
    parents: dict[str, str] = field(default_factory=lambda: dict(PARENTS))
    #: Replies awaited to the CALLs it sent (by message id).
    pending: dict[str, asyncio.Future[Any]] = field(default_factory=dict)
    #: REFUSED_RESERVATION_KEPT: the last ReserveNow per id, (connectorId, idTag), whatever
    #: the answer.
    kept_reservations: dict[str, tuple[int, str]] = field(default_factory=dict)
    #: Charge points that accepted a charging profile (METER_VALUES_REFUSED_UNDER_PROFILE).
    profiled: set[str] = field(default_factory=set)
    #: Tags of rejected remote starts (REJECTED_REMOTE_START_HOLDS_TAG).
    held_tags: set[str] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    #: Tags an Authorize was answered for (START_NEEDS_AUTHORIZE).
    authorized: set[str] = field(default_factory=set)
    _ca: tuple[ec.EllipticCurvePrivateKey, x509.Certificate] | None = None
    #: Per charge point: the tags of its accepted RemoteStarts not yet started, each with
    #: whether it was authorized since (the remote-control faults read it).
    remote_starts: dict[str, dict[str, bool]] = field(default_factory=dict)
    # -- sessions --
    #: Boots per charge point (the Pending policy), ids reset since their last boot, tags
    #: authorized per connection, connectors held by an Invalid Authorize, a cleared cache.
    boots: dict[str, int] = field(default_factory=dict)
    reset_ids: set[str] = field(default_factory=set)
    authorized_on: set[tuple[ServerConnection, str]] = field(default_factory=set)
    held_connectors: set[tuple[str, int]] = field(default_factory=set)
    cache_cleared: bool = False
    sampled_at: dict[int, datetime] = field(default_factory=dict)

    @property
    def ws_url(self) -> str:
        assert self.server is not None
        host, port = next(iter(self.server.sockets)).getsockname()[:2]
        return f"{'wss' if self.tls else 'ws'}://{host}:{port}"

    # -- the handshake ----------------------------------------------------------------------

    def _select_subprotocol(
        self, connection: ServerConnection, offered: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        if self.fault is Fault.PICKS_FIRST_SUBPROTOCOL and offered:
            return offered[0]
        return Subprotocol(OCPP16) if OCPP16 in offered else None

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        charge_point_id = request.path.rsplit("/", 1)[-1]
        if self.fault is Fault.ALWAYS_401:
            return _response(http.HTTPStatus.UNAUTHORIZED, "wrong or missing credentials")
        given = request.headers.get("Authorization")
        unchecked = self.fault is Fault.MISSING_CREDENTIALS_LET_IN and given is None
        if (
            self.password is not None
            and self.fault is not Fault.NO_PASSWORD_CHECK
            and not unchecked
        ):
            password = self.passwords.get(charge_point_id, self.password)
            expected = base64.b64encode(f"{charge_point_id}:{password}".encode()).decode()
            if given != f"Basic {expected}":
                return _response(http.HTTPStatus.UNAUTHORIZED, "wrong or missing credentials")
        held = self.held_until.get(charge_point_id)
        if held is not None and held > datetime.now(UTC):
            return _response(http.HTTPStatus.CONFLICT, "id held")
        if charge_point_id in self.sessions and self.fault is not Fault.TWO_SESSIONS_PER_ID:
            return _response(http.HTTPStatus.CONFLICT, "connected already")
        self.connections[charge_point_id] = self.connections.get(charge_point_id, 0) + 1
        if self.fault is Fault.CONNECTION_SLOTS_LEAK and self.connections[charge_point_id] > 5:
            return _response(http.HTTPStatus.SERVICE_UNAVAILABLE, "no connection slot")
        offered = request.headers.get_all("Sec-WebSocket-Protocol")
        protocols = {p.strip() for line in offered for p in line.split(",")}
        lenient = (Fault.ACCEPTS_ANY_SUBPROTOCOL, Fault.PICKS_FIRST_SUBPROTOCOL)
        if OCPP16 not in protocols and self.fault not in lenient:
            return _response(http.HTTPStatus.BAD_REQUEST, "no supported subprotocol")
        return None

    # -- one connection ---------------------------------------------------------------------

    async def _session(self, ws: ServerConnection) -> None:
        charge_point_id = ws.request.path.rsplit("/", 1)[-1] if ws.request else "?"
        self.sessions[charge_point_id] = ws
        if self.fault is Fault.NO_PONG:
            send_frame = ws.protocol.send_frame
            ws.protocol.send_frame = lambda frame: (  # type: ignore[method-assign]
                None if frame.opcode is Opcode.PONG else send_frame(frame)
            )
        messages = 0
        try:
            async for raw in ws:
                messages += 1
                await self._frame(ws, charge_point_id, raw)
        except ConnectionClosed:
            pass
        finally:
            if self.sessions.get(charge_point_id) is ws:
                del self.sessions[charge_point_id]
            if self.fault is Fault.FORGETS_TRANSACTIONS_ON_DISCONNECT:
                for number, known in list(self.transactions.items()):
                    if known.connection is ws:
                        del self.transactions[number]
            dropped = ws.protocol.close_rcvd is None
            if dropped and self.fault is Fault.DROP_HOLDS_ID:
                self.held_until[charge_point_id] = datetime.now(UTC) + timedelta(minutes=1)
            if messages == 0 and self.fault is Fault.PROBE_HOLDS_ID:
                self.held_until[charge_point_id] = datetime.now(UTC) + timedelta(minutes=1)

    async def _frame(self, ws: ServerConnection, charge_point_id: str, raw: str | bytes) -> None:
        size = len(raw.encode() if isinstance(raw, str) else raw)
        if size > MAX_FRAME_BYTES and self.fault is Fault.CLOSES_ON_OVERSIZED:
            await ws.close(1009, "too big")
            return
        if isinstance(raw, bytes) and self.fault is Fault.SILENT_ON_BINARY:
            return
        frame = parse_frame(OCPP16, raw, max_frame_bytes=MAX_FRAME_BYTES)
        if isinstance(frame, Rejected):
            await self._rejected(ws, raw, frame)
            return
        if not isinstance(frame, Call):
            waiting_reply = self.pending.pop(frame.unique_id, None)
            if waiting_reply is not None:
                if not waiting_reply.done():
                    waiting_reply.set_result(frame)
                return
            if self.fault is Fault.ANSWERS_STRAY_RESPONSES:
                await _send(ws, [4, frame.unique_id, "GenericError", "unknown id", {}])
            return
        if self.fault is Fault.FLOOD_CLOSE:
            times = self.call_times.setdefault(ws, [])
            now = asyncio.get_running_loop().time()
            times.append(now)
            if len(times) > 10 and now - times[0] < 30.0:
                await ws.close(1008, "flood")
                return
        waiting = self.awaiting.get(ws)
        if waiting is not None:  # BLOCKS_WHILE_AWAITING: the CALLRESULT behind this is unread
            closed = asyncio.ensure_future(ws.wait_closed())
            answered = asyncio.ensure_future(waiting.wait())
            await asyncio.wait([closed, answered], return_when=asyncio.FIRST_COMPLETED)
            closed.cancel()
            answered.cancel()
        message_id = frame.unique_id
        if self.fault is Fault.TRUNCATES_MESSAGE_IDS:
            message_id = message_id[:20]
        try:
            reply = await self._call(ws, charge_point_id, frame)
        except OCPPError as error:
            await _send(ws, [4, message_id, error.code, error.description, {}])
            return
        if reply is not None:
            await _send(ws, [3, message_id, reply])

    async def _rejected(self, ws: ServerConnection, raw: str | bytes, frame: Rejected) -> None:
        reply = frame.reply
        if reply is None:
            if self.fault is Fault.ANSWERS_STRAY_RESPONSES:
                await _send(ws, [4, frame.message_id or "-1", "GenericError", "", {}])
            return
        text = raw if isinstance(raw, str) else ""
        if (
            self.fault is Fault.SILENT_ON_INVALID_JSON
            and text.startswith("[")
            and not _is_json(text)
        ):
            return
        if self.fault is Fault.SILENT_ON_UNKNOWN_MESSAGE_TYPE and "MessageTypeId" in (
            frame.error.description or ""
        ):
            return
        code = reply.error_code
        if self.fault is Fault.INTERNAL_ERROR_ON_SHORT_CALL and code == "ProtocolError":
            code = "InternalError"
        if self.fault is Fault.OCPP201_ERROR_NAMES and code == "FormationViolation":
            code = "FormatViolation"
        await _send(ws, [4, reply.unique_id, code, reply.error_description, {}])

    async def _call(
        self, ws: ServerConnection, charge_point_id: str, call: Call
    ) -> dict[str, Any] | None:
        action, payload = call.action, call.payload
        if not is_known_action(OCPP16, action):
            if self.fault is Fault.CLOSES_ON_UNKNOWN_ACTION:
                await ws.close(1011, "unknown action")
                return None
            raise _error("NotImplemented", f"{action} is not an OCPP 1.6 action")
        if action in CENTRAL_SYSTEM_ACTIONS:
            if self.fault is Fault.INTERNAL_ERROR_ON_CENTRAL_SYSTEM_ACTION:
                raise _error("InternalError", "no handler")
            raise _error("NotSupported", f"{action} is sent by a central system")
        if self.fault is Fault.PARTIAL_STATUS_ENUM and payload.get("status") == "SuspendedEVSE":
            raise _error("PropertyConstraintViolation", "unknown status")
        tag = payload.get("idTag") if isinstance(payload, dict) else None
        if self.fault is Fault.OFF_BY_ONE_LENGTH and isinstance(tag, str) and len(tag) >= 20:
            raise _error("TypeConstraintViolation", "idTag too long")
        try:
            validate_request(OCPP16, action, payload)
        except OCPPError as error:
            code = error.code
            if self.fault is Fault.NO_LENGTH_CHECK and "maxLength" in str(error.details):
                return await self._handled(ws, charge_point_id, action, payload)
            missing = code == "OccurenceConstraintViolation"
            if self.fault is Fault.INTERNAL_ERROR_ON_MISSING_FIELD and missing:
                raise _error("InternalError", "KeyError: chargePointModel") from None
            if self.fault is Fault.GENERIC_ERROR_ON_TYPE and code == "TypeConstraintViolation":
                raise _error("GenericError", "bad type") from None
            if not (
                self.fault is Fault.NO_SCHEMA_VALIDATION and code == "PropertyConstraintViolation"
            ):
                raise
        return await self._handled(ws, charge_point_id, action, payload)

    async def _handled(
        self, ws: ServerConnection, charge_point_id: str, action: str, payload: dict[str, Any]
    ) -> dict[str, Any] | None:
        refusal = REFUSALS.get(self.fault)
        if refusal is not None and refusal[0] == action and refusal[1](payload):
            raise _error(refusal[2], f"{self.fault.value}")
        override = self._reservation_fault(charge_point_id, action, payload)
        if override is not None:
            return override
        handler = getattr(self, f"_on_{action}", None)
        if handler is None:
            return {}
        reply: dict[str, Any] | None = await handler(ws, charge_point_id, payload)
        return self._remote_control(charge_point_id, action, payload, reply)

    # -- its own CALLs ----------------------------------------------------------------------

    async def after_reply(
        self, charge_point_id: str, action: str, payload: dict[str, Any], reply: Any
    ) -> None:
        """What it does once a charge point answered a CALL it sent (as the built-in does:
        an accepted AuthorizationKey becomes the id's password)."""
        accepted = getattr(reply, "payload", {}).get("status") == "Accepted"
        rotates = action == "ChangeConfiguration" and payload.get("key") == "AuthorizationKey"
        if rotates and accepted and self.fault is not Fault.AUTHORIZATION_KEY_NOT_TAKEN:
            self.passwords[charge_point_id] = str(payload["value"])
        profile = action == "ChangeConfiguration" and payload.get("key") == "SecurityProfile"
        if profile and self.fault is Fault.REJECTED_DOWNGRADE_TAKEN:
            self.passwords[charge_point_id] = f"dropped-{next(self._ids)}"
        if action == "ReserveNow" and self.fault is Fault.REFUSED_RESERVATION_KEPT:
            self.kept_reservations[charge_point_id] = (payload["connectorId"], payload["idTag"])
        # -- smart --
        if accepted and action in ("SetChargingProfile", "RemoteStartTransaction"):
            self.profiled.add(charge_point_id)
        rejected = getattr(reply, "payload", {}).get("status") == "Rejected"
        if rejected and action == "RemoteStartTransaction":
            self.held_tags.add(str(payload.get("idTag")))
        schedule = "chargingSchedule" in getattr(reply, "payload", {})
        if self.fault is Fault.COMPOSITE_SCHEDULE_REFUSED and schedule:
            from simulator.check.trigger import TriggerFailed

            raise TriggerFailed(f"{charge_point_id}: the composite schedule could not be read")
        await self._after_remote_call(charge_point_id, action, payload, reply)
        # -- sessions --
        status = getattr(reply, "payload", {}).get("status")
        if action == "Reset" and accepted:
            self.reset_ids.add(charge_point_id)
        if action == "ClearCache" and accepted:
            self.cache_cleared = self.fault is Fault.CLEAR_CACHE_FORGETS_TAGS
        if self.fault is Fault.NOT_ACCEPTED_FAILS_TRIGGER and status not in (None, "Accepted"):
            from simulator.check.trigger import TriggerFailed

            raise TriggerFailed(f"HTTP 502 the charge point answered {action} {status}")

    # -- handlers ---------------------------------------------------------------------------

    def _now(self) -> str:
        moment = datetime.now(UTC)
        if self.fault is Fault.CLOCK_AN_HOUR_AHEAD:
            moment += timedelta(hours=1)
        return moment.isoformat().replace("+00:00", "Z")

    async def _on_BootNotification(
        self, ws: ServerConnection, cp: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        self.booted_at[cp] = datetime.now(UTC)
        if self.fault is Fault.BOOT_LOCK:
            self.booting += 1
            try:
                if self.booting > 3:
                    raise _error("InternalError", "database is locked")
                await asyncio.sleep(1.5)  # long enough for the burst to overlap on a loaded machine
            finally:
                self.booting -= 1
        # -- sessions --
        earlier = self.boots.get(cp, 0)
        self.boots[cp] = earlier + 1
        if cp in PENDING_IDS and (earlier == 0 or self.fault is Fault.PENDING_FOREVER):
            return {"status": "Pending", "currentTime": self._now(), "interval": 1}
        if cp in self.reset_ids and self.fault is Fault.BOOT_AFTER_RESET_REJECTED:
            self.reset_ids.discard(cp)
            return {"status": "Rejected", "currentTime": self._now(), "interval": 300}
        reply: dict[str, Any] = {"status": "Accepted", "currentTime": self._now(), "interval": 300}
        if self.fault is Fault.NO_HEARTBEAT_INTERVAL:
            del reply["interval"]
        return reply

    async def _on_Heartbeat(self, ws: ServerConnection, cp: str, payload: Any) -> dict[str, Any]:
        return {"currentTime": self._now()}

    def _status_of(self, tag: str) -> str:
        if self.cache_cleared:  # -- sessions -- CLEAR_CACHE_FORGETS_TAGS
            return "Invalid"
        status = self.tags.get(tag, "Invalid")
        if status == "Blocked" and self.fault is Fault.ACCEPTS_BLOCKED:
            return "Accepted"
        if status == "Blocked" and self.fault is Fault.ACCEPTS_BLOCKED_ONCE:
            first, self.blocked_seen = not self.blocked_seen, True
            return "Accepted" if first else status
        if status == "Expired" and self.fault is Fault.ACCEPTS_EXPIRED:
            return "Accepted"
        if tag not in self.tags and self.fault is Fault.ACCEPTS_UNKNOWN:
            return "Accepted"
        return status

    async def _on_StatusNotification(
        self, ws: ServerConnection, cp: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        key = (cp, payload["connectorId"])
        previous = self.statuses.get(key)
        if self.fault is Fault.AVAILABLE_AFTER_PREPARING_REFUSED and (
            previous == "Preparing" and payload["status"] == "Available"
        ):
            raise _error("PropertyConstraintViolation", "Available without a transaction")
        if self.fault is Fault.REPEATED_STATUS_REFUSED and previous == payload["status"]:
            raise _error("PropertyConstraintViolation", "no change of status")
        if self.fault is Fault.CHARGING_AFTER_SUSPENDED_EV_REFUSED and (
            previous == "SuspendedEV" and payload["status"] == "Charging"
        ):
            raise _error("PropertyConstraintViolation", "Charging after SuspendedEV")
        self.statuses[key] = payload["status"]
        return {}

    def _info(self, tag: str) -> dict[str, str]:
        info = {"status": self._status_of(tag)}
        parent = self.parents.get(tag)
        if parent is not None and self.fault is not Fault.NO_PARENT_ID_TAG:
            info["parentIdTag"] = parent
        return info

    async def _on_Authorize(
        self, ws: ServerConnection, cp: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        self.authorized_on.add((ws, payload["idTag"]))
        if self.fault is Fault.INVALID_AUTHORIZE_HOLDS_CONNECTOR and (
            self._status_of(payload["idTag"]) == "Invalid"
        ):
            self.held_connectors |= {
                key
                for key, status in self.statuses.items()
                if key[0] == cp and status == "Preparing"
            }
        if self.fault is Fault.AUTHORIZE_NEEDS_PREPARING and not any(
            status == "Preparing" for (who, _), status in self.statuses.items() if who == cp
        ):
            return {"idTagInfo": {"status": "Invalid"}}
        self.authorized.add(payload["idTag"])
        held = self.fault is Fault.REJECTED_REMOTE_START_HOLDS_TAG
        if held and payload["idTag"] in self.held_tags:
            return {"idTagInfo": {"status": "ConcurrentTx"}}
        return {"idTagInfo": self._info(payload["idTag"])}

    async def _on_StartTransaction(
        self, ws: ServerConnection, cp: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        started = datetime.fromisoformat(payload["timestamp"].replace("Z", "+00:00"))
        if self.fault is Fault.REFUSES_OFFLINE_START and started < datetime.now(UTC) - timedelta(
            hours=1
        ):
            raise _error("PropertyConstraintViolation", "timestamp too old")
        info = {"status": self._status_of(payload["idTag"])}
        if self.fault is Fault.START_NEEDS_AUTHORIZE and payload["idTag"] not in self.authorized:
            info = {"status": "Invalid"}
        if self.fault is Fault.INVALID_TAG_START_REFUSED and info["status"] != "Accepted":
            raise _error("PropertyConstraintViolation", "tag not accepted")
        unauthorized = (ws, payload["idTag"]) not in self.authorized_on
        if self.fault is Fault.START_NEEDS_AUTHORIZE_ON_CONNECTION and unauthorized:
            info = {"status": "Invalid"}
        if self.fault is Fault.INVALID_AUTHORIZE_HOLDS_CONNECTOR and (
            (cp, payload["connectorId"]) in self.held_connectors
        ):
            info = {"status": "ConcurrentTx"}
        fields = (payload["connectorId"], payload["idTag"], payload["meterStart"])
        if self.fault is not Fault.NEW_TRANSACTION_ON_RETRANSMIT:
            for number, known in self.transactions.items():
                same = (known.connector, known.id_tag, known.meter_start) == fields
                if known.open and same and known.timestamp == payload["timestamp"]:
                    return {"transactionId": number, "idTagInfo": info}
        number = 1 if self.fault is Fault.REUSES_TRANSACTION_ID else next(self._ids)
        self.transactions[number] = _Transaction(*fields, payload["timestamp"], ws)
        if self.fault is Fault.TRANSACTION_ID_ZERO:
            return {"transactionId": 0, "idTagInfo": info}
        return {"transactionId": number, "idTagInfo": info}

    async def _on_StopTransaction(
        self, ws: ServerConnection, cp: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        known = self.transactions.get(payload["transactionId"])
        booted = self.booted_at.get(cp)
        stopped = datetime.fromisoformat(payload["timestamp"].replace("Z", "+00:00"))
        if self.fault is Fault.STOP_BEFORE_BOOT_REFUSED and booted and stopped < booted:
            raise _error("PropertyConstraintViolation", "stop before the boot")
        if known is None and self.fault is Fault.CALLERROR_FOR_UNKNOWN_STOP:
            raise _error("PropertyConstraintViolation", "unknown transaction")
        if self.fault is Fault.BOOT_CLOSES_TRANSACTIONS and known is not None and booted:
            begun = datetime.fromisoformat(known.timestamp.replace("Z", "+00:00"))
            if begun < booted:
                raise _error("PropertyConstraintViolation", "transaction closed at the reboot")
        if known is not None:
            known.open = False
        if "idTag" in payload and self.fault is not Fault.STOP_WITHOUT_ID_TAG_INFO:
            return {"idTagInfo": self._info(payload["idTag"])}
        return {}

    async def _on_MeterValues(
        self, ws: ServerConnection, cp: str, payload: dict[str, Any]
    ) -> dict[str, Any] | None:
        unknown = (
            payload.get("transactionId", 0) and payload["transactionId"] not in self.transactions
        )
        if self.fault is Fault.FORGETS_TRANSACTIONS_ON_DISCONNECT and unknown:
            raise _error("PropertyConstraintViolation", "unknown transaction")
        if self.fault is Fault.METER_VALUES_REFUSED_UNDER_PROFILE and cp in self.profiled:
            raise _error("InternalError", "the charging profile's transaction is locked")
        known = self.transactions.get(payload.get("transactionId", 0))
        refused = known is not None and self.tags.get(known.id_tag, "Invalid") != "Accepted"
        if self.fault is Fault.INVALID_TX_METER_VALUES_REFUSED and refused:
            raise _error("PropertyConstraintViolation", "the transaction's tag is refused")
        if self.fault is Fault.METER_VALUES_RATE_LIMITED and known is not None:
            number = payload["transactionId"]
            for value in payload["meterValue"]:
                moment = datetime.fromisoformat(value["timestamp"].replace("Z", "+00:00"))
                previous = self.sampled_at.get(number)
                if previous is not None and abs(moment - previous) < timedelta(seconds=300):
                    raise _error("PropertyConstraintViolation", "sampled too often")
                self.sampled_at[number] = moment
        return None if self.fault is Fault.DROPS_METER_VALUES else {}

    async def _on_DataTransfer(self, ws: ServerConnection, cp: str, payload: Any) -> dict[str, Any]:
        if self.fault is Fault.CALLERROR_ON_DATA_TRANSFER:
            raise _error("NotSupported", "no data transfer")
        return {"status": "UnknownVendorId"}

    async def _on_FirmwareStatusNotification(
        self, ws: ServerConnection, cp: str, payload: Any
    ) -> dict[str, Any]:
        if self.fault is Fault.FIRMWARE_STATUS_INTERNAL_ERROR:
            raise _error("InternalError", "no table")
        return {}

    async def _on_DiagnosticsStatusNotification(
        self, ws: ServerConnection, cp: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        if (
            self.fault is Fault.DIAGNOSTICS_FAILURE_OFF_SCHEMA
            and payload["status"] == "UploadFailed"
        ):
            return {"status": "Rejected"}
        return {}

    async def _on_SignCertificate(
        self, ws: ServerConnection, cp: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        csr = x509.load_pem_x509_csr(payload["csr"].encode())
        if self.fault is Fault.BLOCKS_WHILE_AWAITING:
            self.awaiting[ws] = asyncio.Event()
        if self.fault is not Fault.NO_CERTIFICATE_SIGNED:
            chain = self._sign(csr)
            asyncio.get_running_loop().call_soon(
                lambda: asyncio.ensure_future(_send(ws, self._certificate_signed(chain)))
            )
        return {"status": "Accepted"}

    # -- reservation --
    def _reservation_fault(
        self, cp: str, action: str, payload: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The reservation faults that depend on what came before: a CALLERROR raised, or the
        reply that replaces the handler's."""
        if self.fault is Fault.AVAILABLE_AFTER_RESERVED_REFUSED and action == "StatusNotification":
            previous = self.statuses.get((cp, payload["connectorId"]))
            if previous == "Reserved" and payload["status"] == "Available":
                raise _error("PropertyConstraintViolation", "Available without a transaction")
        if self.fault is Fault.AUTHORIZE_WITHOUT_PARENT and action == "Authorize":
            return {"idTagInfo": {"status": self._status_of(payload["idTag"])}}
        kept = self.kept_reservations.get(cp)
        if kept is not None and action == "StartTransaction" and "reservationId" not in payload:
            connector, tag = kept
            if payload["idTag"] != tag and connector in (0, payload["connectorId"]):
                return {"transactionId": next(self._ids), "idTagInfo": {"status": "Blocked"}}
        return None

    def _certificate_signed(self, chain: str) -> list[Any]:
        message_id = "c" * 40 if self.fault is Fault.LONG_CALL_IDS else "cs-1"
        payload: dict[str, Any] = {"certificateChain": chain}
        if self.fault is Fault.CERTIFICATE_SIGNED_OFF_SCHEMA:
            payload["format"] = "PEM"
        return [2, message_id, "CertificateSigned", payload]

    def _sign(self, csr: x509.CertificateSigningRequest) -> str:
        if self._ca is None:
            key = ec.generate_private_key(ec.SECP256R1())
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mutant test CA")])
            now = datetime.now(UTC)
            ca = (
                x509.CertificateBuilder()
                .subject_name(name)
                .issuer_name(name)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(minutes=1))
                .not_valid_after(now + timedelta(days=1))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .sign(key, hashes.SHA256())
            )
            self._ca = (key, ca)
        key, ca = self._ca
        now = datetime.now(UTC)
        leaf = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(ca.subject)
            .public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=1))
            .not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256())
        )
        pem = serialization.Encoding.PEM
        return (leaf.public_bytes(pem) + ca.public_bytes(pem)).decode()

    # -- remote control (RemoteStart/Stop, UnlockConnector, ChangeAvailability) --------------

    async def _after_remote_call(
        self, cp: str, action: str, payload: dict[str, Any], reply: Any
    ) -> None:
        status = getattr(reply, "payload", {}).get("status")
        if action == "RemoteStartTransaction" and status == "Accepted":
            self.remote_starts.setdefault(cp, {})[payload["idTag"]] = False
        ws = self.sessions.get(cp)
        ends = action in ("RemoteStopTransaction", "UnlockConnector")
        if ends and self.fault is Fault.ENDS_TRANSACTION_ON_CALL:
            for number, known in self.transactions.items():
                named = number == payload.get("transactionId", number)
                on_connector = known.connector == payload.get("connectorId", known.connector)
                if known.connection is ws and named and on_connector:
                    known.open = False
        unwelcome = status is not None and status not in YES_STATUSES
        if unwelcome and self.fault is Fault.CLOSES_UNLESS_ACCEPTED and ws is not None:
            await ws.close(1011, f"{action} {status}")

    def _remote_control(
        self, cp: str, action: str, payload: dict[str, Any], reply: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        """The remote-control faults, on the reply to a charge point's message."""
        pending = self.remote_starts.setdefault(cp, {})
        tag = payload.get("idTag")
        if action == "BootNotification":
            pending.clear()
        elif action == "Authorize" and tag in pending and reply is not None:
            pending[tag] = True
            if self.fault is Fault.REMOTE_START_CONCURRENT_TX:
                reply = {"idTagInfo": {"status": "ConcurrentTx"}}
            if self.fault is Fault.REMOTE_TAG_TRUSTED:
                reply = {"idTagInfo": {"status": "Accepted"}}
        elif action == "StartTransaction" and tag in pending and reply is not None:
            if not pending.pop(tag) and self.fault is Fault.REMOTE_START_NEEDS_AUTHORIZE:
                reply = reply | {"idTagInfo": {"status": "Invalid"}}
        elif action == "StatusNotification" and payload.get("status") == "Available" and pending:
            pending.clear()
            if self.fault is Fault.REMOTE_START_TIMEOUT_REFUSED:
                raise _error("PropertyConstraintViolation", "a remote start is pending")
        elif action == "MeterValues" and self.fault is Fault.ENDS_TRANSACTION_ON_CALL:
            known = self.transactions.get(payload.get("transactionId", 0))
            if known is not None and not known.open:
                raise _error("PropertyConstraintViolation", "the transaction has ended")
        return reply


class MutantTrigger:
    """The trigger of a mutant, in process: its CALLs go over the real websocket."""

    def __init__(self, central: MutantCentralSystem, timeout_s: float) -> None:
        self.central = central
        self.timeout_s = timeout_s
        self.description = f"the mutant's trigger ({central.fault.name})"
        self._ids = itertools.count(1)

    async def send(self, charge_point_id: str, action: str, payload: Any) -> None:
        from simulator.check.trigger import TriggerFailed

        central = self.central
        ws = central.sessions.get(charge_point_id)
        if ws is None:
            raise TriggerFailed(f"{charge_point_id} is not connected")
        if central.fault is Fault.TRIGGER_IGNORED:
            return
        rewrite = TRIGGER_REWRITES.get(central.fault)
        payload = rewrite(action, dict(payload)) if rewrite is not None else dict(payload)
        message_id = f"mutant-{next(self._ids)}"
        reply: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        central.pending[message_id] = reply
        await _send(ws, [2, message_id, action, payload])
        try:
            async with asyncio.timeout(self.timeout_s):
                await reply
        except TimeoutError:
            raise TriggerFailed(f"{charge_point_id} did not answer {action}") from None
        finally:
            central.pending.pop(message_id, None)
        await central.after_reply(charge_point_id, action, payload, reply.result())
        mishandled = REPLY_FAULTS.get(central.fault)
        answer = getattr(reply.result(), "payload", None)  # CALLERRORs have none
        if mishandled and mishandled[0] == action and isinstance(answer, dict):
            if mishandled[1](answer) and mishandled[2] == "fail":
                raise TriggerFailed(f"{central.fault.value}: HTTP 502")
            if mishandled[1](answer) and mishandled[2] == "close":
                await ws.close(1011, central.fault.value)

    async def create_token(
        self,
        id_tag: str,
        status: str,
        *,
        parent_id_tag: str | None = None,
        expiry_date: str | None = None,
    ) -> None:
        self.central.tags[id_tag] = status
        if parent_id_tag is not None:
            self.central.parents[id_tag] = parent_id_tag

    async def set_password(self, charge_point_id: str, password: str) -> None:
        self.central.passwords[charge_point_id] = password


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _response(status: http.HTTPStatus, text: str) -> Response:
    body = f"{text}\n".encode()
    headers = Headers([("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    if status is http.HTTPStatus.UNAUTHORIZED:
        headers["WWW-Authenticate"] = 'Basic realm="mutant"'
    return Response(status.value, status.phrase, headers, body)


def _error(code: str, description: str) -> OCPPError:
    error = OCPPError(description=description)
    error.code = code
    return error


async def _send(ws: ServerConnection, message: list[Any]) -> None:
    with contextlib.suppress(ConnectionClosed):
        await ws.send(json.dumps(message))


@contextlib.asynccontextmanager
async def mutant(
    fault: Fault,
    tags: dict[str, str],
    password: str | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> AsyncIterator[MutantCentralSystem]:
    """A mutant listening on 127.0.0.1 (a free port) for as long as the block runs."""
    central = MutantCentralSystem(fault, dict(tags), password, tls=ssl_context is not None)
    async with serve(
        central._session,
        "127.0.0.1",
        0,
        select_subprotocol=central._select_subprotocol,
        process_request=central._process_request,
        max_size=4 * MAX_FRAME_BYTES,
        compression=None,
        ssl=ssl_context,
    ) as server:
        central.server = server
        yield central


@contextlib.contextmanager
def mutant_in_thread(
    fault: Fault, tags: dict[str, str], password: str | None = None
) -> Iterator[str]:
    """A mutant served by its own event loop in a thread (for code that runs its own loop,
    as `chargenet check` in this process does); yields its ws_url."""
    started = threading.Event()
    state: dict[str, Any] = {}

    async def serve_until_stopped() -> None:
        async with mutant(fault, tags, password) as central:
            state["url"] = central.ws_url
            state["loop"] = asyncio.get_running_loop()
            state["stop"] = asyncio.Event()
            started.set()
            await state["stop"].wait()

    thread = threading.Thread(target=lambda: asyncio.run(serve_until_stopped()), daemon=True)
    thread.start()
    assert started.wait(60), "the mutant did not start"
    try:
        yield str(state["url"])
    finally:
        state["loop"].call_soon_threadsafe(state["stop"].set)
        thread.join(60)
