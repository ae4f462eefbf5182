"""The SQLite store, directly: durability across reopen, idempotent writes."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from central_system.records import (
    Boot,
    IdTag,
    IdTagStatus,
    MeterSample,
    RegistrationStatus,
    StopOutcome,
    TransactionStart,
    TransactionStop,
)
from central_system.store import Store, StoreError

NOW = datetime(2025, 3, 1, 8, tzinfo=UTC)


def _start(meter_start_wh: int = 0, connector_id: int = 1) -> TransactionStart:
    return TransactionStart("CP1", connector_id, "TAG", meter_start_wh, NOW)


def test_the_store_uses_wal_and_normal_sync(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    assert store._db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert store._db.execute("PRAGMA synchronous").fetchone() == (1,)
    store.close()


def test_transaction_ids_are_positive_unique_and_survive_a_reopen(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    first = [store.start_transaction(_start(n), IdTagStatus.ACCEPTED, NOW)[0] for n in range(3)]
    store.close()
    store = Store(tmp_path / "s.sqlite")
    later, created = store.start_transaction(_start(99), IdTagStatus.ACCEPTED, NOW)
    again, created_again = store.start_transaction(_start(1), IdTagStatus.ACCEPTED, NOW)
    store.close()
    assert first == [1, 2, 3]
    assert later == 4
    assert created
    assert (again, created_again) == (2, False)


def test_ids_are_never_reused_even_after_a_row_is_deleted(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.start_transaction(_start(1), IdTagStatus.ACCEPTED, NOW)
    store._db.execute("DELETE FROM transactions")
    assert store.start_transaction(_start(2), IdTagStatus.ACCEPTED, NOW)[0] == 2
    store.close()


def test_a_start_with_the_same_fields_but_another_timestamp_is_a_new_transaction(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "s.sqlite")
    one = store.start_transaction(_start(), IdTagStatus.ACCEPTED, NOW)[0]
    later = TransactionStart("CP1", 1, "TAG", 0, NOW + timedelta(seconds=1))
    assert store.start_transaction(later, IdTagStatus.ACCEPTED, NOW)[0] != one
    store.close()


def test_a_stop_updates_once_then_reports_already_stopped_or_unknown(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    transaction_id, _ = store.start_transaction(_start(connector_id=3), IdTagStatus.ACCEPTED, NOW)
    sample = [MeterSample(NOW, "5")]
    stop = TransactionStop("CP1", transaction_id, 500, NOW, reason="EVDisconnected")
    assert store.stop_transaction(stop, sample, NOW) is StopOutcome.STOPPED
    assert store.stop_transaction(stop, sample, NOW) is StopOutcome.ALREADY_STOPPED
    elsewhere = TransactionStop("CP2", transaction_id, 500, NOW)
    assert store.stop_transaction(elsewhere, (), NOW) is StopOutcome.UNKNOWN
    [stored] = store.transactions()
    assert (stored.meter_stop_wh, stored.stop_reason) == (500, "EVDisconnected")
    rows = store._db.execute("SELECT connector_id, transaction_id FROM meter_values").fetchall()
    assert rows == [(3, transaction_id)]  # the retransmitted stop's sample is stored once
    store.close()


def test_boots_upsert_the_charge_point_and_count(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.record_connection("CP1", NOW)
    for firmware in ("1.0", "1.1"):
        boot = Boot("CP1", "V", "M", firmware_version=firmware)
        store.record_boot(boot, RegistrationStatus.ACCEPTED, NOW)
    row = store._db.execute(
        "SELECT firmware_version, boot_count, last_connected_at FROM charge_points"
    ).fetchone()
    assert row == ("1.1", 2, "2025-03-01T08:00:00.000000Z")
    store.close()


def test_provisioned_id_tags_are_upserted_and_found(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.provision_id_tags([IdTag("A", IdTagStatus.ACCEPTED, NOW)])
    store.provision_id_tags([IdTag("A", IdTagStatus.BLOCKED, None, "P")])
    assert store.find_id_tag("A") == IdTag("A", IdTagStatus.BLOCKED, None, "P")
    assert store.find_id_tag("B") is None
    store.close()


def test_a_store_from_a_newer_schema_is_refused(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        db.execute("PRAGMA user_version=99")
    with pytest.raises(StoreError, match="schema version 99"):
        Store(tmp_path / "s.sqlite")


V1_TRANSACTIONS = """
CREATE TABLE transactions (
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
    UNIQUE (charge_point_id, connector_id, id_tag, meter_start_wh, started_at)
);
INSERT INTO transactions VALUES
    (1, 'CP1', 1, 'TAG', 'Accepted', 0, '2025-03-01T08:00:00.000000Z', NULL, 'x', 500,
     '2025-03-01T09:00:00.000000Z', NULL, NULL, 'x'),
    (2, 'CP1', 1, 'TAG', 'Accepted', 900, '2025-03-01T08:00:00.000000Z', NULL, 'x', 100,
     '2025-03-01T09:00:00.000000Z', NULL, NULL, 'x'),
    (3, 'CP1', 2, 'TAG', 'Accepted', 0, '2025-03-01T08:00:00.000000Z', NULL, 'x', 10,
     '2025-03-01T07:00:00.000000Z', NULL, NULL, 'x'),
    (7, 'CP1', 2, 'TAG', 'Accepted', 0, '2025-03-01T10:00:00.000000Z', NULL, 'x', NULL,
     NULL, NULL, NULL, NULL);
DELETE FROM transactions WHERE id = 7;
PRAGMA user_version = 1;
"""


def test_a_version_1_store_is_migrated_keeping_ids_and_flagging_impossible_stops(
    tmp_path: Path,
) -> None:
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        db.executescript(V1_TRANSACTIONS)
    store = Store(tmp_path / "s.sqlite")
    flags = [(t.transaction_id, t.stop_flag) for t in store.transactions()]
    # the same fields as stopped transaction 1: a new session now, and ids are never reused
    again, created = store.start_transaction(_start(0), IdTagStatus.ACCEPTED, NOW)
    version = store._db.execute("PRAGMA user_version").fetchone()[0]
    store.close()
    assert flags == [(1, None), (2, "meter_stop_below_start"), (3, "stop_before_start")]
    assert (again, created, version) == (8, True, 3)  # and the 2.0.1 tables of version 3
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_start_matches_only_an_open_transaction_of_its_connector(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    first, _ = store.start_transaction(_start(), IdTagStatus.ACCEPTED, NOW)
    assert store.start_transaction(_start(), IdTagStatus.ACCEPTED, NOW) == (first, False)
    store.stop_transaction(TransactionStop("CP1", first, 10, NOW), (), NOW)
    second, created = store.start_transaction(_start(), IdTagStatus.ACCEPTED, NOW)
    store.close()
    assert second > first
    assert created
