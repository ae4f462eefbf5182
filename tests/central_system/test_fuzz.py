"""Fuzzing the real central system process: every CALL answered, none with InternalError, no
crash, bounded memory, an intact store holding nothing the semantic rules forbid.

Bounded for CI (CHARGENET_FUZZ_FRAMES, default 10,000 frames over CHARGENET_FUZZ_CONNECTIONS,
default 16, seed CHARGENET_FUZZ_SEED); for a long local run:

    CHARGENET_FUZZ_FRAMES=200000 python -m pytest tests/central_system/test_fuzz.py -s \
        -p no:cacheprovider -o timeout=0
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
import random
import signal
import sqlite3
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import psutil
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.central_system.conftest import OCPP16_SUBPROTOCOL, serve_process
from tests.central_system.fuzzing import (
    ConnectionState,
    expected_reply_id,
    make_csr,
    next_frame,
)

FRAMES: Final = int(os.environ.get("CHARGENET_FUZZ_FRAMES", "10000"))
CONNECTIONS: Final = int(os.environ.get("CHARGENET_FUZZ_CONNECTIONS", "16"))
SEED: Final = int(os.environ.get("CHARGENET_FUZZ_SEED", "20261201"))
#: Room for a loaded machine: a reply normally takes milliseconds.
REPLY_TIMEOUT_S: Final = 30.0
#: The server's RSS may grow this much between the end of the warm-up (the first tenth of
#: the frames: caches, prepared statements, SQLite's page cache) and the end.
RSS_GROWTH_BOUND_MIB: Final = 40.0
ID_TAGS: Final = "ACCEPTED1,Accepted\nBLOCKED1,Blocked\nCHILD1,Accepted,,FLEET1\n"

#: Rows the semantic rules forbid: each query must return no row.
FORBIDDEN_ROWS: Final = {
    "transaction on connector <= 0 or > 100": (
        "SELECT id FROM transactions WHERE connector_id < 1 OR connector_id > 100"
    ),
    "negative meterStart": "SELECT id FROM transactions WHERE meter_start_wh < 0",
    "impossible stop not flagged": (
        "SELECT id FROM transactions WHERE stopped_at IS NOT NULL AND stop_flag IS NULL"
        " AND (meter_stop_wh < meter_start_wh OR stopped_at < started_at)"
    ),
    "transaction time out of range": (
        "SELECT id FROM transactions WHERE started_at NOT BETWEEN ?1 AND ?2"
        " OR stopped_at NOT BETWEEN ?1 AND ?2"
    ),
    "status for connector < 0 or > 100": (
        "SELECT id FROM status_notifications WHERE connector_id < 0 OR connector_id > 100"
    ),
    "status time out of range": (
        "SELECT id FROM status_notifications WHERE timestamp NOT BETWEEN ?1 AND ?2"
    ),
    "meter value time out of range": (
        "SELECT id FROM meter_values WHERE timestamp NOT BETWEEN ?1 AND ?2"
    ),
    "security event time out of range": (
        "SELECT id FROM security_events WHERE timestamp NOT BETWEEN ?1 AND ?2"
    ),
    "meter value of a transaction not its charge point's on that connector": (
        "SELECT m.id FROM meter_values m LEFT JOIN transactions t ON t.id = m.transaction_id"
        " AND t.charge_point_id = m.charge_point_id AND t.connector_id = m.connector_id"
        " WHERE m.transaction_id IS NOT NULL AND t.id IS NULL"
    ),
    "meter value on a negative connector": ("SELECT id FROM meter_values WHERE connector_id < 0"),
    "an integer column holding something else": (
        "SELECT id FROM transactions WHERE typeof(connector_id) != 'integer'"
        " OR typeof(meter_start_wh) != 'integer'"
        " OR (meter_stop_wh IS NOT NULL AND typeof(meter_stop_wh) != 'integer')"
    ),
}
EARLIEST_TEXT: Final = "1970-01-01T00:00:00.000000Z"
LATEST_TEXT: Final = "2099-12-31T23:59:59.999999Z"


@dataclass
class Tally:
    sent: int = 0
    calls: int = 0
    replies: Counter[str] = field(default_factory=Counter)
    unanswered: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    internal: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    server_calls: int = 0


#: CALLs in flight per connection: the server answers in order, and pipelining spares a
#: context switch per frame on a loaded machine.
WINDOW: Final = 16


class _Fuzzer:
    """One charge point: sends frames (at most WINDOW CALLs unanswered) and checks that the
    replies come in order, each with the id its CALL had; answers the server's own CALLs."""

    def __init__(self, ws: ClientConnection, state: ConnectionState, tally: Tally) -> None:
        self.ws = ws
        self.state = state
        self.tally = tally
        self.expected: deque[tuple[str, str]] = deque()  # (reply id, the frame, shortened)
        self.room = asyncio.Semaphore(WINDOW)
        self.failed = False

    async def receive(self) -> None:
        tally = self.tally
        while True:
            try:
                # asyncio.timeout, not wait_for: 3.11's wait_for can swallow the cancellation
                # that ends this task (seen once in a 200,000-frame run).
                async with asyncio.timeout(REPLY_TIMEOUT_S):
                    text = await self.ws.recv()
            except TimeoutError:
                if self.expected:
                    tally.unanswered.append(f"{self.state.charge_point_id}: {self.expected[0]}")
                    self.failed = True
                    return
                continue
            message = json.loads(text)
            if message[0] == 2:
                tally.server_calls += 1
                await self.ws.send(json.dumps([3, message[1], {"status": "Accepted"}]))
                continue
            if not self.expected:
                tally.wrong.append(f"unexpected {str(message)[:200]}")
                self.failed = True
                return
            expected_id, frame = self.expected.popleft()
            self.room.release()
            if message[1] != expected_id or message[0] not in (3, 4):
                tally.wrong.append(f"{frame} -> {str(message)[:200]}")
                self.failed = True
                return
            if message[0] == 4:
                tally.replies[message[2]] += 1
                if message[2] == "InternalError":
                    tally.internal.append(f"{frame} -> {message[3]}")
            else:
                tally.replies["CALLRESULT"] += 1
                transaction_id = message[2].get("transactionId")
                if isinstance(transaction_id, int):
                    self.state.transactions.append(transaction_id)


