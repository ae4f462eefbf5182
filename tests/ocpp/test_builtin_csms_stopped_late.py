"""`stopped_late`: the built-in central system's exit overlaps what the command does next, and
is over, its store closed and its temporary files gone, when the block ends."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from simulator.ocpp.builtin_csms import BuiltinCsms, stopped_late


async def test_leaving_the_csms_only_signals_it_and_leaving_the_block_waits_for_its_exit(
    tmp_path: Path,
) -> None:
    db = tmp_path / "csms.sqlite"
    with stopped_late():
        async with BuiltinCsms(db=db, operator_api=False) as csms:
            process = csms.process
            assert process is not None
        assert csms.process is None  # handed to the block
    assert process.returncode is not None  # waited for
    assert not Path(f"{db}-wal").exists()  # the store was closed, not cut off
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as store:
        assert store.execute("SELECT count(*) FROM charge_points").fetchone() == (0,)


async def test_a_temporary_store_is_removed_when_the_block_ends_not_before() -> None:
    with stopped_late():
        async with BuiltinCsms(operator_api=False) as csms:
            folder = csms.db.parent
        assert folder.is_dir()  # the central system may still be closing its store there
    assert not folder.exists()


async def test_outside_the_block_leaving_the_csms_waits_for_its_exit(tmp_path: Path) -> None:
    async with BuiltinCsms(db=tmp_path / "csms.sqlite", operator_api=False) as csms:
        process = csms.process
        assert process is not None
    assert process.returncode is not None
