"""What a limit took, in the records: each leg held below the port's rating records the energy
the car asked for (its curve at the port's rating along the SoC it had) and the time it ran
below that curve, in closed form; a run with no limit records none."""

from __future__ import annotations

from typing import Any

import pytest

from simulator import scenario as sc
from simulator.model.curve import profile
from simulator.model.legs import shortfall
from simulator.model.simulation import Simulation
from simulator.model.world import World
from tests.model.worlds import arrive_at, visit
from tests.model.worlds import world as unit_world

TAPER = {"kind": "table", "soc": [0.1, 0.5, 0.9], "fraction": [1.0, 0.8, 0.3]}


def two_port_world(site: dict[str, Any], curve: dict[str, Any] | None = None) -> World:
    data = {
        "name": "unit",
        "simulation": {"days": 1, "seed": 1},
        "networks": [
            {
                "id": "n",
                "sites": [
                    {
                        "id": "s",
                        "ports": [{"power_kw": 100, "connectors": ["CCS1"], "count": 2}],
                        **site,
                    }
                ],
            }
        ],
        "vehicles": [
            {
                "id": "v",
                "brand": "V",
                "share": 1.0,
                "battery_kwh": 60,
                "peak_kw": 100,
                "connectors": ["CCS1"],
                "curve": curve or {"kind": "flat"},
            }
        ],
        "arrivals": {"kind": "constant", "rate_per_h": 1e-9},
    }
    return sc.world(sc.parse(data))


def test_a_run_with_no_limit_records_no_limited_leg() -> None:
    records = Simulation(
        unit_world(rate_per_h=3.0, ports=[{"power_kw": 50, "connectors": ["CCS1"]}])
    ).run()
    assert records.segments
    assert records.limited == ()


def test_two_cars_sharing_a_limit_record_the_energy_and_time_it_took() -> None:
    w = two_port_world({"grid_limit_kw": 150})
    sim = Simulation(w)
    arrive_at(sim, visit(w, soc_start=0.5, soc_target=0.6))  # 6 kWh
    arrive_at(sim, visit(w, driver=1, soc_start=0.1, soc_target=0.9))  # 48 kWh
    records = sim.run()
    # both at 75 kW until the first is done (6 kWh: 288 s); then the other has its 100 kW
    assert len(records.limited) == 2
    first, second = sorted(records.limited, key=lambda leg: leg.port)
    for leg in (first, second):
        assert (leg.start_s, leg.limit_kw) == (0.0, 75.0)
        assert leg.end_s == pytest.approx(288.0)
        assert leg.below_curve_s == pytest.approx(288.0)
        assert leg.energy_kwh == pytest.approx(6.0)
    # both asked for 100 kW all the while: 100 kW x 288 s
    assert first.requested_kwh == pytest.approx(8.0)
    assert second.requested_kwh == pytest.approx(8.0)


def test_a_tapering_car_runs_below_its_curve_only_while_the_curve_is_above_the_limit() -> None:
    w = two_port_world({}, curve=TAPER)
    sim = Simulation(w)
    sim.charging.set_limit(sim.ports[0], 70.0)  # a charging profile's limit
    arrive_at(sim, visit(w, soc_start=0.1, soc_target=0.9))
    records = sim.run()
    (leg,) = records.limited
    # the curve is above 70 kW up to SoC 0.58 (80 - 125 (s - 0.5) = 70): 28.8 kWh at 70 kW
    assert leg.below_curve_s == pytest.approx(28.8 / 70 * 3600)
    assert leg.end_s > leg.below_curve_s  # then on the curve, below the limit
    assert leg.energy_kwh == pytest.approx(48.0)
    # asked while held: B / 70 kW x the curve's integral over SoC 0.1-0.58 (0.4 x 90 kW +
    # 0.08 x 75 kW) = 36 kWh; then on the curve, asked = drawn: 0.32 x 60 kWh
    assert leg.requested_kwh == pytest.approx(36.0 + 19.2)


def test_the_requested_energy_is_the_curve_at_the_rating_integrated_along_the_leg() -> None:
    curve = sc.world(sc.parse(two_port_world_data_taper())).vehicles[0].curve
    full = profile(curve, 60.0, 100.0, 100.0)
    leg = profile(curve, 60.0, 100.0, 70.0)
    duration_s = 2400.0
    soc_end = leg.soc_after(0.1, duration_s / 3600.0)
    requested, below_s = shortfall(leg, full, 0.1, soc_end, duration_s)
    # an independent check: step along the leg in 0.1 s, summing what the car asks for
    soc, asked, below = 0.1, 0.0, 0.0
    step_h = 0.1 / 3600.0
    for _ in range(int(duration_s * 10)):
        kw_leg, kw_full = leg.power_kw(soc), full.power_kw(soc)
        asked += kw_full * step_h
        below += 0.1 if kw_leg < kw_full - 1e-3 else 0.0
        soc += kw_leg * step_h / 60.0
    assert soc == pytest.approx(soc_end, abs=1e-4)
    assert requested == pytest.approx(asked, rel=1e-3)
    assert below_s == pytest.approx(below, abs=1.0)
    assert requested > (soc_end - 0.1) * 60.0  # the limit took some


def two_port_world_data_taper() -> dict[str, Any]:
    return {
        "name": "unit",
        "networks": [
            {
                "id": "n",
                "sites": [{"id": "s", "ports": [{"power_kw": 100, "connectors": ["CCS1"]}]}],
            }
        ],
        "vehicles": [
            {
                "id": "v",
                "brand": "V",
                "share": 1.0,
                "battery_kwh": 60,
                "peak_kw": 100,
                "connectors": ["CCS1"],
                "curve": TAPER,
            }
        ],
        "arrivals": {"kind": "constant", "rate_per_h": 1e-9},
    }


def test_a_leg_held_at_zero_power_is_below_the_curve_all_its_time() -> None:
    w = two_port_world({})  # flat at 100 kW
    sim = Simulation(w)
    sim.charging.set_limit(sim.ports[0], 0.0)
    arrive_at(sim, visit(w, soc_start=0.1, soc_target=0.9))
    sim.env.run(until=600.0)
    sim.charging.set_limit(sim.ports[0], None)
    records = sim.run()
    (leg,) = records.limited
    assert (leg.start_s, leg.end_s, leg.energy_kwh) == (0.0, 600.0, 0.0)
    assert leg.below_curve_s == 600.0
    assert leg.requested_kwh == pytest.approx(100 * 600 / 3600)  # 600 s at 100 kW
