"""`OcppClient`: the wire side of one simulated charge point, whatever the OCPP version.

It owns one websocket at a time for the whole run and keeps the offline queue:

- Every message the charge point sends goes through one FIFO. One CALL is outstanding per
  connection (OCPP-J); the head leaves the queue only when its CALLRESULT or CALLERROR
  arrives. On a lost connection the head is resent after the reconnect with the same message
  id, so a central system that stored it before it died can recognise the retransmission:
  nothing is lost, and nothing is applied twice by a backend that deduplicates.
- A CALLERROR on a transaction message is retried (TransactionMessageAttempts, ...Interval)
  under a new message id; other refused messages are dropped (logged at INFO only: a backend
  refusing everything must not print a line per message).
- BootNotification is sent at power-up and after a Reset (not after a plain reconnect, as
  OCPP 1.6 asks); while the answer is Pending or Rejected nothing else is sent, and the boot
  is repeated at the interval the central system gave.
- An accepted AuthorizationKey (`use_password`) is the basic auth password from then on: as
  the OCPP 1.6 security whitepaper asks, the charge point answers Accepted on the current
  connection, then (once no CALL of its own is outstanding) closes it and reconnects at once
  with the new key, without a BootNotification.
- Timeouts, boot retries and transaction retries are driven by `tick(now)`, called by the
  run's watchdog, so a charge point needs one task only (its connection loop).
- Every wait is bounded (TransportConfig): call_attempts sends in a row without a reply, a
  boot not accepted for offline_limit_s, no working connection for offline_limit_s (only a
  reply to our CALL proves a connection works, not a handshake), refusal_limit messages in a
  row refused. Past a bound the charge point raises a BackendError that ends the run in one
  line: "charge point <id>: <the message and what happened>: <the cause>".

Outgoing hot-path frames are built as wire dicts by the version module and validated with
ocppj's compiled schemas; the ocpp package's `call()` is bypassed there (its camelCase
conversion, uuid and wait_for cost more than the rest of a message). Calls the central system
makes go through ocppj's `Endpoint` (the base class: routing and validation) to the version
module's `@on` handlers.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import random
from collections import deque
from dataclasses import dataclass, replace
from typing import Any, Protocol

from ocpp.exceptions import OCPPError
from ocpp.messages import CallError, CallResult
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from ocppj import Endpoint, Rejected, parse_frame, validate_request, validate_response
from ocppj.json_codec import dumps_compact
from simulator.model.requests import Reply, Request
from simulator.model.smart_charging import PortProfiles
from simulator.model.world import Port
from simulator.ocpp.clock import VirtualClock
from simulator.ocpp.configuration import Configuration
from simulator.ocpp.message_log import RECV, SEND, MessageLog
from simulator.ocpp.transport import BackendError, Backoff, TransportConfig, open_connection

LOGGER = logging.getLogger("simulator.ocpp")
_JITTER = random.Random()  # wall-clock jitter only: nothing simulated depends on it
_ENCODE = dumps_compact  # json.dumps(..., separators=(",", ":")) text, by orjson where it can
BOOT_RETRY_MIN_S = 1.0
BOOT_ERROR_RETRY_S = 5.0
RESET_GRACE_S = 1.0
"""After a Reset reply, the least wall time before the socket closes: a backend acts on the
reply before it sees the charge point go."""


__all__ = [
    "BOOT_ERROR_RETRY_S",
    "BOOT_RETRY_MIN_S",
    "RESET_GRACE_S",
    "CallObserver",
    "OcppClient",
    "Pending",
    "Station",
]


class Station(Protocol):
    """What the wire side of a charge point may ask of the simulation (`lockstep.Lockstep`
    implements it)."""

    def now_s(self) -> float:
        """The current virtual time."""
        ...

    def remote_start(self, index: int, id_tag: str) -> bool: ...

    def remote_stop(self, index: int, transaction_ref: int) -> bool: ...

    def change_availability(self, index: int, operative: bool) -> str: ...

    def reset(self, index: int, hard: bool) -> bool: ...

    def unlock(self, index: int, connector_id: int) -> bool: ...

    def meter_wh(self, index: int) -> int | None:
        """The port's energy register now, or None when no session is on it."""
        ...

    def smart_charging(self, index: int) -> PortProfiles | None:
        """The port's charging profiles (None while the model cannot take a call)."""
        ...

    def heartbeat_changed(self, index: int) -> None: ...

    def enqueued(self, index: int) -> None:
        """A message joined the charge point's queue."""
        ...

    def answered(self, index: int) -> None:
        """A queued message got its reply (or was given up)."""
        ...

    def ready(self, index: int) -> None:
        """Booted and the status notifications that follow the boot are answered: at
        power-up, and again after every reboot."""
        ...