async def _fuzz_one(
    ws_url: str, number: int, frames: int, rng: random.Random, tally: Tally, warm: asyncio.Event
) -> None:
    charge_point_id = f"FUZZ{number:02d}"
    state = ConnectionState(charge_point_id, make_csr(charge_point_id))
    async with connect(
        f"{ws_url}/{charge_point_id}", subprotocols=[OCPP16_SUBPROTOCOL], max_size=2**22
    ) as ws:
        fuzzer = _Fuzzer(ws, state, tally)
        receiver = asyncio.create_task(fuzzer.receive())
        try:
            for _ in range(frames):
                frame = next_frame(rng, state)
                expected = expected_reply_id(frame)
                if fuzzer.failed:
                    return
                if expected is not None:
                    async with asyncio.timeout(REPLY_TIMEOUT_S * 2):
                        await fuzzer.room.acquire()
                    fuzzer.expected.append((expected, str(frame)[:300]))
                    tally.calls += 1
                await ws.send(frame)
                tally.sent += 1
                if tally.sent >= FRAMES // 10:
                    warm.set()
            async with asyncio.timeout(REPLY_TIMEOUT_S * 2):
                while fuzzer.expected and not fuzzer.failed:
                    await asyncio.sleep(0.01)
        except ConnectionClosed as exc:
            tally.closed.append(f"{charge_point_id}: {exc}")
        except TimeoutError:
            tally.unanswered.append(f"{charge_point_id}: {len(fuzzer.expected)} replies missing")
        finally:
            receiver.cancel()
            done, _ = await asyncio.wait([receiver], timeout=REPLY_TIMEOUT_S)
            if not done:
                tally.closed.append(f"{charge_point_id}: the receiver did not stop")
            elif not receiver.cancelled() and receiver.exception() is not None:
                tally.closed.append(f"{charge_point_id}: {receiver.exception()!r}")


async def _drain(stream: asyncio.StreamReader, lines: list[str]) -> None:
    while line := await stream.readline():
        lines.append(line.decode(errors="replace"))


