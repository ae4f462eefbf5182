"""The central system's SQLite store.

Every handler writes and commits before its reply is sent, so a crash never loses an answered
message. WAL with synchronous=NORMAL: a commit survives the process being killed (not a power
cut), at no fsync per message.

Group commit: the writes of the handlers that run inside `batched()` (the sessions' message
handlers) join one SQLite transaction, committed once per turn of the event loop; each session
sends its reply only after `durable()` (that commit), so the guarantee above holds, the rows are
the same, and a turn that handles many messages pays for one commit. Each write method stays
atomic inside the batch (a SAVEPOINT). Outside `batched()`, or with no running event loop, each
write method is its own transaction, committed on return. One connection, used from the event
loop's thread only; SQL statements are constants, so sqlite3's statement cache keeps them
prepared.

The semantic rules look up a MeterValues' transaction and its register's last reading for
every message: the store keeps both in memory for the transactions it has seen open (`_open`,
`_last_register`), filled from the table on first use and kept up to date by its own writes
(this process is the store's only writer), and drops them all when a commit fails. A reading
that is not later than the last one, or a last instant held by two readings, goes to SQL.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from central_system.records import (
    Boot,
    IdTag,
    IdTagStatus,
    MeterSample,
    RegistrationStatus,
    SecurityEvent,
    SigningOutcome,
    StatusReport,
    StatusUpdate,
    StopFlag,
    StopOutcome,
    Transaction,
    TransactionStart,
    TransactionStop,
)
from central_system.timestamps import format_timestamp
from central_system.v201.schema import SCHEMA_201

__all__ = [
    "ENERGY_REGISTER",
    "SCHEMA_VERSION",
    "Store",
    "StoreError",
]

#: WAL pages between automatic checkpoints (SQLite's default is 1,000).
WAL_CHECKPOINT_PAGES: Final = 10_000

#: The register the semantic rules follow (as `chargenet report` does).
ENERGY_REGISTER: Final = "Energy.Active.Import.Register"

#: 2: transactions lost their UNIQUE key (a start is deduplicated against the connector's open
#: transactions only) and gained stop_flag; firmware, diagnostics, security event and
#: certificate request tables. A version 1 store is migrated in place when opened.
#: 3: the OCPP 2.0.1 tables (central_system.v201.schema), added to a version 1 or 2 store
#: when it is opened.
SCHEMA_VERSION: Final = 3

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS charge_points (
    id TEXT PRIMARY KEY,
    vendor TEXT,
    model TEXT,
    charge_point_serial_number TEXT,
    charge_box_serial_number TEXT,
    firmware_version TEXT,
    iccid TEXT,
    imsi TEXT,
    meter_type TEXT,
    meter_serial_number TEXT,
    registration_status TEXT,
    boot_count INTEGER NOT NULL DEFAULT 0,
    first_seen_at TEXT NOT NULL,
    last_connected_at TEXT,
    last_boot_at TEXT,
    last_heartbeat_at TEXT
);
CREATE TABLE IF NOT EXISTS status_notifications (
    id INTEGER PRIMARY KEY,
    charge_point_id TEXT NOT NULL,
    connector_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    error_code TEXT NOT NULL,
    info TEXT,
    vendor_id TEXT,
    vendor_error_code TEXT,
    timestamp TEXT,
    received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS status_notifications_by_connector
    ON status_notifications (charge_point_id, connector_id, id);
CREATE TABLE IF NOT EXISTS id_tags (
    id_tag TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    expiry_date TEXT,
    parent_id_tag TEXT
);
CREATE TABLE IF NOT EXISTS transactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    charge_point_id TEXT NOT NULL,
    connector_id INTEGER NOT NULL,
    id_tag TEXT NOT NULL,
    id_tag_status TEXT NOT NULL,
    meter_start_wh INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    reservation_id INTEGER,
    start_received_at TEXT NOT NULL,
    meter_stop_wh INTEGER,
    stopped_at TEXT,
    stop_id_tag TEXT,
    stop_reason TEXT,
    stop_received_at TEXT,
    stop_flag TEXT
);
CREATE INDEX IF NOT EXISTS transactions_open
    ON transactions (charge_point_id, connector_id) WHERE stopped_at IS NULL;
CREATE TABLE IF NOT EXISTS unmatched_stops (
    id INTEGER PRIMARY KEY,
    charge_point_id TEXT NOT NULL,
    transaction_id INTEGER NOT NULL,
    id_tag TEXT,
    meter_stop_wh INTEGER NOT NULL,
    stopped_at TEXT NOT NULL,
    reason TEXT,
    received_at TEXT NOT NULL,
    UNIQUE (charge_point_id, transaction_id, meter_stop_wh, stopped_at)
);
CREATE TABLE IF NOT EXISTS meter_values (
    id INTEGER PRIMARY KEY,
    charge_point_id TEXT NOT NULL,
    connector_id INTEGER NOT NULL,
    transaction_id INTEGER,
    timestamp TEXT NOT NULL,
    value TEXT NOT NULL,
    measurand TEXT NOT NULL,
    phase TEXT NOT NULL,
    unit TEXT NOT NULL,
    context TEXT NOT NULL,
    location TEXT NOT NULL,
    format TEXT NOT NULL,
    source TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS meter_values_once ON meter_values (
    charge_point_id, connector_id, IFNULL(transaction_id, 0), timestamp, measurand, phase,
    location, context, source
);
CREATE INDEX IF NOT EXISTS meter_values_by_transaction
    ON meter_values (transaction_id, measurand, timestamp);
CREATE TABLE IF NOT EXISTS firmware_statuses (
    id INTEGER PRIMARY KEY,
    charge_point_id TEXT NOT NULL,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    request_id INTEGER,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS diagnostics_statuses (
    id INTEGER PRIMARY KEY,
    charge_point_id TEXT NOT NULL,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    request_id INTEGER,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS security_events (
    id INTEGER PRIMARY KEY,
    charge_point_id TEXT NOT NULL,
    type TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    tech_info TEXT,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS certificate_requests (
    id INTEGER PRIMARY KEY,
    charge_point_id TEXT NOT NULL,
    csr TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    certificate_chain TEXT,
    received_at TEXT NOT NULL,
    delivery_status TEXT,
    delivered_at TEXT
);
CREATE TABLE IF NOT EXISTS data_transfers (
    id INTEGER PRIMARY KEY,
    charge_point_id TEXT NOT NULL,
    vendor_id TEXT NOT NULL,
    message_id TEXT,
    data TEXT,
    status TEXT NOT NULL,
    received_at TEXT NOT NULL
);
-- Credentials (security profile 1): keys charge points accepted through ChangeConfiguration
-- AuthorizationKey, as encoded scrypt hashes (never the key itself).
CREATE TABLE IF NOT EXISTS charge_point_credentials (
    charge_point_id TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    rotated_at TEXT NOT NULL
);
"""

