"""Resource bounds of the websocket server: what many, slow or large connections may take.

- A cap on connections (`--max-connections`, lowered to what the descriptor limit leaves):
  open websockets plus handshakes under way. At the cap a newcomer pushes out the oldest
  connection whose HTTP request has not arrived yet (a slowloris cannot hold the server, since
  a real charge point sends its request at once); when every connection has sent its request,
  the newcomer gets HTTP 503 at once, never a hang.
- A handshake timeout (`--handshake-timeout-s`): from the accepted connection to the upgrade.
- Bounded buffers: at most `MAX_QUEUED_FRAMES` received frames queued per connection (then
  reading pauses), each at most `CentralSystemConfig.websocket_max_size` bytes.
- When accept() fails (descriptor limit reached), one warning line per interval with the count,
  instead of asyncio's traceback per failed accept; the same for refusals at the cap. asyncio
  tries `backlog` accepts per wake-up and schedules a retry for each failed one (4,096 timers a
  second, each re-arming the socket); `listening_socket` stops a wake-up at its first failure.

`ConnectionGate` is the sans-I/O bookkeeping; `ConnectionGuard` ties it to websockets (through
`serve(create_connection=...)`) and to the event loop's exception handler.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import resource
import socket
import time
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar, Final, Generic, TypeVar

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Response

__all__ = [
    "DESCRIPTOR_RESERVE",
    "MAX_QUEUED_FRAMES",
    "REFUSAL_LINGER_S",
    "WARNING_INTERVAL_S",
    "Admission",
    "ConnectionGate",
    "ConnectionGuard",
    "LimitedConnection",
    "connection_cap",
    "connection_guard",
    "listening_socket",
]

LOGGER = logging.getLogger("central_system.limits")

#: Descriptors kept free of connections: the store (database, WAL, shared memory), the
#: listening sockets, the operator API and its clients, the event loop, stdio.
DESCRIPTOR_RESERVE: Final = 64
#: Received frames queued per connection before reading pauses (OCPP-J allows one CALL in
#: flight per direction: a charge point has a reply and a CALL of its own at most).
MAX_QUEUED_FRAMES: Final = 4
#: How long a refused connection may stay open for its 503 to be read.
REFUSAL_LINGER_S: Final = 1.0
#: One warning line per this interval for a repeated refusal.
WARNING_INTERVAL_S: Final = 10.0

#: accept() errors that mean "out of descriptors or memory" (asyncio retries after 1 s).
_RESOURCE_ERRNOS: Final = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


class _BackOffSocket(socket.socket):
    """After a resource error from accept(), says "nothing to accept" until the event loop has
    finished that wake-up (asyncio has then paused the socket and scheduled one retry)."""

    __slots__ = ("_backing_off",)

    def __init__(self, family: int, kind: int) -> None:
        super().__init__(family, kind)
        self._backing_off = False

    def accept(self) -> tuple[socket.socket, Any]:
        if self._backing_off:
            raise BlockingIOError(errno.EAGAIN, "backing off after a failed accept")
        try:
            return super().accept()
        except OSError as error:
            if error.errno in _RESOURCE_ERRNOS:
                self._backing_off = True
                asyncio.get_running_loop().call_soon(self._stop_backing_off)
            raise

    def _stop_backing_off(self) -> None:
        self._backing_off = False


def listening_socket(host: str, port: int) -> socket.socket | None:
    """A bound socket for a literal address (port 0: a free one), to give `serve(sock=...)`;
    None for a host name, which asyncio binds itself (then without the back-off)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    sock = _BackOffSocket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio does
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, port))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def connection_cap(max_connections: int, descriptor_limit: int) -> int:
    """The connections allowed: `max_connections`, or fewer if the descriptors run out first."""
    if descriptor_limit == resource.RLIM_INFINITY or descriptor_limit < 0:
        return max_connections
    return max(1, min(max_connections, descriptor_limit - DESCRIPTOR_RESERVE))