def _forbidden_rows(db: sqlite3.Connection) -> dict[str, int]:
    found = {}
    for rule, sql in FORBIDDEN_ROWS.items():
        params = (EARLIEST_TEXT, LATEST_TEXT) if "?1" in sql else ()
        rows = db.execute(sql, params).fetchall()
        if rows:
            found[rule] = len(rows)
    bad_values = 0
    for (value,) in db.execute("SELECT value FROM meter_values WHERE format = 'Raw'"):
        try:
            bad_values += not math.isfinite(float(value))
        except ValueError:
            bad_values += 1
    if bad_values:
        found["Raw meter value that is no finite number"] = bad_values
    backwards = 0
    readings: dict[int, list[tuple[str, float]]] = {}
    for transaction_id, timestamp, value, unit in db.execute(
        "SELECT transaction_id, timestamp, value, unit FROM meter_values WHERE transaction_id"
        " IS NOT NULL AND measurand = 'Energy.Active.Import.Register' AND phase = ''"
        " AND format = 'Raw' AND unit IN ('Wh', 'kWh')"
    ):
        try:
            wh = float(value) * (1000.0 if unit == "kWh" else 1.0)
        except ValueError:
            wh = math.nan  # counted below as no finite reading
        readings.setdefault(transaction_id, []).append((timestamp, wh))
    starts = dict(db.execute("SELECT id, meter_start_wh FROM transactions"))
    for transaction_id, series in readings.items():
        series.sort()
        values = [wh for _, wh in series]
        backwards += any(b < a for a, b in itertools.pairwise(values))
        backwards += values[0] < starts.get(transaction_id, -math.inf)
        backwards += not all(math.isfinite(wh) for wh in values)
    if backwards:
        found["energy register infinite, below meterStart or going backwards"] = backwards
    return found


async def test_fuzzed_frames_are_all_answered_and_leave_no_forbidden_row(tmp_path: Path) -> None:
    db_path = tmp_path / "csms.sqlite"
    tags = tmp_path / "tags.csv"
    tags.write_text(ID_TAGS)
    rng = random.Random(SEED)
    tally = Tally()
    stderr: list[str] = []
    started = time.monotonic()
    async with serve_process(db_path, "--id-tags", str(tags)) as server:
        assert server.process.stderr is not None
        drain = asyncio.create_task(_drain(server.process.stderr, stderr))
        process = psutil.Process(server.process.pid)
        warm = asyncio.Event()
        per_connection = FRAMES // CONNECTIONS
        rngs = [random.Random(rng.random()) for _ in range(CONNECTIONS)]
        fuzzers = asyncio.gather(
            *(
                _fuzz_one(server.ws_url, n, per_connection, rngs[n], tally, warm)
                for n in range(CONNECTIONS)
            )
        )
        await asyncio.wait([asyncio.ensure_future(warm.wait())], timeout=300)
        rss_warm_mib = process.memory_info().rss / 2**20
        await fuzzers
        rss_end_mib = process.memory_info().rss / 2**20
        server_cpu_s = sum(process.cpu_times()[:2])
        alive = server.process.returncode is None
        server.process.send_signal(signal.SIGTERM)
        exit_code = await asyncio.wait_for(server.process.wait(), 60)
        await asyncio.wait_for(drain, 60)
    elapsed_s = time.monotonic() - started
    with sqlite3.connect(db_path) as db:
        integrity = db.execute("PRAGMA integrity_check").fetchall()
        forbidden = _forbidden_rows(db)
        stored = {
            table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("transactions", "meter_values", "status_notifications")
        }
    print(
        f"\nfuzz: {tally.sent} frames, {tally.calls} CALLs answered over {CONNECTIONS}"
        f" connections in {elapsed_s:.1f} s; replies {dict(tally.replies)};"
        f" server CALLs {tally.server_calls}; server CPU {server_cpu_s:.1f} s;"
        f" RSS {rss_warm_mib:.1f} -> {rss_end_mib:.1f} MiB;"
        f" stored {stored}"
    )
    assert alive
    assert exit_code == 0
    assert tally.closed == []
    assert tally.unanswered == []
    assert tally.wrong == []
    assert tally.internal == []
    assert tally.sent == per_connection * CONNECTIONS
    assert not [line for line in stderr if "Traceback" in line or "ERROR" in line], stderr[:20]
    assert rss_end_mib - rss_warm_mib < RSS_GROWTH_BOUND_MIB
    assert integrity == [("ok",)]
    assert forbidden == {}
    assert stored["transactions"] > 0
    assert stored["meter_values"] > 0
