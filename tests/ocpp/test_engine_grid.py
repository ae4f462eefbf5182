"""The OCPP engine with a binding site grid limit: the same physics as the fast engine, byte
for byte, against the built-in central system over real websockets on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

from simulator import runner
from simulator import scenario as sc
from simulator.model.world import World
from simulator.ocpp.engine import OcppRunOptions, run_ocpp_async
from simulator.ocpp.store_reader import read_records
from simulator.reports.grid import REQUESTED_NA
from simulator.reports.summary import to_json

GRID_SCENARIO = {
    "name": "grid-small",
    "simulation": {"days": 0.25, "seed": 3, "meter_interval_s": 600},
    "networks": [
        {
            "id": "n",
            "members": ["Volt"],
            "sites": [
                {
                    "id": "g",
                    "ports": [{"power_kw": 150, "connectors": ["CCS1"], "count": 3}],
                    "grid_limit_schedule": [
                        {"from": "00:00", "kw": 180},
                        {"from": "03:00", "kw": 250},
                    ],
                    "grid_policy": "priority",
                }
            ],
        }
    ],
    "vehicles": [
        {
            "id": "volt",
            "brand": "Volt",
            "share": 0.5,
            "battery_kwh": 60,
            "peak_kw": 120,
            "connectors": ["CCS1"],
        },
        {
            "id": "arrow",
            "brand": "Arrow",
            "share": 0.5,
            "battery_kwh": 75,
            "peak_kw": 150,
            "connectors": ["CCS1"],
            "curve": {"kind": "flat"},
        },
    ],
    "drivers": {"patience_min": {"dist": "fixed", "value": 20}},
    "arrivals": {"kind": "constant", "rate_per_h": 5},
}


def grid_world() -> World:
    return sc.world(sc.parse(GRID_SCENARIO))


async def test_a_binding_grid_limit_gives_the_fast_engines_records_byte_for_byte(
    tmp_path: Path,
) -> None:
    world = grid_world()
    fast = runner.run_fast(world)
    # the limit binds: some charge ran below its port's rating and its car's peak
    assert any(s.start_kw < 120 and s.end_kw == s.start_kw for s in fast.segments)
    records = await run_ocpp_async(world, OcppRunOptions(csms_db=tmp_path / "csms.sqlite"))
    assert records.sessions == fast.sessions
    assert records.segments == fast.segments
    assert fast.limited  # what the limit took, recorded alike
    assert records.limited == fast.limited
    summary = runner.summarize_world
    assert to_json(summary(world, records)) == to_json(summary(world, fast))
    # the store sees delivered power only: the requested side is n/a, never 0
    stored = summary(world, read_records(tmp_path / "csms.sqlite", world)).grid
    assert stored is not None
    assert stored.requested == REQUESTED_NA
    site = stored.sites["g"]
    assert site.requested_kwh is None
    assert site.below_curve_h is None
    assert site.delivered_kwh > 0
    assert site.limit_kw is None
    assert site.schedule
