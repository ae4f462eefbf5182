"""An independent central system for the 2.0.1 tests: the stock `ocpp` package's `v201` (and,
for runs that mix versions, `v16`) ChargePoint classes with their own schema validation on,
served on 127.0.0.1 with websockets, in a thread of its own so that `chargenet run` can run in
the test's.

It answers like the built-in central system with every tag accepted (the fast engine's
physics), journals every CALL it handled and every CALLERROR it sent (the stock classes answer
a CALL that fails their schema with one), and can script a station's boot answers. Security
profiles: a `password` asks every handshake for HTTP basic auth (username the station id;
`passwords` per station), a `tls` server context makes it wss://, one that requires a client
certificate signed by its CA is profile 3 (a fleet shares one certificate: no CN check).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ocpp import v16, v201
from ocpp.exceptions import InternalError
from ocpp.routing import after, on
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0
CALL_TIMEOUT_S = 30.0
CLOSE_TIMEOUT_S = 1.0  # a run cancelled by its test never answers the closing handshake


@dataclass
class Journal:
    """What the central system saw. Written by its thread only; read once it stopped (or
    through `snapshot` while it runs)."""

    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    """(station, action, payload as on the wire) of every CALL a handler accepted."""
    call_errors: list[tuple[str, str]] = field(default_factory=list)
    """(station, frame) of every CALLERROR the central system sent."""
    subprotocols: dict[str, str] = field(default_factory=dict)
    boot_answers: dict[str, list[str]] = field(default_factory=dict)
    """station -> the statuses its next boots get (then Accepted)."""
    heartbeat_interval_s: int = 3600
    configure: list[dict[str, Any]] = field(default_factory=list)
    """SetVariableData every 2.0.1 station gets after each accepted boot."""
    set_results: list[dict[str, Any]] = field(default_factory=list)
    gate: Callable[[str, str], bool] | None = None
    """(station, raw frame) -> False to drop the connection instead of handling the frame."""
    admit: Callable[[str], bool] | None = None
    refuse: Callable[[str, dict[str, Any]], bool] | None = None
    """(station, TransactionEvent payload) -> True to answer it with a CALLERROR."""
    """station -> False to close its new connection at once (an outage)."""
    password: str | None = None
    """Basic auth asked of every station (None: none asked)."""
    passwords: dict[str, str] = field(default_factory=dict)
    """station -> its own password, instead of `password`."""
    logins: list[tuple[str, str | None]] = field(default_factory=list)
    """(station, the password it gave, None for none) of every handshake."""
    refusals: list[tuple[str, int]] = field(default_factory=list)
    """(station, HTTP status) of every handshake refused."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, station: str, action: str, payload: dict[str, Any]) -> None:
        with self.lock:
            self.calls.append((station, action, payload))

    def of(self, action: str) -> list[tuple[str, dict[str, Any]]]:
        with self.lock:
            return [(s, p) for s, a, p in self.calls if a == action]


def _now() -> str:
    return datetime.now(UTC).isoformat()


class _Journaled:
    """Records the CALLERRORs a stock class sends (mixed into both versions' classes)."""

    journal: Journal
    id: str

    async def _send(self, message: str) -> None:
        if message.startswith("[4,"):
            with self.journal.lock:
                self.journal.call_errors.append((self.id, message))
        await super()._send(message)  # type: ignore[misc]


