"""The 2.0.1 tables: a store of an earlier version gains them, untouched otherwise; a
TransactionEvent is applied once, also by a store reopened on the same file."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from central_system.records import IdTagStatus, TransactionStart
from central_system.store import SCHEMA_VERSION, Store
from central_system.v201.records import EventOutcome, Sample, TransactionEvent
from central_system.v201.store import SeqNoGap, Store201

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
TABLES_201 = {
    "transactions_201",
    "transaction_events_201",
    "seq_no_gaps_201",
    "meter_values_201",
    "status_notifications_201",
    "notify_reports_201",
    "device_model_201",
}


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _event(seq_no: int, event_type: str = "Updated", wh: float | None = None) -> TransactionEvent:
    moment = NOW + timedelta(minutes=seq_no)
    samples = () if wh is None else (Sample(moment, wh, context="Sample.Periodic"),)
    return TransactionEvent(
        "CS1", "TX-1", event_type, moment, "MeterValuePeriodic", seq_no, evse_id=1, samples=samples
    )


def test_a_version_2_store_gains_the_201_tables_and_keeps_its_16_rows(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    store = Store(path)
    transaction_id, _ = store.start_transaction(
        TransactionStart("CP1", 1, "TAG", 0, NOW), IdTagStatus.ACCEPTED, NOW
    )
    store.close()
    with sqlite3.connect(path) as db:  # what a version 2 central system left behind
        for table in TABLES_201:
            db.execute(f"DROP TABLE {table}")
        db.execute("PRAGMA user_version=2")
    assert not TABLES_201 & _tables(path)
    store = Store(path)
    kept = [t.transaction_id for t in store.transactions()]
    store.close()
    assert _tables(path) >= TABLES_201
    assert kept == [transaction_id]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,) == (3,)


def test_an_event_is_applied_once_even_by_a_store_reopened_on_the_same_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.sqlite"
    store = Store(path)
    first = [
        Store201(store).record_transaction_event(_event(n, wh=100.0 * n), None, None, None, NOW)
        for n in (0, 1)
    ]
    store.close()
    store = Store(path)  # a restart: only the file remembers
    tables = Store201(store)
    again = tables.record_transaction_event(_event(1, wh=100.0), None, None, None, NOW)
    then = tables.record_transaction_event(_event(2, wh=200.0), None, None, None, NOW)
    transaction = tables.transaction("CS1", "TX-1")
    seq_nos = tables.seq_nos("CS1", "TX-1")
    store.close()
    assert first == [EventOutcome.APPLIED, EventOutcome.APPLIED]
    assert (again, then) == (EventOutcome.REPEATED, EventOutcome.APPLIED)
    assert transaction is not None
    assert (transaction.event_count, transaction.last_seq_no, seq_nos) == (3, 2, [0, 1, 2])
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM meter_values_201").fetchone() == (3,)


def test_gaps_are_recorded_as_missing_ranges(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    tables = Store201(store)
    for seq_no in (1, 2, 6, 7, 9):
        tables.record_transaction_event(_event(seq_no), None, None, None, NOW)
    gaps = tables.seq_no_gaps("CS1")
    store.close()
    assert gaps == [SeqNoGap("TX-1", 0, 0), SeqNoGap("TX-1", 3, 5), SeqNoGap("TX-1", 8, 8)]


def test_an_ended_event_stores_the_end_once_and_absent_stopped_reason_as_local(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "s.sqlite")
    tables = Store201(store)
    tables.record_transaction_event(_event(0, "Started"), "Accepted", 1000.0, None, NOW)
    tables.record_transaction_event(_event(1, "Ended"), None, None, 2500.0, NOW)
    # A second Ended (another seqNo) does not move the end.
    tables.record_transaction_event(_event(5, "Ended"), None, None, 9999.0, NOW)
    transaction = tables.transaction("CS1", "TX-1")
    store.close()
    assert transaction is not None
    assert (transaction.stopped_reason, transaction.meter_start_wh, transaction.meter_stop_wh) == (
        "Local",
        1000.0,
        2500.0,
    )
    assert transaction.ended_at == NOW + timedelta(minutes=1)
    assert transaction.id_token_status == "Accepted"
