"""The store's in-memory view of open transactions and their registers' last readings: the
same answers as SQL for readings in order, out of order, at one instant twice and as kWh; a
reopened store fills it from the table; a stop or a failed commit drops it."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from central_system.records import IdTagStatus, MeterSample, TransactionStart, TransactionStop
from central_system.store import ENERGY_REGISTER, Store

NOW = datetime(2025, 3, 1, 8, tzinfo=UTC)


def _start(store: Store, charge_point_id: str = "CP1") -> int:
    transaction_id, _ = store.start_transaction(
        TransactionStart(charge_point_id, 1, "TAG", 0, NOW), IdTagStatus.ACCEPTED, NOW
    )
    return transaction_id


def _register(minute: int, value: str, unit: str = "Wh", location: str = "Outlet") -> MeterSample:
    return MeterSample(
        timestamp=NOW + timedelta(minutes=minute),
        value=value,
        measurand=ENERGY_REGISTER,
        unit=unit,
        location=location,
    )


def _sql_neighbours(path: Path, transaction_id: int, at: datetime) -> object:
    """What SQL alone answers: a store that never looked the transaction up has no view."""
    plain = Store(path)
    try:
        return plain.register_neighbours("CP1", transaction_id, at)
    finally:
        plain.close()


def test_the_view_answers_as_sql_for_readings_in_and_out_of_order_and_at_one_instant(
    tmp_path: Path,
) -> None:
    path = tmp_path / "csms.sqlite"
    store = Store(path)
    transaction_id = _start(store)
    assert store.find_transaction("CP1", transaction_id) is not None  # the view is on
    rng = random.Random(9)
    minutes = [0]
    for step in range(40):
        if step % 7 == 3:
            minute = rng.choice(minutes)  # a second reading at a stored instant
            sample = _register(minute, str(rng.randint(0, 9000)), location="Inlet")
        elif step % 5 == 4:
            minute = rng.randint(0, max(minutes))  # out of order
            sample = _register(minute, str(rng.randint(0, 9000)), unit="kWh")
        else:
            minute = max(minutes) + rng.randint(1, 3)
            sample = _register(minute, str(100 * minute))
        minutes.append(minute)
        store.record_meter_values("CP1", 1, transaction_id, [sample], NOW)
        for probe in (minute - 1, minute, minute + 1, max(minutes) + 1):
            at = NOW + timedelta(minutes=probe, seconds=30)
            assert store.register_neighbours("CP1", transaction_id, at) == _sql_neighbours(
                path, transaction_id, at
            ), (step, probe)
    store.close()


def test_a_reopened_store_fills_the_view_from_the_table(tmp_path: Path) -> None:
    path = tmp_path / "csms.sqlite"
    store = Store(path)
    transaction_id = _start(store)
    store.record_meter_values("CP1", 1, transaction_id, [_register(5, "2.5", unit="kWh")], NOW)
    store.close()
    reopened = Store(path)
    assert reopened.find_transaction("CP1", transaction_id) is not None
    later = NOW + timedelta(minutes=9)
    assert reopened.register_neighbours("CP1", transaction_id, later) == (2500.0, None)
    reopened.record_meter_values("CP1", 1, transaction_id, [_register(10, "2600")], NOW)
    assert reopened.register_neighbours("CP1", transaction_id, later) == (2500.0, 2600.0)
    assert reopened.register_neighbours("CP1", transaction_id, later.replace(hour=9)) == (
        2600.0,
        None,
    )
    reopened.close()


def test_a_stopped_transaction_leaves_the_view(tmp_path: Path) -> None:
    store = Store(tmp_path / "csms.sqlite")
    transaction_id = _start(store)
    assert store.find_transaction("CP1", transaction_id) is not None
    stop = TransactionStop("CP1", transaction_id, 100, NOW + timedelta(hours=1), None, None)
    store.stop_transaction(stop, [], NOW)
    found = store.find_transaction("CP1", transaction_id)
    assert found is not None
    assert found.stopped_at == NOW + timedelta(hours=1)
    store.close()


async def test_a_failed_batch_commit_drops_the_view(tmp_path: Path) -> None:
    store = Store(tmp_path / "csms.sqlite")
    # A deferred foreign key is checked at COMMIT: a dangling row makes the commit fail, and
    # the whole batch is rolled back.
    store._db.execute("PRAGMA foreign_keys=ON")
    store._db.executescript(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
        "CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY"
        " DEFERRED);"
    )
    with store.batched():
        transaction_id = _start(store)
        assert store.find_transaction("CP1", transaction_id) is not None
        store.record_meter_values("CP1", 1, transaction_id, [_register(1, "100")], NOW)
        assert store.register_neighbours("CP1", transaction_id, NOW.replace(hour=9)) == (
            100.0,
            None,
        )
        store._db.execute("INSERT INTO child VALUES (7)")
    with pytest.raises(sqlite3.IntegrityError):
        await store.durable()
    # the view must not answer from what it saw in the rolled-back batch
    assert store.find_transaction("CP1", transaction_id) is None
    assert store.register_neighbours("CP1", transaction_id, NOW.replace(hour=9)) == (None, None)
    store.close()
