"""The store's group commit: a turn of the event loop's writes in one SQLite transaction, the
same rows as one transaction per write, nothing visible to another connection (or a crash)
before `durable()` returns, and each write method still atomic inside the batch."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from central_system.records import IdTagStatus, MeterSample, TransactionStart
from central_system.store import Store

NOW = datetime(2025, 3, 1, 8, tzinfo=UTC)


def _samples(n: int) -> list[MeterSample]:
    return [
        MeterSample(timestamp=NOW.replace(minute=n), value=str(1000 + n), measurand=m)
        for m in ("Energy.Active.Import.Register", "Power.Active.Import")
    ]


def _write_some(store: Store) -> None:
    for n in range(3):
        transaction_id, _ = store.start_transaction(
            TransactionStart(f"CP{n}", 1, "TAG", 100 * n, NOW), IdTagStatus.ACCEPTED, NOW
        )
        store.record_meter_values(f"CP{n}", 1, transaction_id, _samples(n), NOW)
        store.record_heartbeat(f"CP{n}", NOW)


def _rows(path: Path) -> list[tuple[object, ...]]:
    db = sqlite3.connect(path)
    try:
        return [
            *db.execute("SELECT * FROM transactions ORDER BY id"),
            *db.execute("SELECT * FROM meter_values ORDER BY id"),
            *db.execute("SELECT id, last_heartbeat_at FROM charge_points ORDER BY id"),
        ]
    finally:
        db.close()


async def test_a_batch_commits_the_same_rows_as_one_transaction_per_write(
    tmp_path: Path,
) -> None:
    plain = Store(tmp_path / "plain.sqlite")
    _write_some(plain)
    plain.close()
    batched = Store(tmp_path / "batched.sqlite")
    with batched.batched():
        _write_some(batched)
    assert batched._db.in_transaction  # one open transaction for all of them
    await batched.durable()
    assert not batched._db.in_transaction
    batched.close()
    assert _rows(tmp_path / "batched.sqlite") == _rows(tmp_path / "plain.sqlite")
    assert len(_rows(tmp_path / "plain.sqlite")) == 3 + 6 + 3


async def test_nothing_of_a_batch_is_visible_elsewhere_before_durable_returns(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "s.sqlite")
    with store.batched():
        store.record_heartbeat("CP1", NOW)
    assert _rows(tmp_path / "s.sqlite") == []  # a crash now loses it: nothing was answered
    await store.durable()
    assert _rows(tmp_path / "s.sqlite") == [("CP1", "2025-03-01T08:00:00.000000Z")]
    store.close()


async def test_the_event_loop_commits_a_batch_nobody_waits_for(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    with store.batched():
        store.record_heartbeat("CP1", NOW)
    for _ in range(3):  # the commit is one turn of the loop away
        await asyncio.sleep(0)
    assert not store._db.in_transaction
    assert len(_rows(tmp_path / "s.sqlite")) == 1
    store.close()


async def test_a_failing_write_method_undoes_only_itself_inside_a_batch(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    with store.batched():
        store.record_heartbeat("CP1", NOW)
        bad = [MeterSample(timestamp=NOW, value="1", measurand="Power.Active.Import")] * 2
        bad.append(MeterSample(timestamp=NOW, value=object(), measurand="Voltage"))  # type: ignore[arg-type]
        with pytest.raises(sqlite3.Error):
            store.record_meter_values("CP1", 1, None, bad, NOW)
        store.record_heartbeat("CP2", NOW)
    await store.durable()
    rows = _rows(tmp_path / "s.sqlite")
    assert [row[0] for row in rows] == ["CP1", "CP2"]  # no meter value of the failed call
    store.close()


def test_without_a_running_event_loop_each_write_commits_on_return(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    with store.batched():
        store.record_heartbeat("CP1", NOW)
        assert not store._db.in_transaction
    assert len(_rows(tmp_path / "s.sqlite")) == 1
    store.close()


async def test_closing_the_store_commits_an_open_batch(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    with store.batched():
        store.record_heartbeat("CP1", NOW)
    store.close()
    assert len(_rows(tmp_path / "s.sqlite")) == 1