T = TypeVar("T", bound=Hashable)
_ExceptionHandler = Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object]


@dataclass(frozen=True, slots=True)
class Admission(Generic[T]):
    admitted: bool
    #: The waiting connection pushed out to make room, if any (the caller closes it).
    evicted: T | None = None


class ConnectionGate(Generic[T]):
    """Counts connections against a cap: waiting ones (no HTTP request yet, oldest first) and
    the others (request received, websocket open)."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._waiting: dict[T, None] = {}  # insertion order = age
        self._others: set[T] = set()

    def __len__(self) -> int:
        return len(self._waiting) + len(self._others)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def admit(self, connection: T, evictable: Callable[[T], bool] = lambda _: True) -> Admission[T]:
        """Admit a new connection; at the cap, by evicting the oldest waiting one that
        `evictable` confirms (those it refuses have their request already: no longer waiting)."""
        if len(self) < self.cap:
            self._waiting[connection] = None
            return Admission(admitted=True)
        while self._waiting:
            oldest = next(iter(self._waiting))
            del self._waiting[oldest]
            if evictable(oldest):
                self._waiting[connection] = None
                return Admission(admitted=True, evicted=oldest)
            self._others.add(oldest)
        return Admission(admitted=False)

    def waiting_connections(self) -> list[T]:
        return list(self._waiting)

    def request_received(self, connection: T) -> None:
        if connection in self._waiting:
            del self._waiting[connection]
            self._others.add(connection)

    def release(self, connection: T) -> None:
        self._waiting.pop(connection, None)
        self._others.discard(connection)


class _Throttle:
    """Reports a repeated event at most once per interval, with the count since the last
    report; what the interval ends with is reported by a timer, not left for the next event."""

    def __init__(
        self,
        report: Callable[[int], None],
        interval_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._report = report
        self._interval_s = interval_s
        self._clock = clock
        self._count = 0
        self._last_report_at: float | None = None
        self._timer: asyncio.TimerHandle | None = None

    def event(self) -> None:
        self._count += 1
        now = self._clock()
        if self._last_report_at is None or now - self._last_report_at >= self._interval_s:
            self._flush(now)
        elif self._timer is None:
            delay_s = self._last_report_at + self._interval_s - now
            self._timer = asyncio.get_running_loop().call_later(delay_s, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._count:
            self._flush(self._clock())

    def _flush(self, now: float) -> None:
        count, self._count, self._last_report_at = self._count, 0, now
        self._report(count)


def _refusal_bytes(body: bytes) -> bytes:
    headers = Headers(
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Connection", "close"),
        ]
    )
    status = HTTPStatus.SERVICE_UNAVAILABLE
    return Response(status.value, status.phrase, headers, body).serialize()


_FULL: Final = _refusal_bytes(b"Too many connections: try again later\n")
_SHUTTING_DOWN: Final = _refusal_bytes(b"Server is shutting down\n")


class LimitedConnection(ServerConnection):
    """A websockets `ServerConnection` that counts itself against its guard's gate."""

    guard: ClassVar[ConnectionGuard]
    _refused = False
    _linger: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.guard.admit(self)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            # The request (or a slowloris' next byte) is read: close without a reset.
            self.transport.close()
            return
        super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard.release(self)
        if self._linger is not None:
            self._linger.cancel()
        super().connection_lost(exc)

    def refuse(self, *, linger: bool, response: bytes = _FULL) -> None:
        """Answer 503 and close, before any request is parsed (the handshake task then ends as
        for a lost connection). With `linger`, close only once the request is read (or after
        `REFUSAL_LINGER_S`): closing on unread bytes sends a reset that can destroy the 503."""
        if self._refused:
            return
        self._refused = True
        self.transport.write(response)
        if linger:
            self._linger = self.loop.call_later(REFUSAL_LINGER_S, self.transport.close)
        else:
            self.transport.close()