_CONNECT: Final = """
INSERT INTO charge_points (id, first_seen_at, last_connected_at) VALUES (?, ?, ?)
ON CONFLICT (id) DO UPDATE SET last_connected_at = excluded.last_connected_at
"""
_BOOT: Final = """
INSERT INTO charge_points (
    id, vendor, model, charge_point_serial_number, charge_box_serial_number, firmware_version,
    iccid, imsi, meter_type, meter_serial_number, registration_status, boot_count,
    first_seen_at, last_boot_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    vendor = excluded.vendor, model = excluded.model,
    charge_point_serial_number = excluded.charge_point_serial_number,
    charge_box_serial_number = excluded.charge_box_serial_number,
    firmware_version = excluded.firmware_version, iccid = excluded.iccid,
    imsi = excluded.imsi, meter_type = excluded.meter_type,
    meter_serial_number = excluded.meter_serial_number,
    registration_status = excluded.registration_status,
    boot_count = boot_count + 1, last_boot_at = excluded.last_boot_at
"""
_HEARTBEAT: Final = """
INSERT INTO charge_points (id, first_seen_at, last_heartbeat_at) VALUES (?, ?, ?)
ON CONFLICT (id) DO UPDATE SET last_heartbeat_at = excluded.last_heartbeat_at
"""
_STATUS: Final = """
INSERT INTO status_notifications (
    charge_point_id, connector_id, status, error_code, info, vendor_id, vendor_error_code,
    timestamp, received_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_UPSERT_ID_TAG: Final = """
