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


#: Faults of the trigger: what it sends instead of the payload it was given.
TRIGGER_REWRITES: dict[Fault, Callable[[str, dict[str, Any]], dict[str, Any]]] = {
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
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _ca: tuple[ec.EllipticCurvePrivateKey, x509.Certificate] | None = None

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
        handler = getattr(self, f"_on_{action}", None)
        if handler is None:
            return {}
        reply: dict[str, Any] | None = await handler(ws, charge_point_id, payload)
        return reply

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
        reply: dict[str, Any] = {"status": "Accepted", "currentTime": self._now(), "interval": 300}
        if self.fault is Fault.NO_HEARTBEAT_INTERVAL:
            del reply["interval"]
        return reply

    async def _on_Heartbeat(self, ws: ServerConnection, cp: str, payload: Any) -> dict[str, Any]:
        return {"currentTime": self._now()}

    def _status_of(self, tag: str) -> str:
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
        if self.fault is Fault.AUTHORIZE_NEEDS_PREPARING and not any(
            status == "Preparing" for (who, _), status in self.statuses.items() if who == cp
        ):
            return {"idTagInfo": {"status": "Invalid"}}
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
        if self.fault is Fault.INVALID_TAG_START_REFUSED and info["status"] != "Accepted":
            raise _error("PropertyConstraintViolation", "tag not accepted")
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