def _awaits_request(connection: LimitedConnection) -> bool:
    return connection.request is None


class ConnectionGuard:
    """The cap and the warnings of one server (see the module docstring)."""

    def __init__(self, cap: int, *, warning_interval_s: float = WARNING_INTERVAL_S) -> None:
        self.gate: ConnectionGate[LimitedConnection] = ConnectionGate(cap)
        self.connection_type: type[ServerConnection] = type(
            "LimitedConnection", (LimitedConnection,), {"guard": self}
        )
        self._last_accept_error: OSError | None = None
        #: The loop's exception handler before ours, for everything but failed accepts.
        self.previous_handler: (
            Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object] | None
        ) = None
        self._refused = _Throttle(self._report_refused, warning_interval_s)
        self._evicted = _Throttle(self._report_evicted, warning_interval_s)
        self._accept_failed = _Throttle(self._report_accept_failed, warning_interval_s)

    def admit(self, connection: LimitedConnection) -> None:
        admission = self.gate.admit(connection, _awaits_request)
        if admission.evicted is not None:
            # Its bytes so far are read: it can go at once, and its descriptor with it.
            admission.evicted.refuse(linger=False)
            self._evicted.event()
        if not admission.admitted:
            connection.refuse(linger=True)
            self._refused.event()
            return
        connection.request_rcvd.add_done_callback(lambda _: self.gate.request_received(connection))

    def release(self, connection: LimitedConnection) -> None:
        self.gate.release(connection)

    def refuse_waiting(self) -> None:
        """At shutdown: the connections still without a request get 503 now, instead of
        holding the server's exit until their handshake timeout."""
        for connection in self.gate.waiting_connections():
            connection.refuse(linger=False, response=_SHUTTING_DOWN)

    def on_loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """The event loop's exception handler: a failed accept counts, the rest passes on."""
        exception = context.get("exception")
        if (
            isinstance(exception, OSError)
            and exception.errno in _RESOURCE_ERRNOS
            and str(context.get("message", "")).startswith("socket.accept()")
        ):
            self._last_accept_error = exception
            self._accept_failed.event()
        elif self.previous_handler is not None:
            self.previous_handler(loop, context)
        else:
            loop.default_exception_handler(context)

    def flush(self) -> None:
        for throttle in (self._refused, self._evicted, self._accept_failed):
            throttle.flush()

    def _report_refused(self, count: int) -> None:
        LOGGER.warning(
            "refused %d connection(s) with HTTP 503: all %d allowed connections are taken "
            "(--max-connections, descriptor limit)",
            count,
            self.gate.cap,
        )

    def _report_evicted(self, count: int) -> None:
        LOGGER.warning(
            "closed %d connection(s) that had sent no complete HTTP request, to make room "
            "under the cap of %d connections",
            count,
            self.gate.cap,
        )

    def _report_accept_failed(self, count: int) -> None:
        error = self._last_accept_error
        reason = (error.strerror or str(error)) if error else "out of resources"
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        LOGGER.warning(
            "%d accept(s) failed: %s (descriptor limit %d, %d connections); retrying every second",
            count,
            reason,
            soft,
            len(self.gate),
        )


@asynccontextmanager
async def connection_guard(
    max_connections: int, *, warning_interval_s: float = WARNING_INTERVAL_S
) -> AsyncIterator[ConnectionGuard]:
    """A guard for one server, its loop exception handler installed meanwhile."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    cap = connection_cap(max_connections, soft)
    if cap < max_connections:
        LOGGER.info(
            "the descriptor limit of %d allows %d connections, not %d", soft, cap, max_connections
        )
    guard = ConnectionGuard(cap, warning_interval_s=warning_interval_s)
    loop = asyncio.get_running_loop()
    guard.previous_handler = loop.get_exception_handler()
    loop.set_exception_handler(guard.on_loop_exception)
    try:
        yield guard
    finally:
        guard.flush()
        loop.set_exception_handler(guard.previous_handler)