INSERT INTO id_tags (id_tag, status, expiry_date, parent_id_tag) VALUES (?, ?, ?, ?)
ON CONFLICT (id_tag) DO UPDATE SET
    status = excluded.status, expiry_date = excluded.expiry_date,
    parent_id_tag = excluded.parent_id_tag
"""
_FIND_ID_TAG: Final = "SELECT status, expiry_date, parent_id_tag FROM id_tags WHERE id_tag = ?"
_START: Final = """
INSERT INTO transactions (
    charge_point_id, connector_id, id_tag, id_tag_status, meter_start_wh, started_at,
    reservation_id, start_received_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
"""
# A retransmitted start matches an open transaction of its connector only: a charger without
# a set clock repeats (tag, meterStart, timestamp) across real sessions.
_FIND_OPEN_START: Final = """
SELECT id FROM transactions WHERE charge_point_id = ? AND connector_id = ? AND id_tag = ?
    AND meter_start_wh = ? AND started_at = ? AND stopped_at IS NULL
ORDER BY id LIMIT 1
"""
_STOP: Final = """
UPDATE transactions SET meter_stop_wh = ?, stopped_at = ?, stop_id_tag = ?, stop_reason = ?,
    stop_received_at = ?, stop_flag = ?
WHERE id = ? AND charge_point_id = ? AND stopped_at IS NULL
"""
_FIND_TRANSACTION: Final = """
SELECT connector_id, stopped_at FROM transactions WHERE id = ? AND charge_point_id = ?
"""
_TRANSACTION: Final = """
SELECT id, charge_point_id, connector_id, id_tag, id_tag_status, meter_start_wh, started_at,
    meter_stop_wh, stopped_at, stop_reason, stop_flag
FROM transactions WHERE id = ? AND charge_point_id = ?
"""
_CONNECTORS: Final = (
    "SELECT DISTINCT connector_id FROM status_notifications WHERE charge_point_id = ?"
)
_REGISTER_BEFORE: Final = """
SELECT value, unit FROM meter_values WHERE transaction_id = ? AND measurand = ?
    AND timestamp < ? AND charge_point_id = ? AND phase = '' AND format = 'Raw'
ORDER BY timestamp DESC LIMIT 1
"""
_LAST_REGISTERS: Final = """
SELECT timestamp, value, unit FROM meter_values WHERE transaction_id = ? AND measurand = ?
    AND charge_point_id = ? AND phase = '' AND format = 'Raw'
ORDER BY timestamp DESC LIMIT 2
"""
_REGISTER_AFTER: Final = """
SELECT value, unit FROM meter_values WHERE transaction_id = ? AND measurand = ?
    AND timestamp > ? AND charge_point_id = ? AND phase = '' AND format = 'Raw'
ORDER BY timestamp LIMIT 1
"""
_FIRMWARE_STATUS: Final = """
INSERT INTO firmware_statuses (charge_point_id, action, status, request_id, received_at)
VALUES (?, ?, ?, ?, ?)
"""
_DIAGNOSTICS_STATUS: Final = """
INSERT INTO diagnostics_statuses (charge_point_id, action, status, request_id, received_at)
VALUES (?, ?, ?, ?, ?)
"""
_SECURITY_EVENT: Final = """
INSERT INTO security_events (charge_point_id, type, timestamp, tech_info, received_at)
VALUES (?, ?, ?, ?, ?)
"""
_CERTIFICATE_REQUEST: Final = """
INSERT INTO certificate_requests (
    charge_point_id, csr, status, reason, certificate_chain, received_at
) VALUES (?, ?, ?, ?, ?, ?)
"""
_CERTIFICATE_DELIVERY: Final = """
UPDATE certificate_requests SET delivery_status = ?, delivered_at = ? WHERE id = ?
"""
# Version 1 -> 2: SQLite cannot drop a UNIQUE constraint, so the table is rebuilt (ids and
# the AUTOINCREMENT high-water mark kept: ids are never reused).
_MIGRATE_1_TO_2: Final = """
CREATE TABLE transactions_v2 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    charge_point_id TEXT NOT NULL,
    connector_id INTEGER NOT NULL,
    id_tag TEXT NOT NULL,
    id_tag_status TEXT NOT NULL,
    meter_start_wh INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    reservation_id INTEGER,
    start_received_at TEXT NOT NULL,
    meter_stop_wh INTEGER,
    stopped_at TEXT,
    stop_id_tag TEXT,
    stop_reason TEXT,
    stop_received_at TEXT,
    stop_flag TEXT
);
INSERT INTO transactions_v2 (
    id, charge_point_id, connector_id, id_tag, id_tag_status, meter_start_wh, started_at,
    reservation_id, start_received_at, meter_stop_wh, stopped_at, stop_id_tag, stop_reason,
    stop_received_at
) SELECT id, charge_point_id, connector_id, id_tag, id_tag_status, meter_start_wh, started_at,
    reservation_id, start_received_at, meter_stop_wh, stopped_at, stop_id_tag, stop_reason,
    stop_received_at FROM transactions;