class StationSession(_Journaled, v201.ChargePoint):
    """One 2.0.1 charging station's connection, seen from the central system."""

    def __init__(self, station: str, ws: ServerConnection, journal: Journal) -> None:
        super().__init__(station, ws, response_timeout=CALL_TIMEOUT_S)
        self.journal = journal

    def _wire(self, action: str, **payload: Any) -> None:
        self.journal.note(self.id, action, v201_payload(payload))

    async def route_message(self, raw: str) -> None:
        gate = self.journal.gate
        if gate is not None and not gate(self.id, raw):
            await self._connection.close()  # the frame is never handled: it comes again
            return
        await super().route_message(raw)

    @on(v201.enums.Action.boot_notification)
    def on_boot(self, **payload: Any) -> v201.call_result.BootNotification:
        self._wire("BootNotification", **payload)
        with self.journal.lock:
            answers = self.journal.boot_answers.get(self.id, [])
            status = answers.pop(0) if answers else "Accepted"
        interval_s = self.journal.heartbeat_interval_s if status == "Accepted" else 1
        return v201.call_result.BootNotification(
            current_time=_now(), interval=interval_s, status=status
        )

    @after(v201.enums.Action.boot_notification)
    async def after_boot(self, **_: Any) -> None:
        if not self.journal.configure:
            return
        with contextlib.suppress(Exception):  # the station may be rebooting meanwhile
            result = await self.call(
                v201.call.SetVariables(set_variable_data=self.journal.configure)
            )
            with self.journal.lock:
                self.journal.set_results.extend(result.set_variable_result)

    @on(v201.enums.Action.heartbeat)
    def on_heartbeat(self) -> v201.call_result.Heartbeat:
        self._wire("Heartbeat")
        return v201.call_result.Heartbeat(current_time=_now())

    @on(v201.enums.Action.status_notification)
    def on_status(self, **payload: Any) -> v201.call_result.StatusNotification:
        self._wire("StatusNotification", **payload)
        return v201.call_result.StatusNotification()

    @on(v201.enums.Action.authorize)
    def on_authorize(self, **payload: Any) -> v201.call_result.Authorize:
        self._wire("Authorize", **payload)
        return v201.call_result.Authorize(id_token_info={"status": "Accepted"})

    @on(v201.enums.Action.transaction_event)
    def on_transaction_event(self, **payload: Any) -> v201.call_result.TransactionEvent:
        refuse = self.journal.refuse
        if refuse is not None and refuse(self.id, v201_payload(payload)):
            raise InternalError(description="refused by the test")
        self._wire("TransactionEvent", **payload)
        if payload["event_type"] == "Started":
            return v201.call_result.TransactionEvent(id_token_info={"status": "Accepted"})
        return v201.call_result.TransactionEvent()

    @on(v201.enums.Action.meter_values)
    def on_meter_values(self, **payload: Any) -> v201.call_result.MeterValues:
        self._wire("MeterValues", **payload)
        return v201.call_result.MeterValues()

    @on(v201.enums.Action.notify_report)
    def on_notify_report(self, **payload: Any) -> v201.call_result.NotifyReport:
        self._wire("NotifyReport", **payload)
        return v201.call_result.NotifyReport()

    @on(v201.enums.Action.firmware_status_notification)
    def on_firmware_status(self, **payload: Any) -> v201.call_result.FirmwareStatusNotification:
        self._wire("FirmwareStatusNotification", **payload)
        return v201.call_result.FirmwareStatusNotification()

    @on(v201.enums.Action.security_event_notification)
    def on_security_event(self, **payload: Any) -> v201.call_result.SecurityEventNotification:
        self._wire("SecurityEventNotification", **payload)
        return v201.call_result.SecurityEventNotification()

    @on(v201.enums.Action.log_status_notification)
    def on_log_status(self, **payload: Any) -> v201.call_result.LogStatusNotification:
        self._wire("LogStatusNotification", **payload)
        return v201.call_result.LogStatusNotification()


class ChargePointSession(_Journaled, v16.ChargePoint):
    """One 1.6 charge point's connection (for runs that mix versions)."""

    transactions = 0

    def __init__(self, station: str, ws: ServerConnection, journal: Journal) -> None:
        super().__init__(station, ws, response_timeout=CALL_TIMEOUT_S)
        self.journal = journal

    @on(v16.enums.Action.boot_notification)
    def on_boot(self, **payload: Any) -> v16.call_result.BootNotification:
        self.journal.note(self.id, "BootNotification", payload)
        return v16.call_result.BootNotification(
            current_time=_now(), interval=self.journal.heartbeat_interval_s, status="Accepted"
        )

    @on(v16.enums.Action.heartbeat)
    def on_heartbeat(self) -> v16.call_result.Heartbeat:
        self.journal.note(self.id, "Heartbeat", {})
        return v16.call_result.Heartbeat(current_time=_now())

    @on(v16.enums.Action.status_notification)
    def on_status(self, **payload: Any) -> v16.call_result.StatusNotification:
        self.journal.note(self.id, "StatusNotification", payload)
        return v16.call_result.StatusNotification()

    @on(v16.enums.Action.authorize)
    def on_authorize(self, **payload: Any) -> v16.call_result.Authorize:
        self.journal.note(self.id, "Authorize", payload)
        return v16.call_result.Authorize(id_tag_info={"status": "Accepted"})

    @on(v16.enums.Action.start_transaction)
    def on_start(self, **payload: Any) -> v16.call_result.StartTransaction:
        self.journal.note(self.id, "StartTransaction", payload)
        ChargePointSession.transactions += 1
        return v16.call_result.StartTransaction(
            transaction_id=ChargePointSession.transactions, id_tag_info={"status": "Accepted"}
        )

    @on(v16.enums.Action.stop_transaction)
    def on_stop(self, **payload: Any) -> v16.call_result.StopTransaction:
        self.journal.note(self.id, "StopTransaction", payload)
        return v16.call_result.StopTransaction()

    @on(v16.enums.Action.meter_values)
    def on_meter_values(self, **payload: Any) -> v16.call_result.MeterValues:
        self.journal.note(self.id, "MeterValues", payload)
        return v16.call_result.MeterValues()


def v201_payload(snake: dict[str, Any]) -> dict[str, Any]:
    """A handler's snake_case kwargs back in wire camelCase (what the station sent)."""
    from ocpp.charge_point import snake_to_camel_case

    converted: dict[str, Any] = snake_to_camel_case(snake)
    return converted


