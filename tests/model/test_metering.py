"""The port's meter: what it reads in each state, and the periodic samples while charging."""

from __future__ import annotations

import pytest

from simulator.model import metering
from simulator.model.requests import MeterSample
from simulator.model.resolver import BatchedResolver
from simulator.model.simulation import Simulation
from tests.model.worlds import AcceptEveryTag, arrive_at, visit, world


def test_a_reading_while_charging_follows_the_curve_and_after_it_the_meter() -> None:
    w = world()
    sim = Simulation(w)
    v = visit(w, soc_start=0.2, soc_target=0.8)
    arrive_at(sim, v)
    port = sim.ports[0]
    sim.env.run(until=360.0)  # 0.1 h at 100 kW: 10 kWh
    during = metering.reading(port, v, sim.env.now, "Trigger")
    assert (during.energy_wh, during.power_kw, during.voltage_v) == (10_000, 100.0, 400.0)
    assert during.soc == pytest.approx(0.2 + 10 / 60)
    assert during.transaction_ref == port.transaction == 1
    sim.env.run(until=3 * 3600.0)
    after = metering.reading(port, v, sim.env.now, "Trigger")
    assert (after.energy_wh, after.power_kw) == (36_000, 0.0)


def test_a_charging_port_is_sampled_every_interval_until_the_charge_ends() -> None:
    w = world()
    central = AcceptEveryTag()
    sim = Simulation(w, resolver=BatchedResolver(central), meter_interval_s=600.0)
    arrive_at(sim, visit(w, soc_start=0.2, soc_target=0.8))  # 36 kWh: 1296 s
    sim.run()
    samples = [o.request for o in central.sent if isinstance(o.request, MeterSample)]
    assert [(s.context, s.at_s) for s in samples] == [
        ("Transaction.Begin", 0.0),
        ("Sample.Periodic", 600.0),
        ("Sample.Periodic", 1200.0),
        ("Transaction.End", pytest.approx(1296.0)),
    ]
    energies = [s.energy_wh for s in samples]
    assert energies == sorted(energies)
    assert energies[1] == 16_666
