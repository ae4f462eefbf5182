"""`LoadChargePoint`: one synthetic charge point of a load run, on one task.

A lean OCPP-J client (1.6 or 2.0.1: its fleet's `Dialect`) rather than `ocppj.Endpoint`: one
task per charge point (no receive loop task, no future per CALL), and the answer's arrival
time read where the frame is read, so the measured latency holds no scheduling hop. The wire
is still ocppj's: every frame received goes through `parse_frame` (a defective one is
answered with the CALLERROR its version names), every CALL sent is validated against its
schema and every CALLRESULT too.

The loop of a connection: wait for the next CALL's intended time (answering whatever the
central system sends meanwhile: NotSupported/NotImplemented, a load charge point has no remote
operations), send it, wait for its answer up to `timeout_s`, record it, repeat. One CALL is
outstanding at a time, as OCPP-J asks; a CALL due while another is outstanding goes out when
that one is done, its latency still counted from its intended time.

Connections follow the ramp's intervals; a dropped connection (closed or broken by the other
side) reconnects after an exponential back-off with jitter, boots again, and counts as a
reconnect; a failed attempt counts by cause and is retried the same way while the ramp wants
the charge point connected.
"""

from __future__ import annotations

import asyncio
import base64
import errno
import random
import ssl
import time
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote, urlsplit, urlunsplit

from ocpp.exceptions import OCPPError
from ocpp.messages import Call, CallError, CallResult
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidMessage,
    InvalidStatus,
    InvalidURI,
)
from websockets.protocol import State
from websockets.typing import Subprotocol

from ocppj import OCPP16, Defect, Rejected, Version, error_for, parse_frame, validate_request
from ocppj import validate_response as _validate_response
from ocppj.json_codec import dumps_compact
from ocppj.validation import is_known_action
from simulator.load.schedule import Due

if TYPE_CHECKING:
    from simulator.load.fleet import Fleet

__all__ = ["ConnectFailure", "LoadChargePoint", "charge_point_url"]

_BUSY: Final = frozenset({408, 429})
_JITTER: Final = random.Random()  # wall-clock jitter only


class ConnectFailure(Exception):
    """A connection attempt failed: `cause` is the short key it is counted under, `fatal`
    marks a user's mistake (ends the run when no charge point ever connected)."""

    def __init__(self, cause: str, message: str, *, fatal: bool) -> None:
        super().__init__(message)
        self.cause = cause
        self.fatal = fatal


def charge_point_url(url: str, charge_point_id: str) -> str:
    """The id where the URL says `{id}`, else appended as one more path segment."""
    quoted = quote(charge_point_id, safe="")
    if "{id}" in url:
        return url.replace("{id}", quoted)
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/" + quoted))