class CallObserver(Protocol):
    """Sees every CALL of a charge point and its connections (`chargenet load --scenario`
    measures with it); `OcppClient.observer` is None otherwise, and then costs one test."""

    def queued(self, client: OcppClient, pending: Pending) -> None:
        """A CALL joined the queue (at the station's current virtual time)."""
        ...

    def sent(self, client: OcppClient, pending: Pending, sent_at: float) -> None:
        """A CALL left, at loop time `sent_at` (again, after a reconnect)."""
        ...

    def settled(self, client: OcppClient, pending: Pending, frame: CallResult | CallError) -> None:
        """Its answer came (a CALLERROR also for a reply that failed its schema)."""
        ...

    def unanswered(self, client: OcppClient, pending: Pending, timed_out: bool) -> None:
        """No answer: the response timeout passed, or the connection closed first."""
        ...

    def connection(self, client: OcppClient, handshake_s: float | None, error: str) -> None:
        """A handshake ended: opened after `handshake_s`, or failed (None) with `error`."""
        ...

    def closed(self, client: OcppClient) -> None:
        """An open connection ended."""
        ...


@dataclass(frozen=True, slots=True)
class Pending:
    """A CALL on its way: in the queue, or the boot."""

    message_id: str
    action: str
    frame: str
    payload: dict[str, Any]
    request: Request | None
    """The model request it carries; None for the wire's own messages."""
    waiter: asyncio.Future[Reply] | None
    transactional: bool = False
    attempt: int = 1
    not_before: float = 0.0
    """Loop time before which a retry is not sent."""


