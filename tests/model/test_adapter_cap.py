"""Adapter power caps: a car on a port it reaches only through its adapter draws at most the
adapter's kW (vehicles' adapter_kw), closed form like the rating."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.model.choice import free_port, usable_kw
from simulator.model.grid import demand_kw
from simulator.model.legs import adapter_cap_kw
from simulator.model.records import Outcome
from simulator.model.simulation import Simulation
from simulator.model.visit import Visit
from simulator.model.world import World
from tests.model.worlds import arrive_at, visit, world

CCS_CAR_WITH_NACS_ADAPTER: dict[str, Any] = {
    "id": "v",
    "brand": "V",
    "share": 1.0,
    "battery_kwh": 60,
    "peak_kw": 150,
    "connectors": ["CCS1"],
    "adapter_share": 1.0,
    "adapter_connectors": ["NACS"],
    "adapter_kw": 50,
    "curve": {"kind": "flat"},
}


def adapter_world(ports: list[dict[str, Any]]) -> World:
    return world(ports=ports, vehicles=[CCS_CAR_WITH_NACS_ADAPTER])


def with_adapter(w: World, **options: Any) -> Visit:
    v = visit(w, **options)
    model = w.vehicles[0]
    v.key = (model.index, True)
    v.connectors = model.connectors | model.adapter_connectors
    return v


def test_a_car_on_a_port_it_reaches_through_its_adapter_charges_at_the_adapters_cap() -> None:
    w = adapter_world([{"power_kw": 250, "connectors": ["NACS"]}])
    sim = Simulation(w)
    arrive_at(sim, with_adapter(w, at_s=60.0, soc_start=0.2, soc_target=0.8))
    records = sim.run()
    [session] = records.sessions
    assert session.outcome is Outcome.SERVED
    assert session.adapter_kw == 50.0
    assert session.charge_end_s - session.start_s == pytest.approx(36 / 50 * 3600)
    assert {seg.start_kw for seg in records.segments} == {50.0}


def test_the_cap_does_not_apply_on_a_port_the_cars_own_plug_fits() -> None:
    w = adapter_world([{"power_kw": 250, "connectors": ["NACS", "CCS1"]}])
    sim = Simulation(w)
    arrive_at(sim, with_adapter(w, at_s=60.0, soc_start=0.2, soc_target=0.8))
    records = sim.run()
    [session] = records.sessions
    assert session.adapter_kw == 0.0
    assert {seg.start_kw for seg in records.segments} == {150.0}


def test_a_port_rated_below_the_cap_keeps_its_rating() -> None:
    w = adapter_world([{"power_kw": 40, "connectors": ["NACS"]}])
    sim = Simulation(w)
    arrive_at(sim, with_adapter(w, at_s=60.0))
    records = sim.run()
    assert {seg.start_kw for seg in records.segments} == {40.0}


def test_usable_power_is_capped_only_where_the_adapter_is_needed() -> None:
    car = adapter_world([{"power_kw": 250, "connectors": ["NACS"]}]).vehicles[0]
    assert usable_kw(car, 250, ("NACS",)) == 50.0
    assert usable_kw(car, 250, ("CCS1",)) == 150.0
    assert usable_kw(car, 250, ("NACS", "CCS1")) == 150.0


def test_the_driver_takes_a_native_100_kw_port_over_a_250_kw_one_behind_a_50_kw_adapter() -> None:
    w = adapter_world(
        [
            {"power_kw": 250, "connectors": ["NACS"]},
            {"power_kw": 100, "connectors": ["CCS1"]},
        ]
    )
    sim = Simulation(w)
    port = free_port(sim.sites[0], with_adapter(w))
    assert port is not None
    assert port.power_kw == 100


def test_a_capped_car_asks_its_sites_grid_limit_for_no_more_than_its_adapter_gives() -> None:
    w = adapter_world([{"power_kw": 250, "connectors": ["NACS"]}])
    sim = Simulation(w)
    port = sim.ports[0]
    v = with_adapter(w)
    v.target_soc = 0.8
    assert demand_kw(port, v, 0.2) == 150.0  # before plug-in nothing caps it
    v.adapter_kw = adapter_cap_kw(v, port)
    assert demand_kw(port, v, 0.2) == 50.0
