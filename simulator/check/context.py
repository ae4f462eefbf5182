"""What a check is given: the backend under test, connections to it, and its test data.

`Target` is the run's configuration (frozen); `CheckContext` is one check's: it opens scripted
charge points that share one evidence list, and offers the steps most checks repeat (a boot,
a transaction) and the assertions that turn into verdicts.

A context speaks its check's OCPP version (`ctx.version`): connections offer that subprotocol
and validate with its schemas; `boot`, `booted`, `result` and `backend_sends` work for both
(2.0.1's boot is its BootNotificationRequest, then a StatusNotification per EVSE); the 1.6
steps that have no 2.0.1 form (`status`, `start_transaction`, ...) are 1.6 only, and
`connector_status` / `transaction_event` are their 2.0.1 counterparts.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import secrets
import ssl
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import quote

from ocpp.messages import Call, CallError

from simulator.check.catalogue import Check, Profile
from simulator.check.evidence import Direction, FrameRecord
from simulator.check.station import (
    OCPP16,
    HandshakeRefused,
    Reply,
    ScriptedChargePoint,
    ScriptedReply,
    checked_result,
    connected,
    describe,
)
from simulator.check.trigger import Trigger, TriggerFailed
from simulator.check.verdicts import CheckFailed, NotApplicable, NotRun

#: Frames longer than this are shortened in the evidence (an oversized frame is 100 kB).
MAX_EVIDENCE_CHARS: Final = 2000
#: The error codes by which a backend says it does not offer an action.
NOT_OFFERED: Final = frozenset({"NotImplemented", "NotSupported"})
#: Use the run's password (the default of `CheckContext.connection`).
TARGET_PASSWORD: Final = object()


@dataclass(frozen=True, slots=True)
class Target:
    """The backend under test and how to talk to it."""

    #: ws:// or wss:// URL to which the charge point id is appended as the last segment.
    url: str
    charge_point_id: str = "chargenet-check"
    #: The basic-auth password (security profile 1), or None.
    password: str | None = None
    ssl_context: ssl.SSLContext | None = None
    #: With a client certificate (--cert): the same TLS settings without it (for TC_087_CS).
    ssl_without_client_certificate: ssl.SSLContext | None = None
    #: The client certificate's (cert, key) PEM files (--cert, --key), for the TLS cases that
    #: build TLS settings of their own (TC_A_06_CSMS), or None.
    client_certificate_files: tuple[str, str] | None = None
    #: Bound of every wait for the backend (a reply, a handshake, a close).
    timeout_s: float = 10.0
    #: Id tags the backend knows, by the status it must answer for them (Accepted, Blocked...).
    id_tags: Mapping[str, str] = field(default_factory=dict)
    #: Two Accepted tags with a common parent id tag, and that parent (TC_069_CS), or None.
    sibling_tags: tuple[str, str, str] | None = None
    #: Connectors of the scripted charge point (1..N; 0 is the charge point itself).
    connectors: int = 2
    #: The most the backend's clock may differ from ours.
    max_skew_s: float = 60.0
    #: Size of the "oversized frame" (above most backends' limits: 64 KiB for the built-in).
    oversized_bytes: int = 100_000
    #: What makes the backend initiate a call (--trigger), or None: those cases are not run.
    trigger: Trigger | None = None
    #: Bound of the wait for a triggered CALL (None: timeout_s; a person needs longer).
    trigger_wait_s: float | None = None
    #: A charge point id the backend answers Pending at its first boot (TC_002_CS), or None.
    pending_charge_point_id: str | None = None
    #: A charge point id the backend answers Rejected at every boot (TC_B_30_CSMS), or None.
    rejected_charge_point_id: str | None = None
    #: The OCPP version of the run (`ocpp1.6`, `ocpp2.0.1`): its preflight's subprotocol.
    ocpp_version: str = OCPP16

    def url_for(self, charge_point_id: str) -> str:
        return f"{self.url.rstrip('/')}/{quote(charge_point_id, safe='')}"


def utc_text(moment: datetime) -> str:
    """OCPP's timestamp text: UTC with a Z, milliseconds."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: Any) -> datetime | None:
    """A backend's timestamp, or None when it is not an ISO 8601 date-time with an offset."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def basic_auth(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class CheckContext:
    """One run of one check."""

    def __init__(self, target: Target, check: Check) -> None:
        self.target = target
        self.check = check
        #: The OCPP version the check speaks (its subprotocol and schemas).
        self.version = check.ocpp_version
        self.frames: list[FrameRecord] = []
        self.stations: list[ScriptedChargePoint] = []
        self._started = time.monotonic()
        self._connections = 0
        # Distinct meter readings per check, so no two checks' transactions look alike.
        self._meter_wh = int(time.time() * 10) % 100_000_000
        self._last_reading_at = datetime.min.replace(tzinfo=UTC)

    @property
    def timeout_s(self) -> float:
        return self.target.timeout_s

    @property
    def charge_point_id(self) -> str:
        return self.target.charge_point_id

    # -- evidence ---------------------------------------------------------------------------

    def _recorder(self, connection: int) -> Any:
        def record(direction: Direction, text: str) -> None:
            if len(text) > MAX_EVIDENCE_CHARS:
                text = f"{text[:MAX_EVIDENCE_CHARS]}… ({len(text)} characters in all)"
            self.frames.append(
                FrameRecord(time.monotonic() - self._started, connection, direction, text)
            )

        return record

    def note(self, text: str) -> None:
        """A line in the evidence that is not a frame (what the check is about to do)."""
        self._recorder(0)(Direction.EVENT, text)

    # -- connections ------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def connection(
        self,
        *,
        charge_point_id: str | None = None,
        subprotocols: Sequence[str] | None = None,
        password: object = TARGET_PASSWORD,
        retry_conflict: bool = True,
        require_ocpp16: bool = True,
        replies: Mapping[str, ScriptedReply] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        username: str | None = None,
    ) -> AsyncIterator[ScriptedChargePoint]:
        """A scripted charge point connected to the backend (not booted; TLS settings
        `ssl_context`, else the run's), speaking the check's version and offering
        `subprotocols` (default: that version alone). `require_ocpp16` (named when there was
        one version) fails the check unless the handshake selected the check's version.

        A refused handshake raises `HandshakeRefused` (checks of the handshake catch it); a
        check that only needs a connection gets a fail through `open_or_fail`.
        """
        self._connections += 1
        subprotocols = (self.version,) if subprotocols is None else subprotocols
        charge_point_id = charge_point_id or self.charge_point_id
        secret = self.target.password if password is TARGET_PASSWORD else password
        # Basic auth's username is the charge point id, unless a check means another.
        user = charge_point_id if username is None else username
        headers = basic_auth(user, secret) if isinstance(secret, str) else {}
        async with connected(
            self.target.url_for(charge_point_id),
            record=self._recorder(self._connections),
            timeout_s=self.timeout_s,
            subprotocols=subprotocols,
            headers=headers,
            ssl_context=ssl_context or self.target.ssl_context,
            retry_conflict=retry_conflict,
            replies=replies,
            version=self.version,
        ) as station:
            self.stations.append(station)
            if require_ocpp16 and station.subprotocol != self.version:
                raise CheckFailed(
                    f"the handshake to select {self.version} (offered: {', '.join(subprotocols)})",
                    f"subprotocol {station.subprotocol or 'none'}",
                )
            yield station

    @contextlib.asynccontextmanager
    async def open_or_fail(self, **options: Any) -> AsyncIterator[ScriptedChargePoint]:
        try:
            async with self.connection(**options) as station:
                yield station
        except HandshakeRefused as refused:
            raise CheckFailed("the websocket handshake to succeed", refused.reason) from None

    @contextlib.asynccontextmanager
    async def booted(self, **options: Any) -> AsyncIterator[ScriptedChargePoint]:
        """Connected, booted (Accepted) and every connector reported Available (2.0.1: EVSE
        1..N, one connector each)."""
        async with self.open_or_fail(**options) as station:
            await self.boot(station)
            await self.all_available(station)
            yield station

    async def all_available(self, station: ScriptedChargePoint) -> None:
        """StatusNotification Available for every connector (1.6: 0..N; 2.0.1: EVSE 1..N)."""
        if self.version == OCPP16:
            for connector in range(self.target.connectors + 1):
                await self.status(station, connector, "Available")
        else:
            for evse_id in range(1, self.target.connectors + 1):
                await self.connector_status(station, evse_id, "Available")

    def boot_payload(self, reason: str = "PowerUp") -> dict[str, Any]:
        """The scripted station's BootNotification (2.0.1: with `reason`)."""
        if self.version == OCPP16:
            return {
                "chargePointVendor": "chargenet",
                "chargePointModel": "check",
                "chargePointSerialNumber": self.charge_point_id[:25],
                "firmwareVersion": "check-1",
            }
        return {
            "chargingStation": {
                "vendorName": "chargenet",
                "model": "check",
                "serialNumber": self.charge_point_id[:25],
                "firmwareVersion": "check-1",
            },
            "reason": reason,
        }

    async def boot(self, station: ScriptedChargePoint, reason: str = "PowerUp") -> dict[str, Any]:
        """BootNotification (2.0.1: with `reason`); the status must be Accepted."""
        reply = await self.result(station, "BootNotification", self.boot_payload(reason))
        what = "BootNotification.conf" if self.version == OCPP16 else "BootNotificationResponse"
        self.expect(
            reply.get("status") == "Accepted",
            f"{what} status Accepted (the check's charge point must be accepted)",
            f"status {reply.get('status')!r}",
        )
        return reply

    # -- messages ---------------------------------------------------------------------------

    async def result(
        self, station: ScriptedChargePoint, action: str, payload: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Send a valid CALL; the reply must be a schema-valid CALLRESULT.

        For a check of an optional profile, NotImplemented/NotSupported means the backend does
        not offer it: not applicable. In Core it is a fail.
        """
        reply = await station.call(action, payload)
        self._not_offered(action, reply)
        return checked_result(action, reply, station.version)

    def _not_offered(self, action: str, reply: Reply) -> None:
        if (
            isinstance(reply, CallError)
            and reply.error_code in NOT_OFFERED
            and self.check.profile is not Profile.CORE
        ):
            raise NotApplicable(
                f"the backend answered {action} with {reply.error_code}: it does not offer "
                f"the {self.check.profile.value} profile"
            )

    async def status(
        self,
        station: ScriptedChargePoint,
        connector: int,
        status: str,
        error_code: str = "NoError",
    ) -> None:
        await self.result(
            station,
            "StatusNotification",
            {
                "connectorId": connector,
                "errorCode": error_code,
                "status": status,
                "timestamp": self.now(),
            },
        )

    async def connector_status(
        self,
        station: ScriptedChargePoint,
        evse_id: int,
        status: str,
        *,
        connector_id: int = 1,
    ) -> None:
        """2.0.1 StatusNotification of one connector (Available, Occupied, Reserved,
        Unavailable, Faulted); the reply must be a schema-valid (empty) CALLRESULT."""
        await self.result(
            station,
            "StatusNotification",
            {
                "timestamp": self.now(),
                "connectorStatus": status,
                "evseId": evse_id,
                "connectorId": connector_id,
            },
        )

    async def transaction_event(
        self,
        station: ScriptedChargePoint,
        event_type: str,
        transaction_id: str,
        seq_no: int,
        *,
        trigger_reason: str,
        evse_id: int = 1,
        id_token: Mapping[str, str] | None = None,
        charging_state: str | None = None,
        stopped_reason: str | None = None,
        meter_wh: int | None = None,
        offline: bool = False,
        timestamp: str | None = None,
    ) -> dict[str, Any]:
        """2.0.1 TransactionEvent (Started, Updated, Ended) with an energy register reading
        (`meter_wh`, else the check's next one); returns the schema-checked response."""
        info: dict[str, Any] = {"transactionId": transaction_id}
        if charging_state is not None:
            info["chargingState"] = charging_state
        if stopped_reason is not None:
            info["stoppedReason"] = stopped_reason
        context = {"Started": "Transaction.Begin", "Ended": "Transaction.End"}
        energy = self.next_meter_wh() if meter_wh is None else meter_wh
        reading = {
            "timestamp": self.now(),
            "sampledValue": [
                {
                    "value": energy,
                    "context": context.get(event_type, "Sample.Periodic"),
                    "measurand": "Energy.Active.Import.Register",
                    "unitOfMeasure": {"unit": "Wh"},
                }
            ],
        }
        payload: dict[str, Any] = {
            "eventType": event_type,
            "timestamp": timestamp or self.now(),
            "triggerReason": trigger_reason,
            "seqNo": seq_no,
            "transactionInfo": info,
            "evse": {"id": evse_id, "connectorId": 1},
            "meterValue": [reading],
        }
        if offline:
            payload["offline"] = True
        if id_token is not None:
            payload["idToken"] = dict(id_token)
        return await self.result(station, "TransactionEvent", payload)

    @staticmethod
    def new_transaction_id() -> str:
        """A transaction id as a 2.0.1 station chooses it (unique per check)."""
        return f"chk-{secrets.token_hex(8)}"

    async def authorize(self, station: ScriptedChargePoint, id_tag: str) -> str:
        reply = await self.result(station, "Authorize", {"idTag": id_tag})
        status: str = reply["idTagInfo"]["status"]
        return status

    def next_meter_wh(self, step_wh: int = 1000) -> int:
        self._meter_wh += step_wh
        return self._meter_wh

    async def start_transaction(
        self,
        station: ScriptedChargePoint,
        id_tag: str,
        *,
        connector: int = 1,
        timestamp: str | None = None,
        meter_start_wh: int | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """StartTransaction; returns (transactionId, idTagInfo). The id must be > 0."""
        reply = await self.result(
            station,
            "StartTransaction",
            {
                "connectorId": connector,
                "idTag": id_tag,
                "meterStart": self.next_meter_wh() if meter_start_wh is None else meter_start_wh,
                "timestamp": timestamp or self.now(),
            },
        )
        transaction_id: int = reply["transactionId"]
        info: dict[str, Any] = reply["idTagInfo"]
        return transaction_id, info

    async def stop_transaction(
        self,
        station: ScriptedChargePoint,
        transaction_id: int,
        *,
        reason: str | None = None,
        id_tag: str | None = None,
        timestamp: str | None = None,
        meter_stop_wh: int | None = None,
        transaction_data: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "transactionId": transaction_id,
            "meterStop": self.next_meter_wh() if meter_stop_wh is None else meter_stop_wh,
            "timestamp": timestamp or self.now(),
        }
        if reason is not None:
            payload["reason"] = reason
        if id_tag is not None:
            payload["idTag"] = id_tag
        if transaction_data is not None:
            payload["transactionData"] = transaction_data
        return await self.result(station, "StopTransaction", payload)

    def reading_at(self) -> datetime:
        """Now, to the wire's millisecond, but always after the last reading this check
        stamped: a CSMS may keep one of two readings of a transaction that share a
        timestamp (the built-in keeps the first), and steps a millisecond apart did."""
        now = datetime.now(UTC)
        moment = now.replace(microsecond=now.microsecond // 1000 * 1000)
        if moment <= self._last_reading_at:
            moment = self._last_reading_at + timedelta(milliseconds=1)
        self._last_reading_at = moment
        return moment

    def meter_value(
        self, energy_wh: int, *, context: str = "Sample.Periodic", at: datetime | None = None
    ) -> dict[str, Any]:
        return {
            "timestamp": utc_text(at or self.reading_at()),
            "sampledValue": [
                {
                    "value": str(energy_wh),
                    "context": context,
                    "measurand": "Energy.Active.Import.Register",
                    "unit": "Wh",
                }
            ],
        }

    # -- test data --------------------------------------------------------------------------

    def tag(self, status: str) -> str:
        """A tag the backend must answer `status` for (given with --id-tags), else N/A."""
        tag = self.target.id_tags.get(status)
        if tag is None:
            raise NotApplicable(
                f"no id tag with status {status} given (--id-tags FILE: a CSV "
                f"id_tag,status naming tags the backend knows)"
            )
        return tag

    def unknown_tag(self, *, provisioned: bool = True) -> str:
        """The Invalid tag of the tag file (if `provisioned` and there is one), else a tag no
        backend knows."""
        tag = self.target.id_tags.get("Invalid") if provisioned else None
        return tag or f"CHK{secrets.token_hex(8).upper()}"

    @staticmethod
    def now(offset_s: float = 0.0) -> str:
        return utc_text(datetime.now(UTC) + timedelta(seconds=offset_s))

    # -- verdicts ---------------------------------------------------------------------------

    def backend_violations(self) -> list[str]:
        """Everything wrong with what the backend sent unasked on any of the check's
        connections (a check that passed otherwise fails on these)."""
        return [problem for station in self.stations for problem in station.violations]

    @staticmethod
    def expect(condition: bool, expected: str, observed: str) -> None:
        if not condition:
            raise CheckFailed(expected, observed)

    def expect_error(self, reply: Reply, codes: frozenset[str] | set[str], what: str) -> CallError:
        """The reply is a CALLERROR with one of `codes` (the other version's names flagged)."""
        wanted = " or ".join(sorted(codes))
        if not isinstance(reply, CallError):
            raise CheckFailed(
                f"CALLERROR {wanted} for {what}", f"a CALLRESULT {json.dumps(reply.payload)}"
            )
        if reply.error_code not in codes:
            hints = _VERSION_HINTS if self.version == OCPP16 else _VERSION_HINTS_201
            hint = hints.get(reply.error_code, "")
            raise CheckFailed(f"CALLERROR {wanted} for {what}", describe(reply) + hint)
        return reply

    async def backend_sends(
        self,
        station: ScriptedChargePoint,
        action: str,
        payload: Mapping[str, Any],
        *,
        reply: ScriptedReply | None = None,
    ) -> Call:
        """Make the backend send `action` with `payload` to `station` (through the run's
        trigger), answered with `reply` (else the station's scripted one). The CALL must come
        within the wait and carry every field of `payload` with its value; the trigger itself
        must report success. Without a trigger the check is not run."""
        trigger = self.require_trigger(action, payload)
        if reply is not None:
            station.replies[action] = reply
        since = station.mark()
        self.note(f"trigger: {trigger.description}, {action} {json.dumps(dict(payload))}")
        wait_s = self.target.trigger_wait_s or self.timeout_s
        sending = asyncio.ensure_future(trigger.send(station.charge_point_id, action, payload))
        arriving = asyncio.ensure_future(station.expect_call(action, since=since, timeout_s=wait_s))
        try:
            await asyncio.wait({sending, arriving}, return_when=asyncio.FIRST_COMPLETED)
            if sending.done() and not arriving.done() and sending.exception() is not None:
                raise self._trigger_failed(action, sending.exception())
            call = await arriving
            try:
                async with asyncio.timeout(self.timeout_s):
                    await sending
            except TimeoutError:
                raise CheckFailed(
                    f"{trigger.description} to answer once the charge point replied to {action}",
                    f"no answer within {self.timeout_s:g} s",
                ) from None
            except TriggerFailed as failed:
                raise self._trigger_failed(action, failed) from None
        finally:
            for task in (sending, arriving):
                task.cancel()
            await asyncio.gather(sending, arriving, return_exceptions=True)
        for key, value in payload.items():
            self.expect(
                call.payload.get(key) == value,
                f"{action} with {key} = {json.dumps(value)}",
                f"{key} = {json.dumps(call.payload.get(key))}",
            )
        return call

    def require_trigger(self, action: str, payload: Mapping[str, Any] | None = None) -> Trigger:
        """The run's trigger; without one the check is not run (say so before other steps)."""
        if self.target.trigger is None:
            what = f"{action} {json.dumps(dict(payload))}" if payload is not None else action
            raise NotRun(
                f"needs the backend to send {what}: give --trigger URL (the OCTT trigger "
                "convention) to make it do so, or run on a terminal to be prompted"
            )
        return self.target.trigger

    @staticmethod
    def _trigger_failed(action: str, exc: BaseException | None) -> CheckFailed:
        return CheckFailed(f"the backend to send {action} when triggered", str(exc))

    async def backend_knows_tag(
        self, status: str, *, parent_id_tag: str | None = None, expiry_date: str | None = None
    ) -> str:
        """A new tag the backend is made to know with `status` (through the trigger's
        create-token); without a trigger, the tag of that status from --id-tags, else N/A."""
        trigger = self.target.trigger
        if trigger is None:
            return self.tag(status)
        tag = f"CHK{secrets.token_hex(6).upper()}"
        self.note(f"trigger: {trigger.description}, create-token {tag} {status}")
        try:
            await trigger.create_token(
                tag, status, parent_id_tag=parent_id_tag, expiry_date=expiry_date
            )
        except TriggerFailed as failed:
            expected = f"the backend to take id tag {tag} as {status}"
            raise CheckFailed(expected, str(failed)) from None
        return tag


#: Error codes of other OCPP versions, named as such when a 1.6 backend sends them.
_VERSION_HINTS: Final = {
    "FormatViolation": " (the OCPP 2.0.1 name: OCPP-J 1.6 §4.2.3 says FormationViolation)",
    "RpcFrameworkError": " (an OCPP 2.0.1 code, not defined in OCPP-J 1.6)",
    "MessageTypeNotSupported": " (an OCPP 2.0.1 code, not defined in OCPP-J 1.6)",
    "SecurityError": " (an OCPP 2.0.1 code, not defined in OCPP-J 1.6)",
    "OccurrenceConstraintViolation": (
        " (the OCPP 2.0.1 spelling: OCPP-J 1.6 §4.2.3 spells it OccurenceConstraintViolation)"
    ),
}
#: Error codes of OCPP-J 1.6, named as such when a 2.0.1 backend sends them.
_VERSION_HINTS_201: Final = {
    "FormationViolation": " (the OCPP-J 1.6 name: OCPP-J 2.0.1 §4.3 says FormatViolation)",
    "OccurenceConstraintViolation": (
        " (the OCPP-J 1.6 spelling: OCPP-J 2.0.1 §4.3 spells it OccurrenceConstraintViolation)"
    ),
}