@dataclass
class StockCsms:
    """The central system, running in its own thread and event loop."""

    journal: Journal = field(default_factory=Journal)
    url: str = ""
    sessions: dict[str, StationSession | ChargePointSession] = field(default_factory=dict)
    loop: asyncio.AbstractEventLoop | None = None
    station_class: type[StationSession] = StationSession
    """The session class of a 2.0.1 station (a test's subclass may script calls)."""
    charge_point_class: type[ChargePointSession] = ChargePointSession

    def _check_handshake(self, ws: ServerConnection, request: Request) -> Response | None:
        """Basic auth: 401 without the station's password."""
        station = request.path.rstrip("/").rsplit("/", 1)[-1]
        journal = self.journal
        given = _basic_password(request.headers.get("Authorization"), station)
        with journal.lock:
            journal.logins.append((station, given))
            wanted = journal.passwords.get(station, journal.password)
        if wanted is None or given == wanted:
            return None
        with journal.lock:
            journal.refusals.append((station, 401))
        return ws.respond(401, "refused\n")

    async def _handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        station = ws.request.path.rstrip("/").rsplit("/", 1)[-1]
        admit = self.journal.admit
        if admit is not None and not admit(station):
            await ws.close(code=1013)  # try again later
            return
        with self.journal.lock:
            self.journal.subprotocols[station] = str(ws.subprotocol)
        kind = self.station_class if ws.subprotocol == "ocpp2.0.1" else self.charge_point_class
        session: StationSession | ChargePointSession = kind(station, ws, self.journal)
        self.sessions[station] = session
        with contextlib.suppress(ConnectionClosed):
            await session.start()

    async def call(self, station: str, message: Any) -> Any:
        """A CALL to a connected station (from the test's thread: `call_from_test`)."""
        return await self.sessions[station].call(message)

    def call_from_test(self, station: str, message: Any) -> Any:
        assert self.loop is not None
        future = asyncio.run_coroutine_threadsafe(self.call(station, message), self.loop)
        return future.result(timeout=CALL_TIMEOUT_S)


@contextlib.contextmanager
def stock_csms(
    journal: Journal | None = None,
    tls: ssl.SSLContext | None = None,
    *,
    classes: tuple[type[StationSession], type[ChargePointSession]] | None = None,
    close_timeout_s: float = CLOSE_TIMEOUT_S,
) -> Iterator[StockCsms]:
    """Serve on 127.0.0.1 (a free port) for the duration of the block; over wss:// with the
    server context `tls`; `classes`: the 2.0.1 and 1.6 session classes to serve with;
    `close_timeout_s`: how long the server's close waits for each charge point's answer."""
    csms = StockCsms(journal or Journal())
    if classes is not None:
        csms.station_class, csms.charge_point_class = classes
    started = threading.Event()
    stopped: list[asyncio.Future[None]] = []
    failure: list[BaseException] = []

    async def serve_until_stopped() -> None:
        loop = asyncio.get_running_loop()
        csms.loop = loop
        stop = loop.create_future()
        stopped.append(stop)
        subprotocols: Any = ["ocpp2.0.1", "ocpp1.6"]
        async with serve(
            csms._handle,
            "127.0.0.1",
            0,
            subprotocols=subprotocols,
            close_timeout=close_timeout_s,
            process_request=csms._check_handshake,
            ssl=tls,
        ) as server:
            scheme = "ws" if tls is None else "wss"
            csms.url = f"{scheme}://127.0.0.1:{server.sockets[0].getsockname()[1]}"
            started.set()
            await stop

    def main() -> None:
        try:
            asyncio.run(serve_until_stopped())
        except BaseException as error:  # surfaced in the test's thread
            failure.append(error)
            started.set()

    thread = threading.Thread(target=main, name="stock-csms", daemon=True)
    thread.start()
    assert started.wait(START_TIMEOUT_S), "the stock central system did not start"
    if failure:
        raise failure[0]
    try:
        yield csms
    finally:
        assert csms.loop is not None
        csms.loop.call_soon_threadsafe(_finish, stopped[0])
        thread.join(STOP_TIMEOUT_S)
        assert not thread.is_alive(), "the stock central system did not stop"


def _finish(stop: asyncio.Future[None]) -> None:
    if not stop.done():
        stop.set_result(None)


def transactions(journal: Journal) -> dict[str, list[dict[str, Any]]]:
    """transactionId -> its TransactionEvents in the order they arrived."""
    out: dict[str, list[dict[str, Any]]] = {}
    for _, payload in journal.of("TransactionEvent"):
        out.setdefault(payload["transactionInfo"]["transactionId"], []).append(payload)
    return out


def _basic_password(header: str | None, station: str) -> str | None:
    """The password of an `Authorization: Basic` header for `station` (None: none, or
    another username)."""
    if header is None or not header.startswith("Basic "):
        return None
    try:
        username, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return password if username == station else None


def dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True)