class _Timestamps:
    """The wall clock as OCPP wants it, formatted once a second, not once a message."""

    __slots__ = ("_second", "_text")

    def __init__(self) -> None:
        self._second = -1
        self._text = ""

    def now(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._second = second
            self._text = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
        return self._text


TIMESTAMPS: Final = _Timestamps()


async def open_websocket(
    url: str,
    charge_point_id: str,
    *,
    password: str | None,
    ssl_context: ssl.SSLContext | None,
    timeout_s: float,
    close_timeout_s: float,
    version: Version = OCPP16,
) -> ClientConnection:
    """Open one charge point's websocket (subprotocol `version`); raise ConnectFailure naming
    the cause."""
    where = f"the central system at {url}"
    headers = {}
    if password is not None:
        token = base64.b64encode(f"{charge_point_id}:{password}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    secure = urlsplit(url).scheme == "wss"
    try:
        ws = await connect(
            charge_point_url(url, charge_point_id),
            subprotocols=[Subprotocol(version)],
            additional_headers=headers,
            ssl=(ssl_context or True) if secure else None,
            open_timeout=timeout_s,
            ping_interval=None,  # heartbeats are the plan's; a ping task per CP costs memory
            close_timeout=close_timeout_s,
            compression=None,
            max_queue=4,
            write_limit=8 * 1024,
            max_size=1024 * 1024,
            proxy=None,
            user_agent_header=None,
        )
    except InvalidURI:
        raise ConnectFailure("bad URL", f"{url} is not a ws:// or wss:// URL", fatal=True) from None
    except InvalidStatus as e:
        status = e.response.status_code
        transient = status >= 500 or status in _BUSY
        # 400: what a websockets server answers when it speaks none of the subprotocols offered
        offered = f", offered the subprotocol {version}" if status == 400 else ""
        raise ConnectFailure(
            f"HTTP {status}",
            f"{where} refused the handshake of charge point {charge_point_id} (HTTP {status} "
            f"{e.response.reason_phrase}{offered})",
            fatal=not transient,
        ) from None
    except ssl.SSLError as e:
        raise ConnectFailure(
            "TLS", f"TLS with {where} failed: {e.reason or e}", fatal=True
        ) from None
    except TimeoutError:
        raise ConnectFailure(
            "handshake timeout",
            f"{where} did not complete the handshake within {timeout_s:g} s",
            fatal=False,
        ) from None
    except ConnectionRefusedError:
        raise ConnectFailure(
            "connection refused", f"cannot reach {where}: connection refused", fatal=True
        ) from None
    except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError, ConnectionClosed):
        # ConnectionClosed: the socket went away while websockets was still in the handshake.
        raise ConnectFailure(
            "connection reset", f"{where} reset the connection during the handshake", fatal=False
        ) from None
    except OSError as e:
        # EMFILE (open files) and EADDRNOTAVAIL (ephemeral ports) are the machine's limits.
        name = errno.errorcode.get(e.errno or 0, str(e.errno))
        raise ConnectFailure(name, f"cannot reach {where}: {e.strerror or e}", fatal=True) from None
    except InvalidMessage as e:
        raise ConnectFailure(
            "handshake broken off", f"{where} broke off the handshake: {e}", fatal=False
        ) from None
    except InvalidHandshake as e:
        raise ConnectFailure(
            "handshake refused", f"{where} refused the websocket handshake: {e}", fatal=True
        ) from None
    if ws.subprotocol != version:
        await ws.close()
        raise ConnectFailure(
            "no subprotocol", f"{where} did not accept the subprotocol {version}", fatal=True
        )
    return ws


class _Silent(Exception):
    """This charge point's CALLs went unanswered silence_limit times in a row."""


class LoadChargePoint:
    """One charge point: its connections over the run, and the CALLs of each."""

    __slots__ = ("_fleet", "_next_id", "_unanswered", "active", "id", "index")

    def __init__(self, fleet: Fleet, index: int, charge_point_id: str, active: bool) -> None:
        self._fleet = fleet
        self.index = index
        self.id = charge_point_id
        self.active = active
        self._next_id = 0
        self._unanswered = 0

    async def run(self, spans: tuple[tuple[float, float], ...]) -> None:
        """Be connected in each (on_s, off_s) span of the run (seconds from its start)."""
        fleet = self._fleet
        try:
            for on_s, off_s in spans:
                await self._span(fleet.t0 + on_s, fleet.t0 + off_s)
        except _Silent:
            return

    async def _span(self, on_at: float, off_at: float) -> None:
        fleet = self._fleet
        loop = fleet.loop
        recorder = fleet.recorder
        await asyncio.sleep(max(0.0, on_at - loop.time()))
        intended = on_at
        reconnect = False
        backoff_s = fleet.options.backoff_initial_s
        while loop.time() < off_at:
            recorder.attempt()
            try:
                ws = await open_websocket(
                    fleet.options.url,
                    self.id,
                    password=fleet.options.password,
                    ssl_context=fleet.options.ssl_context,
                    timeout_s=fleet.options.connect_timeout_s,
                    close_timeout_s=fleet.options.close_timeout_s,
                    version=fleet.dialect.version,
                )
            except ConnectFailure as failure:
                recorder.failed(failure.cause)
                fleet.connect_failed(self.id, failure)
                dropped = True
            else:
                recorder.opened(loop.time() - intended, reconnect)
                fleet.connect_succeeded()
                dropped = False
                try:
                    dropped = await self._converse(ws, off_at)
                finally:
                    recorder.closed(dropped)
                    if ws.state is not State.CLOSED:  # dropped, cancelled, or given up
                        ws.transport.abort()
                if not dropped:
                    return
                reconnect = True
                backoff_s = fleet.options.backoff_initial_s
            # Equal jitter: a fleet that lost its backend does not come back in one burst.
            delay_s = backoff_s / 2.0 + _JITTER.random() * backoff_s / 2.0
            backoff_s = min(fleet.options.backoff_max_s, backoff_s * 2.0)
            intended = loop.time() + delay_s
            if intended >= off_at:
                return
            await asyncio.sleep(delay_s)

    async def _converse(self, ws: ClientConnection, off_at: float) -> bool:
        """One connection's CALLs until `off_at`; True when the other side dropped it."""
        fleet = self._fleet
        loop = fleet.loop
        recorder = fleet.recorder
        timeout_s = fleet.options.timeout_s
        # The version's parts, taken once: a message costs the same in either.
        version = fleet.dialect.version
        actions = fleet.dialect.actions
        schedule = fleet.dialect.schedule(
            fleet.options.plan, self.id, self.index, self.active, loop.time()
        )
        free_at = loop.time()
        due: Due | None = None
        try:
            while True:
                next_at = schedule.next_at_s()
                if next_at is None or next_at >= off_at:
                    await self._idle_until(ws, off_at, version)
                    await ws.close()
                    return False
                await self._idle_until(ws, next_at, version)
                due = schedule.pop()
                payload = schedule.payload(due, TIMESTAMPS.now())
                action = actions[due.action]
                validate_request(version, action, payload)
                self._next_id += 1
                message_id = str(self._next_id)
                frame = dumps_compact([2, message_id, action, payload])
                sent_at = loop.time()
                recorder.sent(action, sent_at - max(due.at_s, free_at))
                await ws.send(frame)
                answer = await self._answer(ws, message_id, action, sent_at + timeout_s, version)
                answered_at = free_at = loop.time()
                if answer is None:
                    recorder.timed_out(action)
                    schedule.failed(due, answered_at, timed_out=True)
                    self._unanswered += 1
                    if self._unanswered >= fleet.options.silence_limit:
                        fleet.stop(
                            f"charge point {self.id}: {self._unanswered} CALLs in a row got no "
                            f"answer within {timeout_s:g} s (the last a {action}): the central "
                            "system went silent"
                        )
                        raise _Silent
                elif isinstance(answer, str):
                    self._unanswered = 0
                    recorder.errored(action, answer)
                    schedule.failed(due, answered_at)
                else:
                    self._unanswered = 0
                    recorder.answered(action, answered_at - due.at_s, answered_at - sent_at)
                    schedule.answered(due, answered_at, answer)
                due = None
        except (ConnectionClosed, OSError):
            if due is not None:
                recorder.lost(actions[due.action])
            return True
        except asyncio.CancelledError:
            # The run was stopped: the CALL in flight is closed off with its connection.
            if due is not None:
                recorder.lost(actions[due.action])
            raise

    async def _idle_until(self, ws: ClientConnection, deadline: float, version: Version) -> None:
        """Wait until `deadline`, answering what the central system sends meanwhile."""
        loop = self._fleet.loop
        # Already due (the connection is behind its schedule): a timer and a cancelled recv
        # would cost more than the CALL; what the central system sent is read (and answered)
        # while we wait for our answer instead.
        while deadline > loop.time():
            try:
                async with asyncio.timeout_at(deadline):
                    raw = await ws.recv()
            except TimeoutError:
                return
            await self._unsolicited(ws, parse_frame(version, raw), version)

    async def _answer(
        self, ws: ClientConnection, message_id: str, action: str, deadline: float, version: Version
    ) -> dict[str, Any] | str | None:
        """The reply to our CALL: its payload (validated), a CALLERROR's code (or
        `InvalidReply:<code>`), or None when none came by `deadline`.

        The deadline is kept by the fleet's `Deadlines` (a timing wheel for the run) rather
        than by a timer per CALL: it cancels this task once the deadline has passed, and the
        cancellation it caused is taken back here."""
        deadlines = self._fleet.deadlines
        task = asyncio.current_task()
        assert task is not None
        while True:
            slot = deadlines.watch(deadline, task)
            try:
                raw = await ws.recv()
            except asyncio.CancelledError:
                if deadlines.fired(task) and task.uncancel() == 0:
                    return None
                raise
            finally:
                deadlines.unwatch(slot, task)
            frame = parse_frame(version, raw)
            if isinstance(frame, CallResult) and frame.unique_id == message_id:
                try:
                    _validate_response(version, action, frame.payload)
                except OCPPError as error:
                    return f"InvalidReply:{error.code}"
                payload: dict[str, Any] = frame.payload
                return payload
            if isinstance(frame, CallError) and frame.unique_id == message_id:
                return str(frame.error_code)
            if isinstance(frame, Rejected) and frame.message_id == message_id:
                return f"InvalidReply:{frame.error.code}"
            await self._unsolicited(ws, frame, version)
            if self._fleet.loop.time() >= deadline:
                return None

    async def _unsolicited(self, ws: ClientConnection, frame: Any, version: Version) -> None:
        """A frame that is not the answer we wait for: a CALL of the central system gets
        NotSupported (NotImplemented if no action of the version), a defective frame the
        CALLERROR ocppj names; a late or unknown reply is dropped."""
        if isinstance(frame, Call):
            self._fleet.recorder.server_call()
            known = is_known_action(version, frame.action)
            error = error_for(
                version,
                Defect.UNSUPPORTED_ACTION if known else Defect.UNKNOWN_ACTION,
                f"a load-test charge point does not handle {frame.action}"[:255],
            )
            await ws.send(frame.create_call_error(error).to_json())
        elif isinstance(frame, Rejected):
            reply = frame.reply
            if reply is not None:
                await ws.send(reply.to_json())
