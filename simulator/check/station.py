"""The scripted charge point a check drives: a raw OCPP-J client (1.6 or 2.0.1) over one
websocket.

Unlike the simulator's charge points it does only what the check tells it: send a CALL
(schema-checked unless the check means to break it) or any raw frame, wait for the reply with
a given message id, answer the backend's CALLs from a table of scripted replies, and record
every frame both ways with its time (the evidence of the verdict). Every wait is bounded by
`timeout_s`; a reply that does not come, or a connection that closes, is a `CheckFailed`.
Its OCPP version (`ocpp1.6` or `ocpp2.0.1`) names the schemas both ways, the frame rules
(2.0.1's error codes), the central system's actions and the scripted replies.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import ssl
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeAlias
from urllib.parse import unquote, urlsplit

from ocpp.messages import Call, CallError, CallResult
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    NegotiationError,
)
from websockets.typing import Subprotocol

from ocppj.frames import Rejected, parse_frame
from ocppj.validation import validate_request, validate_response
from ocppj.versions import OCPP16 as OCPP16  # re-exported: the checks import it from here
from ocppj.versions import OCPP201 as OCPP201
from simulator.check.evidence import Direction
from simulator.check.verdicts import CheckFailed

Frame: TypeAlias = Call | CallResult | CallError | Rejected
Reply: TypeAlias = CallResult | CallError
#: A scripted answer to a backend CALL: the CALLRESULT payload, (error code, description), or
#: a function of the CALL's payload giving the CALLRESULT payload (2.0.1's echoing replies).
ScriptedReply: TypeAlias = (
    "dict[str, Any] | tuple[str, str] | Callable[[Mapping[str, Any]], dict[str, Any]]"
)
Record: TypeAlias = Callable[[Direction, str], None]

#: What the scripted charge point answers to each central-system-initiated 1.6 action unless
#: a check says otherwise: the plain "yes" of each (schema-valid CALLRESULTs).
DEFAULT_REPLIES: Final[Mapping[str, ScriptedReply]] = {
    "CancelReservation": {"status": "Accepted"},
    "CertificateSigned": {"status": "Accepted"},
    "ChangeAvailability": {"status": "Accepted"},
    "ChangeConfiguration": {"status": "Accepted"},
    "ClearCache": {"status": "Accepted"},
    "ClearChargingProfile": {"status": "Accepted"},
    "DataTransfer": {"status": "Accepted"},
    "DeleteCertificate": {"status": "Accepted"},
    "ExtendedTriggerMessage": {"status": "Accepted"},
    "GetCompositeSchedule": {"status": "Rejected"},
    "GetConfiguration": {"configurationKey": [], "unknownKey": []},
    "GetDiagnostics": {},
    "GetInstalledCertificateIds": {"status": "NotFound"},
    "GetLocalListVersion": {"listVersion": 0},
    "GetLog": {"status": "Rejected"},
    "InstallCertificate": {"status": "Accepted"},
    "RemoteStartTransaction": {"status": "Accepted"},
    "RemoteStopTransaction": {"status": "Accepted"},
    "ReserveNow": {"status": "Accepted"},
    "Reset": {"status": "Accepted"},
    "SendLocalList": {"status": "Accepted"},
    "SetChargingProfile": {"status": "Accepted"},
    "SignedUpdateFirmware": {"status": "Accepted"},
    "TriggerMessage": {"status": "Accepted"},
    "UnlockConnector": {"status": "Unlocked"},
    "UpdateFirmware": {},
}


def _variable_results(payload: Mapping[str, Any]) -> dict[str, Any]:
    """GetVariables answered from `VARIABLES_201`: a known variable's value Accepted, any other
    UnknownComponent / UnknownVariable (what a station's device model answers)."""
    results = []
    for item in payload.get("getVariableData", ()):
        component, variable = item["component"], item["variable"]
        result: dict[str, Any] = {
            "attributeType": item.get("attributeType", "Actual"),
            "component": component,
            "variable": variable,
        }
        known = {name for name, _ in VARIABLES_201}
        value = VARIABLES_201.get((component["name"], variable["name"]))
        if value is not None:
            result |= {"attributeStatus": "Accepted", "attributeValue": value}
        elif component["name"] in known:
            result["attributeStatus"] = "UnknownVariable"
        else:
            result["attributeStatus"] = "UnknownComponent"
        results.append(result)
    return {"getVariableResult": results}


def _set_results(payload: Mapping[str, Any]) -> dict[str, Any]:
    """SetVariables: every attribute Accepted."""
    return {
        "setVariableResult": [
            {
                "attributeType": item.get("attributeType", "Actual"),
                "attributeStatus": "Accepted",
                "component": item["component"],
                "variable": item["variable"],
            }
            for item in payload.get("setVariableData", ())
        ]
    }


def _monitor_results(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "setMonitoringResult": [
            {
                "status": "Accepted",
                "type": item["type"],
                "severity": item["severity"],
                "component": item["component"],
                "variable": item["variable"],
            }
            for item in payload.get("setMonitoringData", ())
        ]
    }


def _cleared_monitors(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "clearMonitoringResult": [
            {"status": "Accepted", "id": monitor} for monitor in payload.get("id", ())
        ]
    }


#: The scripted station's device model: (component, variable) → its Actual value, the
#: variables a 2.0.1 station must report (GetVariables answers from it).
VARIABLES_201: Final[Mapping[tuple[str, str], str]] = {
    ("OCPPCommCtrlr", "HeartbeatInterval"): "300",
    ("OCPPCommCtrlr", "NetworkConfigurationPriority"): "1",
    ("OCPPCommCtrlr", "MessageAttempts"): "3",
    ("OCPPCommCtrlr", "MessageAttemptInterval"): "60",
    ("SampledDataCtrlr", "TxUpdatedInterval"): "60",
    ("SampledDataCtrlr", "TxUpdatedMeasurands"): "Energy.Active.Import.Register",
    ("TxCtrlr", "EVConnectionTimeOut"): "60",
    ("TxCtrlr", "TxStartPoint"): "PowerPathClosed",
    ("TxCtrlr", "TxStopPoint"): "EVConnected,Authorized",
    ("AuthCtrlr", "AuthorizeRemoteStart"): "true",
    ("AuthCtrlr", "LocalPreAuthorize"): "false",
    ("SecurityCtrlr", "SecurityProfile"): "1",
    ("DeviceDataCtrlr", "ItemsPerMessage"): "4",
    ("DeviceDataCtrlr", "BytesPerMessage"): "8000",
}

#: What the scripted station answers to each CSMS-initiated 2.0.1 action unless a check says
#: otherwise: the plain "yes" of each, schema-valid (the lists echo what was asked).
DEFAULT_REPLIES_201: Final[Mapping[str, ScriptedReply]] = {
    "CancelReservation": {"status": "Accepted"},
    "CertificateSigned": {"status": "Accepted"},
    "ChangeAvailability": {"status": "Accepted"},
    "ClearCache": {"status": "Accepted"},
    "ClearChargingProfile": {"status": "Accepted"},
    "ClearDisplayMessage": {"status": "Accepted"},
    "ClearVariableMonitoring": _cleared_monitors,
    "CostUpdated": {},
    "CustomerInformation": {"status": "Accepted"},
    "DataTransfer": {"status": "Accepted"},
    "DeleteCertificate": {"status": "Accepted"},
    "GetBaseReport": {"status": "Accepted"},
    "GetChargingProfiles": {"status": "NoProfiles"},
    "GetCompositeSchedule": {"status": "Rejected"},
    "GetDisplayMessages": {"status": "Unknown"},
    "GetInstalledCertificateIds": {"status": "NotFound"},
    "GetLocalListVersion": {"versionNumber": 0},
    "GetLog": {"status": "Rejected"},
    "GetMonitoringReport": {"status": "Accepted"},
    "GetReport": {"status": "Accepted"},
    "GetTransactionStatus": {"messagesInQueue": False},
    "GetVariables": _variable_results,
    "InstallCertificate": {"status": "Accepted"},
    "PublishFirmware": {"status": "Accepted"},
    "RequestStartTransaction": {"status": "Accepted"},
    "RequestStopTransaction": {"status": "Accepted"},
    "ReserveNow": {"status": "Accepted"},
    "Reset": {"status": "Accepted"},
    "SendLocalList": {"status": "Accepted"},
    "SetChargingProfile": {"status": "Accepted"},
    "SetDisplayMessage": {"status": "Accepted"},
    "SetMonitoringBase": {"status": "Accepted"},
    "SetMonitoringLevel": {"status": "Accepted"},
    "SetNetworkProfile": {"status": "Accepted"},
    "SetVariableMonitoring": _monitor_results,
    "SetVariables": _set_results,
    "TriggerMessage": {"status": "Accepted"},
    "UnlockConnector": {"status": "Unlocked"},
    "UnpublishFirmware": {"status": "Unpublished"},
    "UpdateFirmware": {"status": "Accepted"},
}

#: The scripted replies of each version.
DEFAULT_REPLIES_BY_VERSION: Final[Mapping[str, Mapping[str, ScriptedReply]]] = {
    OCPP16: DEFAULT_REPLIES,
    OCPP201: DEFAULT_REPLIES_201,
}
#: The actions a central system sends (the others come from charge points).
CENTRAL_SYSTEM_ACTIONS: Final = frozenset(DEFAULT_REPLIES)
#: The same per version (2.0.1: every CSMS-to-station action).
CENTRAL_SYSTEM_ACTIONS_BY_VERSION: Final[Mapping[str, frozenset[str]]] = {
    version: frozenset(replies) for version, replies in DEFAULT_REPLIES_BY_VERSION.items()
}
#: OCPP-J (1.6 and 2.0.1): a message id is at most 36 characters.
MAX_MESSAGE_ID_CHARS: Final = 36
#: How a verdict names each version.
VERSION_NAMES: Final[Mapping[str, str]] = {OCPP16: "OCPP 1.6", OCPP201: "OCPP 2.0.1"}


def call_violation(call: Call, version: str = OCPP16) -> str | None:
    """What is wrong with a CALL from the backend, if anything: its message id, its action
    (one a central system sends), its payload (schema)."""
    if len(call.unique_id) > MAX_MESSAGE_ID_CHARS:
        return (
            f"{call.action} with a message id of {len(call.unique_id)} characters "
            f"(at most {MAX_MESSAGE_ID_CHARS})"
        )
    if call.action not in CENTRAL_SYSTEM_ACTIONS_BY_VERSION[version]:
        return f"{call.action}: not an action a central system sends"
    try:
        validate_request(version, call.action, call.payload)
    except Exception as exc:  # the OCPPError naming the schema violation
        return f"{call.action} {json.dumps(call.payload)[:200]}: {exc}"
    return None


@dataclass(frozen=True, slots=True)
class Received:
    """A frame from the backend, parsed, with its text as it came."""

    frame: Frame
    text: str

    @property
    def is_response(self) -> bool:
        return isinstance(self.frame, CallResult | CallError)


class HandshakeRefused(Exception):
    """The websocket handshake did not succeed: HTTP status (None: no HTTP answer) and why."""

    def __init__(self, status: int | None, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def describe(frame: Frame) -> str:
    """A short text for a frame in a verdict: `CALLERROR FormationViolation "..."`."""
    if isinstance(frame, CallError):
        return f"CALLERROR {frame.error_code} ({frame.error_description!r}) id {frame.unique_id!r}"
    if isinstance(frame, CallResult):
        return f"CALLRESULT id {frame.unique_id!r} {json.dumps(frame.payload)}"
    if isinstance(frame, Call):
        return f"CALL {frame.action} id {frame.unique_id!r}"
    return f"a defective frame ({frame.error.code}: {frame.error.description})"


class ScriptedChargePoint:
    """One open connection of a check. Built by `connected()`; read by a task it owns."""

    def __init__(
        self,
        ws: ClientConnection,
        record: Record,
        timeout_s: float,
        replies: Mapping[str, ScriptedReply] | None = None,
        charge_point_id: str = "",
        version: str = OCPP16,
    ) -> None:
        self.ws = ws
        #: The id it connected as (the last segment of its URL).
        self.charge_point_id = charge_point_id
        self.timeout_s = timeout_s
        #: The OCPP version it speaks: its schemas both ways and its frame rules.
        self.version = version
        self.replies: dict[str, ScriptedReply] = dict(DEFAULT_REPLIES_BY_VERSION[version])
        self.replies.update(replies or {})
        #: Actions whose CALLs are not answered by the reader: the check answers them itself
        #: (`answer`), e.g. to hold a reply while it sends its own CALL.
        self.held: set[str] = set()
        self.received: list[Received] = []
        #: What was wrong with frames the backend sent unasked (its CALLs, garbage).
        self.violations: list[str] = []
        self.closed = asyncio.Event()
        #: "code 1000 (reason)" once closed.
        self.close_text = ""
        self._record = record
        self._changed = asyncio.Event()
        self._ids = itertools.count(1)
        self._id_prefix = f"chk{int(time.time() * 1000) % 100_000_000}-"

    @property
    def subprotocol(self) -> str | None:
        return self.ws.subprotocol

    def new_id(self) -> str:
        return f"{self._id_prefix}{next(self._ids)}"

    def mark(self) -> int:
        """Where the frames received from now on start (for `since=`)."""
        return len(self.received)

    # -- sending ----------------------------------------------------------------------------

    async def send_raw(self, text: str | bytes) -> None:
        shown = text if isinstance(text, str) else f"<binary {len(text)} bytes> {text[:64]!r}"
        self._record(Direction.SENT, shown)
        try:
            await self.ws.send(text)
        except ConnectionClosed as exc:
            raise CheckFailed(
                "the connection to stay open", f"it closed before the frame was sent ({exc})"
            ) from None

    async def send_call(
        self,
        action: str,
        payload: Mapping[str, Any],
        *,
        message_id: str | None = None,
        validate: bool = True,
    ) -> str:
        """Send a CALL (schema-checked first: a check's own mistake is its error, not a fail)."""
        if validate:
            validate_request(self.version, action, payload)
        message_id = message_id if message_id is not None else self.new_id()
        await self.send_raw(json.dumps([2, message_id, action, payload]))
        return message_id

    async def call(
        self,
        action: str,
        payload: Mapping[str, Any],
        *,
        message_id: str | None = None,
        validate: bool = True,
    ) -> Reply:
        """Send a CALL and wait for the CALLRESULT or CALLERROR carrying its message id."""
        since = self.mark()
        message_id = await self.send_call(action, payload, message_id=message_id, validate=validate)
        return await self.reply_to(message_id, action, since=since)

    async def result(self, action: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Send a valid CALL; the reply must be a CALLRESULT its schema accepts."""
        return checked_result(action, await self.call(action, payload), self.version)

    # -- waiting ----------------------------------------------------------------------------

    async def wait_for(
        self,
        match: Callable[[Received], bool],
        *,
        expected: str,
        since: int = 0,
        timeout_s: float | None = None,
    ) -> Received:
        """The first received frame from `since` on that `match`es, within the timeout."""
        timeout_s = self.timeout_s if timeout_s is None else timeout_s
        try:
            async with asyncio.timeout(timeout_s):
                while True:
                    changed = self._changed
                    for item in self.received[since:]:
                        if match(item):
                            return item
                    if self.closed.is_set():
                        raise CheckFailed(expected, f"the connection closed ({self.close_text})")
                    await changed.wait()
        except TimeoutError:
            raise CheckFailed(expected, f"nothing within {timeout_s:g} s") from None

    async def reply_to(self, message_id: str, action: str, *, since: int = 0) -> Reply:
        item = await self.wait_for(
            lambda r: r.is_response and r.frame.unique_id == message_id,  # type: ignore[union-attr]
            expected=f"a reply to {action} with message id {message_id!r}",
            since=since,
        )
        assert isinstance(item.frame, CallResult | CallError)
        return item.frame

    async def next_response(self, what: str, *, since: int) -> Reply:
        """The first CALLRESULT/CALLERROR from `since` on, whatever its id."""
        item = await self.wait_for(
            lambda r: r.is_response, expected=f"a reply to {what}", since=since
        )
        assert isinstance(item.frame, CallResult | CallError)
        return item.frame

    async def expect_call(
        self, action: str, *, since: int = 0, timeout_s: float | None = None
    ) -> Call:
        """Wait for the backend to send a CALL of `action` (answered from `replies`)."""
        item = await self.wait_for(
            lambda r: isinstance(r.frame, Call) and r.frame.action == action,
            expected=f"the backend to send {action}",
            since=since,
            timeout_s=timeout_s,
        )
        assert isinstance(item.frame, Call)
        return item.frame

    async def still_open(self) -> None:
        """The connection is kept: a Heartbeat sent now gets its CALLRESULT."""
        since = self.mark()
        message_id = await self.send_call("Heartbeat", {})
        reply = await self.wait_for(
            lambda r: r.is_response and r.frame.unique_id == message_id,  # type: ignore[union-attr]
            expected="the connection kept: a later Heartbeat answered",
            since=since,
        )
        assert isinstance(reply.frame, CallResult | CallError)
        checked_result("Heartbeat", reply.frame, self.version)

    async def wait_closed(self, timeout_s: float | None = None) -> bool:
        """Whether the backend closes the connection within the timeout."""
        try:
            async with asyncio.timeout(self.timeout_s if timeout_s is None else timeout_s):
                await self.closed.wait()
        except TimeoutError:
            return False
        return True

    async def drop(self) -> None:
        """Lose the connection without a closing handshake (a charge point losing power)."""
        self._record(Direction.EVENT, "connection dropped (TCP aborted, no close frame)")
        self.ws.transport.abort()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.timeout_s):
                await self.closed.wait()

    # -- the reader -------------------------------------------------------------------------

    async def read(self) -> None:
        try:
            async for message in self.ws:
                text = message if isinstance(message, str) else message.decode(errors="replace")
                self._record(Direction.RECEIVED, text)
                received = Received(parse_frame(self.version, message), text)
                self.received.append(received)
                if isinstance(received.frame, Call):
                    problem = call_violation(received.frame, self.version)
                    if problem is not None:
                        self.violations.append(problem)
                    await self._answer(received.frame)
                elif isinstance(received.frame, Rejected):
                    self.violations.append(
                        f"a frame that is not OCPP-J: {describe(received.frame)}"
                    )
                self._notify()
        except ConnectionClosed:
            pass
        finally:
            close = self.ws.protocol.close_rcvd
            self.close_text = (
                f"code {close.code}" + (f", {close.reason!r}" if close.reason else "")
                if close is not None
                else "no close frame"
            )
            self._record(Direction.EVENT, f"connection closed ({self.close_text})")
            self.closed.set()
            self._notify()

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def answer(self, call: Call, payload: Mapping[str, Any]) -> None:
        """Send the CALLRESULT of a held CALL."""
        await self.send_raw(json.dumps([3, call.unique_id, dict(payload)]))

    async def _answer(self, call: Call) -> None:
        if call.action in self.held:
            self._record(Direction.EVENT, f"holding the reply to {call.action}")
            return
        reply = self.replies.get(call.action)
        if callable(reply):
            try:
                reply = reply(call.payload)
            except (KeyError, TypeError, AttributeError):  # a CALL off its schema
                code = "FormationViolation" if self.version == OCPP16 else "FormatViolation"
                reply = (code, "the scripted reply could not read the CALL")
        if isinstance(reply, dict):
            text = json.dumps([3, call.unique_id, reply])
        elif isinstance(reply, tuple):
            text = json.dumps([4, call.unique_id, reply[0], reply[1], {}])
        else:
            text = json.dumps([4, call.unique_id, "NotSupported", "not scripted", {}])
        self._record(Direction.SENT, text)
        with contextlib.suppress(ConnectionClosed):
            await self.ws.send(text)


def checked_result(action: str, reply: Reply, version: str = OCPP16) -> dict[str, Any]:
    """The payload of a CALLRESULT its schema accepts; anything else fails the check."""
    if isinstance(reply, CallError):
        raise CheckFailed(f"a CALLRESULT to {action}", describe(reply))
    try:
        validate_response(version, action, reply.payload)
    except Exception as exc:  # the OCPPError naming the schema violation
        what = f"{action}.conf" if version == OCPP16 else f"{action}Response"
        raise CheckFailed(
            f"a {what} that the {VERSION_NAMES[version]} schema accepts",
            f"{json.dumps(reply.payload)}: {exc}",
        ) from None
    payload: dict[str, Any] = reply.payload
    return payload


def _handshake_failure(exc: BaseException) -> HandshakeRefused:
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        body = (exc.response.body or b"").decode(errors="replace").strip().splitlines()
        detail = f": {body[0][:200]}" if body else ""
        return HandshakeRefused(status, f"HTTP {status}{detail}")
    if isinstance(exc, NegotiationError):
        return HandshakeRefused(101, f"handshake refused by the charge point: {exc}")
    if isinstance(exc, TimeoutError):
        return HandshakeRefused(None, "no websocket handshake within the timeout")
    if isinstance(exc, ssl.SSLError):
        return HandshakeRefused(None, f"TLS failed: {exc.reason or exc}")
    if isinstance(exc, OSError):
        return HandshakeRefused(None, f"cannot connect: {exc.strerror or exc}")
    return HandshakeRefused(None, f"handshake failed: {exc}")


@contextlib.asynccontextmanager
async def connected(
    url: str,
    *,
    record: Record,
    timeout_s: float,
    subprotocols: Sequence[str] | None = None,
    headers: Mapping[str, str] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    retry_conflict: bool = True,
    replies: Mapping[str, ScriptedReply] | None = None,
    version: str = OCPP16,
) -> AsyncIterator[ScriptedChargePoint]:
    """Open a scripted charge point speaking `version` on `url` (the full URL, charge point
    id included), offering `subprotocols` (default: `version` alone).

    An HTTP 409 (the id still held by a connection the backend has not yet let go of) is
    retried until the timeout when `retry_conflict`; any other refusal is `HandshakeRefused`.
    """
    subprotocols = (version,) if subprotocols is None else subprotocols
    offer = ", ".join(subprotocols) or "no subprotocol"
    deadline = time.monotonic() + timeout_s
    delay_s = 0.05
    while True:
        record(Direction.EVENT, f"connect {url} offering {offer}")
        try:
            ws = await connect(
                url,
                subprotocols=[Subprotocol(s) for s in subprotocols] or None,
                additional_headers=dict(headers or {}),
                ssl=ssl_context,
                open_timeout=max(deadline - time.monotonic(), 0.1),
                close_timeout=min(timeout_s, 2.0),
                max_size=None,
                compression=None,
                user_agent_header="chargenet-check",
            )
            break
        except (InvalidHandshake, OSError, TimeoutError) as exc:
            refused = _handshake_failure(exc)
            record(Direction.EVENT, f"refused: {refused.reason}")
            if refused.status == 409 and retry_conflict and time.monotonic() + delay_s < deadline:
                await asyncio.sleep(delay_s)  # back-off while the backend lets go of the id
                delay_s = min(delay_s * 2, 1.0)
                continue
            raise refused from None
    record(Direction.EVENT, f"open: subprotocol {ws.subprotocol or 'none'}")
    charge_point_id = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    station = ScriptedChargePoint(ws, record, timeout_s, replies, charge_point_id, version)
    # The check's own exception is kept aside and raised after the group: a TaskGroup would
    # wrap it in an ExceptionGroup, and the verdict depends on its type.
    failure: Exception | None = None
    try:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(station.read())
            try:
                yield station
            except Exception as exc:
                failure = exc
            finally:
                await ws.close()
    finally:
        await ws.close()
    if failure is not None:
        raise failure