class OcppClient(Endpoint):
    """One charge point's connection, offline queue and boot; a version module subclasses it
    with the mapping and the handlers."""

    observer: CallObserver | None = None

    def __init__(
        self,
        index: int,
        port: Port,
        station: Station,
        transport: TransportConfig,
        clock: VirtualClock,
        *,
        message_log: MessageLog | None = None,
        id_prefix: str = "",
    ) -> None:
        super().__init__(
            port.id, None, response_timeout=transport.response_timeout_s, logger=LOGGER
        )
        self.index = index
        self.port = port
        self.station = station
        self.transport = transport
        self.clock = clock
        self.config = Configuration(len(port.connectors))
        self.log = message_log
        self._id_prefix = id_prefix
        self._next_id = 0
        self._queue: deque[Pending] = deque()
        self._inflight: Pending | None = None
        self._sent_at = 0.0
        self._boot_at: float | None = None
        self._ws: ClientConnection | None = None
        self._online = False
        self._needs_boot = True
        self._rebooting = False
        self._reboot_requested = False
        self._reboot_hold = False
        self._reset_at = 0.0
        self._reconnect_requested = False
        self._reconnecting = False
        self._closing = False
        self._ready = False
        self._backoff: Backoff | None = None
        self._sleeper: asyncio.Future[None] | None = None
        self._boot_refused_since: float | None = None
        self._boot_refusals = 0
        self._boot_status = ""
        self._offline_since: float | None = None
        """Loop time since which the charge point has had no working connection."""
        self._offline_attempts = 0
        self._timed_out = False
        self._unanswered = 0
        """Sends in a row that got no reply within response_timeout_s."""
        self._refusals = 0
        """Messages in a row refused for good, none accepted between them."""
        self._answered = False
        """The central system answered one of this charge point's CALLs at least once."""
        self.connections = 0
        self.boots = 0
        self.timeouts = 0
        """CALLs that went unanswered within response_timeout_s (and were sent again)."""
        self.refused: collections.Counter[str] = collections.Counter()
        """action -> messages the central system refused for good (dropped)."""
        self.connect_gate: asyncio.Semaphore | None = None
        """Limits handshakes in flight when a whole fleet connects at once."""
        self.tasks: asyncio.TaskGroup | None = None
        """The run's task group: a reboot's close runs there, so that the connection keeps
        being served meanwhile (without one, it runs in the connection's own task)."""

    # --- what a version module provides -------------------------------------------------

    def boot_payload(self) -> dict[str, Any]:
        raise NotImplementedError

    def wire_messages(self, request: Request) -> list[tuple[str, dict[str, Any], bool]]:
        """(action, payload, transactional) for a model request: none, one or several."""
        raise NotImplementedError

    def reply_for(self, pending: Pending, payload: dict[str, Any]) -> Reply:
        """The model's reply to a CALLRESULT (and what the wire learns from it)."""
        raise NotImplementedError

    def refused_reply(self, request: Request) -> Reply:
        """The model's reply when the central system refused the request for good."""
        raise NotImplementedError

    def boot_answer(self, payload: dict[str, Any]) -> tuple[bool, int]:
        """(accepted, interval_s) from a boot reply."""
        raise NotImplementedError

    def after_boot(self) -> None:
        """Queue what follows an accepted boot (status of every connector)."""
        raise NotImplementedError

    def heartbeat(self) -> None:
        raise NotImplementedError

    # --- the queue ----------------------------------------------------------------------

    @property
    def heartbeat_interval_s(self) -> int:
        return self.config.int_value("HeartbeatInterval")

    @property
    def queued(self) -> int:
        return len(self._queue)

    @property
    def online(self) -> bool:
        return self._online

    @property
    def closing(self) -> bool:
        """`close()` was called: the run is over for this charge point."""
        return self._closing

    @property
    def booted(self) -> bool:
        """A boot was accepted and no reboot has begun since: calls that change the
        simulation are served from here on."""
        return not self._needs_boot

    def submit(self, request: Request, waiter: asyncio.Future[Reply] | None) -> int:
        """Queue the messages a model request stands for; returns how many. A waited
        request always yields exactly one message, which resolves the waiter."""
        messages = self.wire_messages(request)
        for action, payload, transactional in messages:
            self.enqueue(action, payload, request, waiter, transactional)
        if waiter is not None and not messages:
            waiter.set_result(None)
        return len(messages)

    def enqueue(
        self,
        action: str,
        payload: dict[str, Any],
        request: Request | None = None,
        waiter: asyncio.Future[Reply] | None = None,
        transactional: bool = False,
    ) -> None:
        validate_request(self.wire_version, action, payload)
        pending = self._pending(action, payload, request, waiter, transactional)
        self._queue.append(pending)
        self.station.enqueued(self.index)
        if self.observer is not None:
            self.observer.queued(self, pending)

    def _pending(
        self,
        action: str,
        payload: dict[str, Any],
        request: Request | None,
        waiter: asyncio.Future[Reply] | None,
        transactional: bool,
    ) -> Pending:
        self._next_id += 1
        message_id = f"{self._id_prefix}{self._next_id}"
        frame = _ENCODE([2, message_id, action, payload])
        return Pending(message_id, action, frame, payload, request, waiter, transactional)

    async def pump(self) -> None:
        """Send the head of the queue if nothing is outstanding."""
        if (
            self._inflight is not None
            or not self._online
            or not self._queue
            or self._reconnect_requested
        ):
            return
        head = self._queue[0]
        loop = asyncio.get_running_loop()
        if head.not_before and head.not_before > loop.time():
            return
        self._inflight = head
        self._sent_at = loop.time()
        if self.observer is not None:
            self.observer.sent(self, head, self._sent_at)
        await self._send_frame(head.frame)

    async def _send_frame(self, frame: str) -> None:
        ws = self._ws
        if ws is None:
            return
        if self.log is not None:
            self.log.write(SEND, self.id, frame)
        # on a closed connection the loop sees the close; the head is resent after reconnect
        with contextlib.suppress(ConnectionClosed):
            await ws.send(frame)

    async def _send(self, message: str) -> None:
        # the ocpp package's replies to the central system's CALLs go out here
        await self._send_frame(message)

    # --- replies ------------------------------------------------------------------------

    async def route_message(self, raw_msg: str | bytes) -> None:
        if self.log is not None:
            self.log.write(RECV, self.id, raw_msg)
        frame = parse_frame(self.wire_version, raw_msg)
        inflight = self._inflight
        if inflight is not None:
            if isinstance(frame, CallResult | CallError) and frame.unique_id == inflight.message_id:
                self._inflight = None
                self._replied()
                self._complete(inflight, frame)
                await self._after_reply()
                return
            if (
                isinstance(frame, Rejected)
                and not frame.answerable
                and frame.message_id == inflight.message_id
            ):
                self._inflight = None
                self._replied()
                error = frame.error
                self._complete(
                    inflight,
                    CallError(frame.message_id, error.code, error.description, error.details),
                    f"a malformed reply ({error.description})",
                )
                await self._after_reply()
                return
        await super().route_message(raw_msg)
        await self._after_reply()

    async def _after_reply(self) -> None:
        if self._reboot_requested and not self._reboot_hold and self._flushed():
            await self._reboot()
            return
        if self._reconnect_requested and self._inflight is None:
            await self._reconnect()
            return
        await self.pump()

    def _replied(self) -> None:
        """The central system answered our CALL: the connection works."""
        self._answered = True
        self._unanswered = 0
        self._offline_since = None
        if self._backoff is not None:
            self._backoff.reset()

    def _flushed(self) -> bool:
        return self._inflight is None and not self._queue

    def _complete(
        self, pending: Pending, frame: CallResult | CallError, cause: str | None = None
    ) -> None:
        """Settle the CALL `frame` answers; `cause` says what was wrong with a refusal
        (by default the CALLERROR itself, or the schema the reply failed)."""
        if isinstance(frame, CallResult):
            try:
                validate_response(self.wire_version, pending.action, frame.payload)
            except OCPPError as error:
                frame = CallError(frame.unique_id, error.code, error.description, error.details)
                cause = f"with an invalid payload ({error.description})"
        if isinstance(frame, CallError) and cause is None:
            cause = _call_error(frame)
        if self.observer is not None:
            self.observer.settled(self, pending, frame)
        if pending.action == "BootNotification" and not self._online:
            self._boot_replied(frame, cause or "")
            return
        queue = self._queue
        if not queue or queue[0] is not pending:
            return
        if isinstance(frame, CallResult):
            self._refusals = 0
            queue.popleft()
            reply = self.reply_for(pending, frame.payload)
            if pending.waiter is not None and not pending.waiter.done():
                pending.waiter.set_result(reply)
            self.station.answered(self.index)
        else:
            self._refused(pending, frame, cause or "")
        if not self._ready and self._online and not queue:
            self._ready = True
            self.station.ready(self.index)

    def _refused(self, pending: Pending, error: CallError, cause: str) -> None:
        attempts = self.config.int_value("TransactionMessageAttempts")
        if pending.transactional and pending.attempt < attempts:
            LOGGER.info("%s: %s refused (%s), retrying", self.id, pending.action, error.error_code)
            retry = self._pending(
                pending.action, pending.payload, pending.request, pending.waiter, True
            )
            interval_s = self.config.int_value("TransactionMessageRetryInterval")
            self._queue[0] = replace(
                retry,
                attempt=pending.attempt + 1,
                not_before=asyncio.get_running_loop().time() + interval_s * pending.attempt,
            )
            return
        # dropped for good here (and only here); no line per message: the run's summary
        # counts them, and a backend refusing everything ends the run in one line below
        LOGGER.info("%s: the central system refused %s: %s", self.id, pending.action, cause)
        self._queue.popleft()
        self.refused[pending.action] += 1
        if pending.waiter is not None and not pending.waiter.done():
            assert pending.request is not None
            pending.waiter.set_result(self.refused_reply(pending.request))
        self.station.answered(self.index)
        self._refusals += 1
        limit = self.transport.refusal_limit
        if limit and self._refusals >= limit:
            raise self._give_up(
                f"{pending.action} refused ({self._refusals} messages in a row, none accepted)",
                f"answered {cause}",
            )

    # --- boot ---------------------------------------------------------------------------

    async def _send_boot(self) -> None:
        self._boot_at = None
        payload = self.boot_payload()
        validate_request(self.wire_version, "BootNotification", payload)
        pending = self._pending("BootNotification", payload, None, None, False)
        self._inflight = pending
        self._sent_at = asyncio.get_running_loop().time()
        if self.observer is not None:
            self.observer.sent(self, pending, self._sent_at)
        self.boots += 1
        await self._send_frame(pending.frame)

    def _boot_replied(self, frame: CallResult | CallError, cause: str) -> None:
        """An accepted boot brings the charge point online; any other answer (Pending,
        Rejected, a CALLERROR, an invalid payload) repeats it, for offline_limit_s at most."""
        loop = asyncio.get_running_loop()
        if isinstance(frame, CallError):
            LOGGER.info("%s: boot refused: %s", self.id, cause)
            delay_s = BOOT_ERROR_RETRY_S
            accepted = False
        else:
            accepted, interval_s = self.boot_answer(frame.payload)
            delay_s = max(float(interval_s), BOOT_RETRY_MIN_S)
            cause = str(frame.payload.get("status"))
        if not accepted:
            self._boot_at = loop.time() + delay_s
            self._boot_status = cause
            self._boot_refusals += 1
            if self._boot_refused_since is None:
                self._boot_refused_since = loop.time()
            return
        self._boot_refused_since = None
        self._boot_refusals = 0
        self._refusals = 0
        self._needs_boot = False
        self._online = True
        if interval_s > 0:
            self.config.set("HeartbeatInterval", str(interval_s))
            self.station.heartbeat_changed(self.index)
        self.after_boot()
        if not self._ready and not self._queue:
            self._ready = True
            self.station.ready(self.index)

    def trigger_boot(self) -> None:
        """A central system asked for a BootNotification (TriggerMessage)."""
        if self._online:
            self.enqueue("BootNotification", self.boot_payload())

    # --- the connection -----------------------------------------------------------------

    async def run(self) -> None:
        """Connect, boot and serve until `close()`; reconnect with back-off when the
        connection drops or a handshake fails. A definitive failure of the first handshake
        ends the run at once (the user gave a bad URL or credentials); any other failure
        ends it once the charge point has had no working connection for offline_limit_s."""
        loop = asyncio.get_running_loop()
        while not self._closing:
            try:
                if self.connect_gate is None:
                    ws = await self._open()
                else:
                    async with self.connect_gate:
                        ws = await self._open()
            except BackendError as error:
                if self.observer is not None:
                    self.observer.connection(self, None, str(error))
                if self.connections == 0 and not error.transient:
                    raise
                LOGGER.info("%s: %s; retrying", self.id, error)
                self._offline(loop.time(), str(error))
                await self._sleep(self._offline_wait_s(loop.time()))
                continue
            if self._closing:
                await ws.close()
                return
            self.connections += 1
            if not self._needs_boot and not self._queue:
                # nothing to deliver: a connection is all it takes to be working again
                self._offline_since = None
                if self._backoff is not None:
                    self._backoff.reset()
            self._timed_out = False
            await self._serve(ws)
            if self._closing:
                return
            if self._rebooting or self._reconnecting:
                self._rebooting = self._reconnecting = False
                continue
            if not self._timed_out:  # a CALL timed out: resent, call_attempts bounds that
                LOGGER.info("%s: connection lost; reconnecting", self.id)
                self._offline(
                    loop.time(),
                    f"the central system at {self.transport.url} closes the connection "
                    "before answering",
                )
            await self._sleep(self._offline_wait_s(loop.time()))

    async def _open(self) -> ClientConnection:
        if self.observer is None:
            return await open_connection(self.id, self.transport)
        started = asyncio.get_running_loop().time()
        ws = await open_connection(self.id, self.transport)
        self.observer.connection(self, asyncio.get_running_loop().time() - started, "")
        return ws

    def _offline(self, now: float, cause: str) -> None:
        """One more failed attempt at a working connection; gives up after offline_limit_s."""
        if self._offline_since is None:
            self._offline_since = now
            self._offline_attempts = 0
        self._offline_attempts += 1
        limit_s = self.transport.offline_limit_s
        if now - self._offline_since < limit_s:
            return
        n = self._offline_attempts
        attempts = f"{n} attempt{'s' if n != 1 else ''}"
        if self._needs_boot or self._queue:
            action = "BootNotification" if self._needs_boot else self._queue[0].action
            what = f"{action} not delivered within {limit_s:g} s ({attempts})"
        else:
            what = f"no connection within {limit_s:g} s ({attempts})"
        raise BackendError(f"charge point {self.id}: {what}: {cause}")

    def _offline_wait_s(self, now: float) -> float:
        """The back-off wait, cut so that the last attempt falls at offline_limit_s."""
        delay_s = self._next_backoff_s()
        if self._offline_since is not None:
            left_s = self._offline_since + self.transport.offline_limit_s - now
            delay_s = min(delay_s, max(left_s, 0.0))
        return delay_s

    def _give_up(self, what: str, cause: str) -> BackendError:
        return BackendError(
            f"charge point {self.id}: {what}: the central system at {self.transport.url} {cause}"
        )

    async def _sleep(self, delay_s: float) -> None:
        """A back-off wait that `close()` cuts short."""
        loop = asyncio.get_running_loop()
        self._sleeper = sleeper = loop.create_future()
        timer = loop.call_later(delay_s, _wake, sleeper)
        try:
            await sleeper
        finally:
            timer.cancel()
            self._sleeper = None

    def _next_backoff_s(self) -> float:
        if self._backoff is None:
            t = self.transport
            self._backoff = Backoff(t.backoff_initial_s, t.backoff_max_s, _JITTER)
        return self._backoff.next_delay_s()

    async def _serve(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._connection = ws
        self._inflight = None
        try:
            if self._needs_boot:
                await self._send_boot()
            else:
                self._online = True
                await self.pump()
            async for raw in ws:
                await self.route_message(raw)
        except ConnectionClosed:
            pass
        finally:
            if self.observer is not None:
                if self._inflight is not None:
                    self.observer.unanswered(self, self._inflight, False)
                self.observer.closed(self)
            self._ws = None
            self._online = False
            self._reconnect_requested = False  # the next connection uses the new key anyway
            self._inflight = None  # the head stays queued and is resent on the next connection
            self._boot_at = None

    async def _reboot(self) -> None:
        """After a Reset, with the queue flushed: stop sending, and close once the reply has
        had RESET_GRACE_S; the connection loop then reconnects at once and boots again.
        Messages queued from here on wait for the new boot."""
        if not self._reboot_requested:
            return
        self._reboot_requested = False
        self._needs_boot = True
        self._rebooting = True
        self._ready = False
        self._online = False
        closing = self._close_for_reboot(self._ws)
        if self.tasks is not None:
            self.tasks.create_task(closing)
        else:
            await closing

    async def _close_for_reboot(self, ws: ClientConnection | None) -> None:
        if ws is None:
            return  # the connection dropped meanwhile: the next one boots
        delay_s = self._reset_at + RESET_GRACE_S - asyncio.get_running_loop().time()
        if delay_s > 0:
            await asyncio.sleep(delay_s)
        await ws.close()

    def use_password(self, password: str) -> None:
        """An AuthorizationKey was accepted: it is this charge point's basic auth password from
        now on (its own copy of the transport settings). Once the reply is sent and no CALL
        of ours is outstanding, the connection closes and the loop reconnects at once with
        it; what is queued waits for the new connection."""
        self.transport = replace(self.transport, password=password)
        self._reconnect_requested = True

    async def _reconnect(self) -> None:
        self._reconnect_requested = False
        ws = self._ws
        if ws is None:
            return  # the connection dropped meanwhile: the next one uses the new key
        self._reconnecting = True
        self._online = False
        if self.tasks is not None:
            self.tasks.create_task(ws.close())
        else:
            await ws.close()

    def request_reboot(self) -> None:
        """A Reset was accepted: reboot once its reply is sent and every message queued
        before it (the stopped transactions' MeterValues and StopTransaction) is answered,
        and the station lets go (`hold_reboot`)."""
        self._reboot_requested = True
        self._reset_at = asyncio.get_running_loop().time()

    def hold_reboot(self) -> None:
        """The simulation has more to queue before the reboot (the Reset's consequences)."""
        self._reboot_hold = True

    def release_reboot(self) -> None:
        """Everything the Reset caused is queued: reboot once the queue is flushed."""
        self._reboot_hold = False
        if self._reboot_requested and self._flushed() and self.tasks is not None:
            self.tasks.create_task(self._reboot())

    async def tick(self, now: float) -> None:
        """The watchdog: drop a connection whose CALL went unanswered too long (the CALL is
        resent after the reconnect), repeat a due boot, send a due retry. Raises
        BackendError when call_attempts sends in a row went unanswered, or the boot stays
        unaccepted longer than offline_limit_s."""
        ws = self._ws
        if ws is None:
            return
        transport = self.transport
        inflight = self._inflight
        if inflight is not None:
            if now - self._sent_at > transport.response_timeout_s:
                self._unanswered += 1
                self.timeouts += 1
                if self.observer is not None:
                    self.observer.unanswered(self, inflight, True)
                n = self._unanswered
                if n >= transport.call_attempts:
                    attempts = f"{n} attempt{'s' if n != 1 else ''}"
                    raise self._give_up(
                        f"no reply to {inflight.action} within "
                        f"{transport.response_timeout_s:g} s ({attempts})",
                        "stopped answering"
                        if self._answered
                        else "accepts the websocket and never answers",
                    )
                LOGGER.info(
                    "%s: no reply to %s within %g s; reconnecting",
                    self.id,
                    inflight.action,
                    transport.response_timeout_s,
                )
                self._timed_out = True
                ws.transport.abort()
            return
        if self._boot_at is not None:
            since = self._boot_refused_since
            if since is not None and now - since >= transport.offline_limit_s:
                n = self._boot_refusals
                attempts = f"{n} attempt{'s' if n != 1 else ''}"
                raise self._give_up(
                    f"BootNotification not accepted within {transport.offline_limit_s:g} s "
                    f"({attempts})",
                    f"answered {self._boot_status}",
                )
            if now >= self._boot_at:
                await self._send_boot()
            return
        await self.pump()

    async def close(self) -> None:
        """End the run for this charge point: close the websocket (open transactions stay
        open; the run's end is not an event on the wire)."""
        self._closing = True
        if self._sleeper is not None:
            _wake(self._sleeper)
        ws = self._ws
        if ws is not None:
            await ws.close()


def _call_error(error: CallError) -> str:
    """A CALLERROR as the run's last line names it."""
    if error.error_description:
        return f'CALLERROR {error.error_code} ("{error.error_description}")'
    return f"CALLERROR {error.error_code}"


def _wake(sleeper: asyncio.Future[None]) -> None:
    if not sleeper.done():
        sleeper.set_result(None)
