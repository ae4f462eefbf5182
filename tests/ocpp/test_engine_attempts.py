"""The OCPP engine with failed charge attempts: the same physics as the fast engine, byte for
byte, against the built-in central system over real websockets on 127.0.0.1; a failed try
leaves no transaction in the central system."""

from __future__ import annotations

import contextlib
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from simulator import runner
from simulator import scenario as sc
from simulator.model.records import Outcome
from simulator.model.world import World
from simulator.ocpp.engine import OcppRunOptions, run_ocpp_async
from simulator.reports.summary import to_json

ATTEMPTS_SCENARIO = {
    "name": "attempts-small",
    "simulation": {"days": 0.25, "seed": 5, "meter_interval_s": 600},
    "networks": [
        {
            "id": "n",
            "sites": [
                {"id": "a", "ports": [{"power_kw": 150, "connectors": ["CCS1"], "count": 3}]}
            ],
        }
    ],
    "vehicles": [
        {
            "id": "volt",
            "brand": "Volt",
            "share": 1.0,
            "battery_kwh": 60,
            "peak_kw": 120,
            "connectors": ["CCS1"],
        }
    ],
    "drivers": {"patience_min": {"dist": "fixed", "value": 20}},
    "arrivals": {"kind": "constant", "rate_per_h": 8},
    "attempts": {
        "handshake": 0.2,
        "payment": 0.15,
        "communication": 0.2,
        "after_failure": "move",
        "retries": 1,
        "failed_try_min": 3,
    },
}


def attempts_world() -> World:
    return sc.world(sc.parse(ATTEMPTS_SCENARIO))


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_failed_attempts_give_the_fast_engines_records_byte_for_byte(
    tmp_path: Path, version: sc.OcppVersion
) -> None:
    world = attempts_world()
    fast = runner.run_fast(world)
    reasons = Counter(s.reason for s in fast.sessions if s.outcome is not Outcome.SERVED)
    # every cause happened, some tries were retried and some visits ended without a charge
    assert {"handshake_failed", "payment_failed", "communication_failed"} <= set(reasons)
    assert any(s.outcome is Outcome.RETRIED for s in fast.sessions)
    db = tmp_path / "csms.sqlite"
    versions = sc.ocpp_versions(sc.parse(ATTEMPTS_SCENARIO), version)
    records = await run_ocpp_async(world, OcppRunOptions(csms_db=db, versions=versions))
    assert records.sessions == fast.sessions
    assert records.intervals == fast.intervals
    summary = runner.summarize_world
    assert to_json(summary(world, records)) == to_json(summary(world, fast))
    # a failed try never started a transaction: the central system holds the others only
    table = "transactions" if version == "1.6" else "transactions_201"
    with contextlib.closing(sqlite3.connect(db)) as con:
        [(stored,)] = con.execute(f"SELECT count(*) FROM {table}").fetchall()
    started = [s for s in fast.sessions if s.outcome in (Outcome.SERVED, Outcome.ON_SITE)]
    assert stored == sum(1 for s in started if s.reason != "plugged_in")
