"""The built-in central system's process: started early, adopted once, never left behind."""

from __future__ import annotations

import os
from pathlib import Path

from simulator.ocpp.builtin_csms import BuiltinCsms, started_early


def central_systems_using(path: Path) -> list[int]:
    """The pids of the central system processes whose command line names `path`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # gone meanwhile
            continue
        if b"central_system" in argv and os.fsencode(path) in argv:
            pids.append(int(entry.name))
    return pids


async def test_the_next_builtin_csms_adopts_the_one_started_early_and_stops_it(
    tmp_path: Path,
) -> None:
    db = tmp_path / "csms.sqlite"
    with started_early(db=db):
        (early,) = central_systems_using(db)
        async with BuiltinCsms(db=db) as csms:
            assert csms.process is not None
            assert csms.process.pid == early
            assert csms.ws_url.startswith("ws://127.0.0.1:")
            assert csms.api_url is None  # started early: no operator API, as a run needs none
        assert central_systems_using(db) == []
    assert db.exists()  # the run's store is the user's


async def test_a_builtin_csms_with_other_settings_starts_its_own(tmp_path: Path) -> None:
    early_db, own_db = tmp_path / "early.sqlite", tmp_path / "own.sqlite"
    with started_early(db=early_db):
        async with BuiltinCsms(db=own_db) as csms:
            assert csms.process is not None
            assert central_systems_using(own_db) == [csms.process.pid]
            assert csms.api_url is not None
        assert len(central_systems_using(early_db)) == 1
    assert central_systems_using(early_db) == []


def test_one_started_early_that_nothing_adopts_is_killed_and_its_store_removed(
    tmp_path: Path,
) -> None:
    db = tmp_path / "csms.sqlite"
    with started_early(db=db):
        assert len(central_systems_using(db)) == 1
    assert central_systems_using(db) == []
    assert sorted(tmp_path.iterdir()) == []