CREATE TEMP TABLE sequence_v1 AS SELECT seq FROM sqlite_sequence WHERE name = 'transactions';
DROP TABLE transactions;
ALTER TABLE transactions_v2 RENAME TO transactions;
DELETE FROM sqlite_sequence WHERE name IN ('transactions', 'transactions_v2');
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'transactions', MAX(COALESCE((SELECT MAX(seq) FROM sequence_v1), 0),
        COALESCE((SELECT MAX(id) FROM transactions), 0));
DROP TABLE sequence_v1;
UPDATE transactions SET stop_flag = 'meter_stop_below_start'
    WHERE stopped_at IS NOT NULL AND meter_stop_wh < meter_start_wh;
UPDATE transactions SET stop_flag = 'stop_before_start'
    WHERE stopped_at IS NOT NULL AND stop_flag IS NULL AND stopped_at < started_at;
"""
_UNMATCHED_STOP: Final = """
INSERT INTO unmatched_stops (
    charge_point_id, transaction_id, id_tag, meter_stop_wh, stopped_at, reason, received_at
) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING
"""
_METER_VALUE: Final = """
INSERT INTO meter_values (
    charge_point_id, connector_id, transaction_id, timestamp, value, measurand, phase, unit,
    context, location, format, source, received_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING
"""
_DATA_TRANSFER: Final = """
INSERT INTO data_transfers (charge_point_id, vendor_id, message_id, data, status, received_at)
VALUES (?, ?, ?, ?, ?, ?)
"""
_TRANSACTIONS: Final = """
SELECT id, charge_point_id, connector_id, id_tag, id_tag_status, meter_start_wh, started_at,
    meter_stop_wh, stopped_at, stop_reason, stop_flag
FROM transactions ORDER BY id
"""


def _text(moment: datetime | None) -> str | None:
    return None if moment is None else format_timestamp(moment)


def _moment(text: str | None) -> datetime | None:
    # Not parse_timestamp: a store written before the date rules may hold any date.
    return None if text is None else datetime.fromisoformat(text)


def _transaction_from(row: tuple[Any, ...]) -> Transaction:
    return Transaction(
        transaction_id=row[0],
        charge_point_id=row[1],
        connector_id=row[2],
        id_tag=row[3],
        id_tag_status=IdTagStatus(row[4]),
        meter_start_wh=row[5],
        started_at=datetime.fromisoformat(row[6]),
        meter_stop_wh=row[7],
        stopped_at=_moment(row[8]),
        stop_reason=row[9],
        stop_flag=row[10],
    )


def _register_wh(row: tuple[str, str] | None) -> float | None:
    if row is None:
        return None
    factor = {"Wh": 1.0, "kWh": 1000.0}.get(row[1])
    try:
        return None if factor is None else float(row[0]) * factor
    except ValueError:
        return None


class StoreError(Exception):
    """The store cannot be opened; the message is one line."""


class Store:
    """The durable state. Each write method is one SQLite transaction, committed on return."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        # isolation_level=None: no implicit transactions; each write opens and commits its own.
        try:
            self._db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, cached_statements=64
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the store {self.path}: {exc}") from None
        try:
            self._prepare()
        except sqlite3.Error as exc:
            self._db.close()
            raise StoreError(f"cannot open the store {self.path}: {exc}") from None
        except BaseException:
            self._db.close()
            raise
        self._batching = False
        self._batch: list[asyncio.Future[None]] | None = None
        """While a batch transaction is open: a future per `durable()` waiting on its commit
        (each its own, so that a cancelled waiter cancels nothing else, without a shield)."""
        self._open: dict[tuple[str, int], Transaction] = {}
        """Open transactions by (charge point, id), as `find_transaction` last read them."""
        self._last_register: dict[tuple[str, int], _LastRegister] = {}
        """Per open transaction: its register's last stored reading (see the module)."""

    def _prepare(self) -> None:
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        # A checkpoint (which fsyncs) every 40 MiB of WAL rather than 4 MiB: commits are as
        # durable either way, and the pages rewritten between checkpoints are copied once.
        self._db.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
        self._db.execute("PRAGMA busy_timeout=5000")
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, 1, 2, SCHEMA_VERSION):
            raise StoreError(f"{self.path}: store schema version {version} is not supported")
        if version in (0, 1) and self._has_unique_transactions():
            # One transaction: a kill during the migration leaves the version 1 store intact.
            self._db.executescript(f"BEGIN; {_MIGRATE_1_TO_2} COMMIT;")
        self._db.executescript(_SCHEMA + SCHEMA_201)
        self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _has_unique_transactions(self) -> bool:
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(transactions)")}
        return bool(columns) and "stop_flag" not in columns

    def close(self) -> None:
        self.commit_batch()
        self._db.close()

    # Group commit.

    @contextmanager
    def batched(self) -> Iterator[None]:
        """Writes in this block join the event loop turn's batch (see the module)."""
        outer = self._batching
        self._batching = True
        try:
            yield
        finally:
            self._batching = outer

    def _in_batch(self) -> bool:
        """Before a write: whether it goes into the batch (opened here if need be)."""
        if self._batch is not None:
            return True
        if not self._batching:
            return False
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        self._db.execute("BEGIN")
        self._batch = []
        loop.call_soon(self.commit_batch)
        return True

    def commit_batch(self) -> None:
        """Commit the open batch (the event loop calls it once per turn); a failed commit
        rolls the batch back and fails `durable()`, so none of its replies is sent."""
        waiters = self._batch
        if waiters is None:
            return
        self._batch = None
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            self._forget_open()  # what they hold may have been rolled back
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(exc)
            return
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def durable(self) -> None:
        """Return once every write made so far is committed (raises if the commit failed)."""
        waiters = self._batch
        if waiters is not None:
            waiter = asyncio.get_running_loop().create_future()
            waiters.append(waiter)
            await waiter

    def _atomic(self) -> _transaction | _savepoint:
        """One write method's transaction: a savepoint inside the batch, else its own."""
        return _savepoint(self._db) if self._in_batch() else _transaction(self._db)

    def _write(self, sql: str, params: Sequence[object]) -> None:
        # Outside BEGIN a single statement is its own transaction: committed on return (in a
        # batch, a failing statement undoes only itself).
        self._in_batch()
        self._db.execute(sql, params)

    # Charge points.

    def record_connection(self, charge_point_id: str, at: datetime) -> None:
        text = format_timestamp(at)
        self._write(_CONNECT, (charge_point_id, text, text))

    def record_boot(self, boot: Boot, status: RegistrationStatus, at: datetime) -> None:
        text = format_timestamp(at)
        self._write(
            _BOOT,
            (
                boot.charge_point_id,
                boot.vendor,
                boot.model,
                boot.charge_point_serial_number,
                boot.charge_box_serial_number,
                boot.firmware_version,
                boot.iccid,
                boot.imsi,
                boot.meter_type,
                boot.meter_serial_number,
                status.value,
                text,
                text,
            ),
        )

    def record_heartbeat(self, charge_point_id: str, at: datetime) -> None:
        text = format_timestamp(at)
        self._write(_HEARTBEAT, (charge_point_id, text, text))

    def record_status(self, report: StatusReport, received_at: datetime) -> None:
        self._write(
            _STATUS,
            (
                report.charge_point_id,
                report.connector_id,
                report.status,
                report.error_code,
                report.info,
                report.vendor_id,
                report.vendor_error_code,
                _text(report.timestamp),
                format_timestamp(received_at),
            ),
        )

    # Id tags.

    def provision_id_tags(self, tags: Iterable[IdTag]) -> int:
        rows = [
            (tag.id_tag, tag.status.value, _text(tag.expiry_date), tag.parent_id_tag)
            for tag in tags
        ]
        with self._atomic():
            self._db.executemany(_UPSERT_ID_TAG, rows)
        return len(rows)

    def find_id_tag(self, id_tag: str) -> IdTag | None:
        row = self._db.execute(_FIND_ID_TAG, (id_tag,)).fetchone()
        if row is None:
            return None
        return IdTag(id_tag, IdTagStatus(row[0]), _moment(row[1]), row[2])

    # Transactions and meter values.

    def start_transaction(
        self, start: TransactionStart, id_tag_status: IdTagStatus, received_at: datetime
    ) -> tuple[int, bool]:
        """Store a start; return (transaction id, created). A retransmitted start (same charge
        point, connector, tag, meter start and timestamp) returns the stored id, not a new one."""
        started_at = format_timestamp(start.started_at)
        key = (start.charge_point_id, start.connector_id, start.id_tag, start.meter_start_wh)
        db = self._db
        with self._atomic():
            existing = db.execute(_FIND_OPEN_START, (*key, started_at)).fetchone()
            if existing is not None:
                return existing[0], False
            cursor = db.execute(
                _START,
                (
                    *key[:3],
                    id_tag_status.value,
                    start.meter_start_wh,
                    started_at,
                    start.reservation_id,
                    format_timestamp(received_at),
                ),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid, True

    def stop_transaction(
        self,
        stop: TransactionStop,
        samples: Sequence[MeterSample],
        received_at: datetime,
        flag: StopFlag | None = None,
    ) -> StopOutcome:
        """Stop a transaction (flagged when `flag`), file a stop for an unknown one, or ignore
        a second stop; `samples` (its transactionData) are stored either way."""
        received = format_timestamp(received_at)
        stopped_at = format_timestamp(stop.stopped_at)
        db = self._db
        with self._atomic():
            found = db.execute(_FIND_TRANSACTION, (stop.transaction_id, stop.charge_point_id))
            row = found.fetchone()
            if row is None:
                outcome, connector_id = StopOutcome.UNKNOWN, 0
                db.execute(
                    _UNMATCHED_STOP,
                    (
                        stop.charge_point_id,
                        stop.transaction_id,
                        stop.id_tag,
                        stop.meter_stop_wh,
                        stopped_at,
                        stop.reason,
                        received,
                    ),
                )
            elif row[1] is not None:
                outcome, connector_id = StopOutcome.ALREADY_STOPPED, row[0]
            else:
                outcome = StopOutcome.STOPPED if flag is None else StopOutcome.FLAGGED
                connector_id = row[0]
                key = (stop.charge_point_id, stop.transaction_id)
                self._open.pop(key, None)
                self._last_register.pop(key, None)
                db.execute(
                    _STOP,
                    (
                        stop.meter_stop_wh,
                        stopped_at,
                        stop.id_tag,
                        stop.reason,
                        received,
                        None if flag is None else flag.value,
                        stop.transaction_id,
                        stop.charge_point_id,
                    ),
                )
            # Readings are kept only with the stop that ends their transaction: an unknown
            # one's would attach to whichever transaction gets that id later, and a second
            # stop's were never checked against the register.
            if samples and outcome in (StopOutcome.STOPPED, StopOutcome.FLAGGED):
                db.executemany(
                    _METER_VALUE,
                    _meter_rows(
                        stop.charge_point_id,
                        connector_id,
                        stop.transaction_id,
                        samples,
                        "StopTransaction",
                        received,
                    ),
                )
        return outcome

    def record_meter_values(
        self,
        charge_point_id: str,
        connector_id: int,
        transaction_id: int | None,
        samples: Sequence[MeterSample],
        received_at: datetime,
    ) -> None:
        rows = _meter_rows(
            charge_point_id,
            connector_id,
            transaction_id,
            samples,
            "MeterValues",
            format_timestamp(received_at),
        )
        with self._atomic():
            self._db.executemany(_METER_VALUE, rows)
        if transaction_id is not None:
            key = (charge_point_id, transaction_id)
            last = self._last_register.get(key)
            if last is not None:
                self._last_register[key] = last.after(rows)

    def record_data_transfer(
        self,
        charge_point_id: str,
        vendor_id: str,
        message_id: str | None,
        data: str | None,
        status: str,
        received_at: datetime,
    ) -> None:
        self._write(
            _DATA_TRANSFER,
            (charge_point_id, vendor_id, message_id, data, status, format_timestamp(received_at)),
        )

    def record_firmware_status(self, update: StatusUpdate, received_at: datetime) -> None:
        self._write(_FIRMWARE_STATUS, _status_row(update, received_at))

    def record_diagnostics_status(self, update: StatusUpdate, received_at: datetime) -> None:
        self._write(_DIAGNOSTICS_STATUS, _status_row(update, received_at))

    def record_security_event(self, event: SecurityEvent, received_at: datetime) -> None:
        self._write(
            _SECURITY_EVENT,
            (
                event.charge_point_id,
                event.type,
                format_timestamp(event.timestamp),
                event.tech_info,
                format_timestamp(received_at),
            ),
        )

    def record_certificate_request(
        self, charge_point_id: str, csr: str, outcome: SigningOutcome, received_at: datetime
    ) -> int:
        """Store a SignCertificate and its answer; returns the request's id."""
        with self._atomic():
            cursor = self._db.execute(
                _CERTIFICATE_REQUEST,
                (
                    charge_point_id,
                    csr,
                    "Accepted" if outcome.accepted else "Rejected",
                    outcome.reason,
                    outcome.certificate_chain_pem,
                    format_timestamp(received_at),
                ),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def record_certificate_delivery(self, request_id: int, status: str, at: datetime) -> None:
        """How the charge point answered the CertificateSigned (or why it did not)."""
        self._write(_CERTIFICATE_DELIVERY, (status, format_timestamp(at), request_id))

    # Reads (the semantic rules, operator views and tests).

    def find_transaction(self, charge_point_id: str, transaction_id: int) -> Transaction | None:
        key = (charge_point_id, transaction_id)
        known = self._open.get(key)
        if known is not None:
            return known
        row = self._db.execute(_TRANSACTION, (transaction_id, charge_point_id)).fetchone()
        if row is None:
            return None
        transaction = _transaction_from(row)
        if transaction.stopped_at is None:
            self._open[key] = transaction
        return transaction

    def reported_connectors(self, charge_point_id: str) -> set[int]:
        """The connector ids this charge point has ever sent a StatusNotification for."""
        return {row[0] for row in self._db.execute(_CONNECTORS, (charge_point_id,))}

    def register_neighbours(
        self, charge_point_id: str, transaction_id: int, at: datetime
    ) -> tuple[float | None, float | None]:
        """The stored energy register (Wh) of a transaction just before and just after `at`."""
        at_text = format_timestamp(at)
        key = (charge_point_id, transaction_id)
        if key in self._open:
            last = self._last_register.get(key)
            if last is None:
                last = self._last_register[key] = self._read_last_register(*key)
            if last.timestamp is None or (last.unique and last.timestamp < at_text):
                return last.wh, None
        params = (transaction_id, ENERGY_REGISTER, at_text, charge_point_id)
        before = self._db.execute(_REGISTER_BEFORE, params).fetchone()
        after = self._db.execute(_REGISTER_AFTER, params).fetchone()
        return _register_wh(before), _register_wh(after)

    def _read_last_register(self, charge_point_id: str, transaction_id: int) -> _LastRegister:
        params = (transaction_id, ENERGY_REGISTER, charge_point_id)
        rows = self._db.execute(_LAST_REGISTERS, params).fetchall()
        if not rows:
            return _LastRegister(None, None, unique=True)
        unique = len(rows) == 1 or rows[1][0] != rows[0][0]
        return _LastRegister(rows[0][0], _register_wh(rows[0][1:]), unique=unique)

    def _forget_open(self) -> None:
        self._open.clear()
        self._last_register.clear()

    def transactions(self) -> list[Transaction]:
        return [_transaction_from(row) for row in self._db.execute(_TRANSACTIONS)]

    # The tables of other modules (the 2.0.1 ones: central_system.v201.store), through the
    # same group commit.

    def atomic(self) -> AbstractContextManager[None]:
        """One write method's transaction (a savepoint inside the batch), for other modules."""
        return self._atomic()

    def execute(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Cursor:
        """Run one statement; a write joins the open batch (or is its own transaction)."""
        self._in_batch()
        return self._db.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        self._in_batch()
        self._db.executemany(sql, rows)

    # Credentials (security profiles): one separate block.

    _AUTHORIZATION_KEYS: Final = (
        "SELECT charge_point_id, password_hash FROM charge_point_credentials"
    )
    _STORE_AUTHORIZATION_KEY: Final = """
    INSERT INTO charge_point_credentials (charge_point_id, password_hash, rotated_at)
    VALUES (?, ?, ?)
    ON CONFLICT (charge_point_id) DO UPDATE SET
        password_hash = excluded.password_hash, rotated_at = excluded.rotated_at
    """

    def authorization_keys(self) -> dict[str, str]:
        """The rotated keys' encoded hashes, by charge point id."""
        return dict(self._db.execute(self._AUTHORIZATION_KEYS).fetchall())

    def store_authorization_key(
        self, charge_point_id: str, password_hash: str, at: datetime
    ) -> None:
        at_text = format_timestamp(at)
        self._write(self._STORE_AUTHORIZATION_KEY, (charge_point_id, password_hash, at_text))


def _status_row(update: StatusUpdate, received_at: datetime) -> tuple[object, ...]:
    return (
        update.charge_point_id,
        update.action,
        update.status,
        update.request_id,
        format_timestamp(received_at),
    )


@dataclass(frozen=True, slots=True)
class _LastRegister:
    """A transaction's last stored energy register reading: its timestamp (None: there is
    none yet), its Wh, and whether it is the only reading at that instant."""

    timestamp: str | None
    wh: float | None
    unique: bool

    def after(self, rows: Sequence[tuple[object, ...]]) -> _LastRegister:
        """The last reading once `rows` (`_meter_rows`, all stored) are added."""
        last = self
        for row in rows:
            if row[5] != ENERGY_REGISTER or row[6] != "" or row[10] != "Raw":
                continue
            timestamp = row[3]
            assert isinstance(timestamp, str)
            if last.timestamp is None or timestamp > last.timestamp:
                wh = _register_wh((str(row[4]), str(row[7])))
                last = _LastRegister(timestamp, wh, unique=True)
            elif timestamp == last.timestamp:
                # a second reading at the last instant (or a duplicate not stored): which one
                # SQL's ORDER BY picks is its own business
                last = _LastRegister(timestamp, last.wh, unique=False)
        return last


class _savepoint:
    """SAVEPOINT ... RELEASE, or ROLLBACK TO on any exception (inside a batch)."""

    __slots__ = ("_db",)

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("SAVEPOINT write")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            self._db.execute("ROLLBACK TO write")
        self._db.execute("RELEASE write")


class _transaction:
    """BEGIN ... COMMIT, or ROLLBACK on any exception."""

    __slots__ = ("_db",)

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type is not None else "COMMIT")


def _meter_rows(
    charge_point_id: str,
    connector_id: int,
    transaction_id: int | None,
    samples: Sequence[MeterSample],
    source: str,
    received_at: str,
) -> list[tuple[object, ...]]:
    texts: dict[datetime, str] = {}  # a meterValue's samples share their timestamp
    return [
        (
            charge_point_id,
            connector_id,
            transaction_id,
            texts.get(sample.timestamp)
            or texts.setdefault(sample.timestamp, format_timestamp(sample.timestamp)),
            sample.value,
            sample.measurand,
            sample.phase,
            sample.unit,
            sample.context,
            sample.location,
            sample.format,
            source,
            received_at,
        )
        for sample in samples
    ]
