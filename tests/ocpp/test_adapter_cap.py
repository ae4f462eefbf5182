"""An adapter's power cap over OCPP: the charge points' MeterValues, stored by the built-in
central system in SQLite, follow the capped power, and the records match the fast engine's."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from simulator import runner
from simulator import scenario as sc
from simulator.model.records import Outcome
from simulator.ocpp.engine import OcppRunOptions, run_ocpp_async
from simulator.reports.summary import to_json

SCENARIO = """
name = "adapter-cap"

[simulation]
days = 0.25
seed = 3
meter_interval_s = 120

# NACS stalls a CCS car reaches only through its adapter, and CCS stalls it plugs into itself
[[networks]]
id = "other"
price_per_kwh = 0.50
[[networks.sites]]
id = "o"
ports = [{ power_kw = 250, connectors = ["NACS"], count = 2 }]

[[networks]]
id = "home"
price_per_kwh = 0.50
[[networks.sites]]
id = "h"
ports = [{ power_kw = 250, connectors = ["CCS1"], count = 2 }]

[[vehicles]]
id = "volt"
brand = "Volt"
share = 1.0
battery_kwh = 60
peak_kw = 150
connectors = ["CCS1"]
adapter_share = 1.0
adapter_connectors = ["NACS"]
adapter_kw = 50
curve = { kind = "flat" }

[drivers]
energy_kwh = { dist = "fixed", value = 20 }

[arrivals]
kind = "constant"
rate_per_h = 3
"""


def power_w_by_port(db: Path) -> dict[str, list[float]]:
    """Every Power.Active.Import sample the central system stored, by charge point."""
    with contextlib.closing(sqlite3.connect(db)) as con:
        rows = con.execute(
            "SELECT charge_point_id, value, unit FROM meter_values"
            " WHERE measurand = 'Power.Active.Import'"
        ).fetchall()
    out: dict[str, list[float]] = {}
    for cp, value, unit in rows:
        assert unit == "W"
        out.setdefault(cp, []).append(float(value))
    return out


async def test_meter_values_over_ocpp_follow_the_adapters_cap(tmp_path: Path) -> None:
    (tmp_path / "adapter.toml").write_text(SCENARIO, encoding="utf-8")
    world = sc.world(sc.load(tmp_path / "adapter.toml"))
    db = tmp_path / "csms.sqlite"
    records = await run_ocpp_async(world, OcppRunOptions(csms_db=db))
    served = [s for s in records.sessions if s.outcome is Outcome.SERVED]
    assert {s.adapter_kw for s in served if s.network == "other"} == {50.0}
    assert {s.adapter_kw for s in served if s.network == "home"} == {0.0}
    power = power_w_by_port(db)
    through_adapter = [w for cp, ws in power.items() if cp.startswith("o-") for w in ws]
    native = [w for cp, ws in power.items() if cp.startswith("h-") for w in ws]
    assert through_adapter, "a port reached through the adapter metered a charge"
    assert native, "a port the car's own plug fits metered a charge"
    assert max(through_adapter) == 50_000.0
    assert max(native) == 150_000.0
    # the fast engine, on the same world, gives the same records and summary
    fast = runner.run_fast(world)
    assert records.sessions == fast.sessions
    assert to_json(runner.summarize_world(world, records)) == to_json(
        runner.summarize_world(world, fast)
    )
