"""A SIGKILL of the central system process in the middle of a 2.0.1 run, and a restart on the
same store: no TransactionEvent is lost and none is applied twice.

Stations are stock v201 ChargePoints (validation on) that do what a 2.0.1 station does with
an unanswered TransactionEvent: keep it queued, reconnect, and send it again with its seqNo.
A message the dead process had committed but not answered is therefore retransmitted, and must
be recognised as the one already applied."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
from collections import deque
from pathlib import Path

from ocpp.v201 import ChargePoint, call
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from tests.central_system.conftest import serve_process
from tests.central_system.v201_station import (
    OCPP201_SUBPROTOCOL,
    REPLY_TIMEOUT_S,
    boot_request,
    session_events,
)

STATIONS = 4
TRANSACTIONS_PER_STATION = 2
UPDATES = 4  # events per transaction: UPDATES + 2
EVENTS = STATIONS * TRANSACTIONS_PER_STATION * (UPDATES + 2)
#: The kill comes once this many events were answered: mid-run.
KILL_AFTER = EVENTS // 3


class _Lost(Exception):
    """The connection went before the call was answered."""


class _Address:
    """The central system's current URL; stations wait here for the restarted one."""

    def __init__(self) -> None:
        self.url: str | None = None
        #: URLs of killed processes (marked before the kill).
        self.dead: set[str] = set()
        self._changed = asyncio.Condition()

    async def set(self, url: str) -> None:
        async with self._changed:
            self.url = url
            self._changed.notify_all()

    async def live(self) -> str:
        async with self._changed:
            await self._changed.wait_for(lambda: self.url is not None and self.url not in self.dead)
            assert self.url is not None
            return self.url


class _Station:
    def __init__(self, station_id: str) -> None:
        self.id = station_id
        self.queue: deque[call.TransactionEvent] = deque(
            event
            for index in range(TRANSACTIONS_PER_STATION)
            for event in session_events(f"{station_id}-TX{index}", updates=UPDATES)
        )
        #: TransactionEvents sent (or being sent) whose answer never came: sent again.
        self.retransmitted = 0
        self.booted = False

    async def run(self, address: _Address, counter: _Counter) -> None:
        while self.queue:
            url = await address.live()
            try:
                async with connect(
                    f"{url}/{self.id}", subprotocols=[OCPP201_SUBPROTOCOL], open_timeout=30
                ) as ws:
                    station = ChargePoint(self.id, ws, response_timeout=REPLY_TIMEOUT_S)
                    await self._serve(station, counter)
            except (OSError, InvalidHandshake, ConnectionClosed, _Lost):
                if url not in address.dead:
                    await asyncio.sleep(0.1)  # a reconnect back-off, bounded by the test

    async def _serve(self, station: ChargePoint, counter: _Counter) -> None:
        receiving = asyncio.create_task(station.start())
        try:
            if not self.booted:
                await self._call(station, receiving, boot_request())
                self.booted = True
            while self.queue:
                try:
                    await self._call(station, receiving, self.queue[0])
                except BaseException:
                    self.retransmitted += 1
                    raise
                self.queue.popleft()
                counter.answered()
        finally:
            receiving.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await receiving

    @staticmethod
    async def _call(station: ChargePoint, receiving: asyncio.Task[None], message: object) -> None:
        """Wait for the answer, or fail as soon as the connection is gone (the stock call
        would wait out its whole timeout)."""
        calling = asyncio.create_task(station.call(message, suppress=False))
        done, _ = await asyncio.wait({calling, receiving}, return_when=asyncio.FIRST_COMPLETED)
        if calling not in done:
            calling.cancel()
            raise _Lost
        calling.result()


class _Counter:
    def __init__(self) -> None:
        self.count = 0
        self.reached = asyncio.Event()

    def answered(self) -> None:
        self.count += 1
        if self.count >= KILL_AFTER:
            self.reached.set()


async def test_a_sigkill_mid_run_and_a_restart_lose_no_event_and_apply_none_twice(
    tmp_path: Path,
) -> None:
    db = tmp_path / "csms.sqlite"
    address, counter = _Address(), _Counter()
    stations = [_Station(f"CS{index}") for index in range(STATIONS)]
    async with asyncio.timeout(110), asyncio.TaskGroup() as tasks:
        async with serve_process(db) as first:
            await address.set(first.ws_url)
            runs = [tasks.create_task(station.run(address, counter)) for station in stations]
            await counter.reached.wait()
            address.dead.add(first.ws_url)
            first.process.send_signal(signal.SIGKILL)
            await first.process.wait()
            answered_before_the_kill = counter.count
        async with serve_process(db) as second:
            await address.set(second.ws_url)
            await asyncio.gather(*runs)  # each ends once its whole queue was answered
            # A station whose answers were lost sends a whole transaction again, answered
            # before the kill: every event is acknowledged, none applied a second time.
            async with connect(
                f"{second.ws_url}/CS0", subprotocols=[OCPP201_SUBPROTOCOL], open_timeout=30
            ) as ws:
                again = _Station("CS0")
                again.booted = True
                again.queue = deque(session_events("CS0-TX0", updates=UPDATES))
                await again._serve(
                    ChargePoint("CS0", ws, response_timeout=REPLY_TIMEOUT_S), _Counter()
                )
    assert KILL_AFTER <= answered_before_the_kill < EVENTS  # killed mid-run
    retransmitted = sum(station.retransmitted for station in stations)
    assert retransmitted >= 1  # some event was in flight when the process died
    with sqlite3.connect(db) as store:
        transactions = store.execute(
            "SELECT charge_point_id, transaction_id, event_count, last_seq_no,"
            " ended_at IS NOT NULL, meter_start_wh, meter_stop_wh FROM transactions_201"
            " ORDER BY transaction_id"
        ).fetchall()
        seq_nos = store.execute(
            "SELECT transaction_id, GROUP_CONCAT(seq_no) FROM"
            " (SELECT transaction_id, seq_no FROM transaction_events_201"
            " ORDER BY transaction_id, seq_no) GROUP BY transaction_id ORDER BY transaction_id"
        ).fetchall()
        (repeats,) = store.execute("SELECT SUM(repeats) FROM transaction_events_201").fetchone()
        (samples,) = store.execute("SELECT COUNT(*) FROM meter_values_201").fetchone()
        (gaps,) = store.execute("SELECT COUNT(*) FROM seq_no_gaps_201").fetchone()
        (boots,) = store.execute("SELECT SUM(boot_count) FROM charge_points").fetchone()
    every = [
        (f"CS{index}", f"CS{index}-TX{number}")
        for index in range(STATIONS)
        for number in range(TRANSACTIONS_PER_STATION)
    ]
    end_wh = 1000.0 + 500 * (UPDATES + 1)
    assert transactions == [
        (station, transaction, UPDATES + 2, UPDATES + 1, 1, 1000.0, end_wh)
        for station, transaction in every
    ]
    assert seq_nos == [
        (transaction, ",".join(str(n) for n in range(UPDATES + 2))) for _, transaction in every
    ]
    assert (samples, gaps, boots) == (EVENTS, 0, STATIONS)
    # Each event sent again (after the kill, or the whole CS0-TX0) counts as a repeat only
    # if it had been committed: never applied twice.
    assert UPDATES + 2 <= repeats <= UPDATES + 2 + retransmitted
