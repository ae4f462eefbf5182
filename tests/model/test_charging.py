"""A session on a port, in virtual time: plug in, authorize, charge along the curve, leave."""

from __future__ import annotations

import pytest

from simulator.model.authorization import ProvisionedTag
from simulator.model.records import Outcome, PortState
from simulator.model.requests import AuthStatus, MeterSample, StopReason, StopTransaction
from simulator.model.resolver import BatchedResolver, ImmediateResolver
from simulator.model.simulation import Simulation
from tests.model.worlds import AcceptEveryTag, arrive_at, visit, world


def test_a_charge_on_the_fast_engine_starts_at_plug_in_and_ends_at_the_target() -> None:
    w = world()
    sim = Simulation(w)
    v = visit(w, at_s=600.0, soc_start=0.2, soc_target=0.8)
    arrive_at(sim, v)
    port = sim.ports[0]
    assert port.charging
    assert port.charge_start_s == 600.0
    assert port.state is PortState.CHARGING
    records = sim.run()
    [session] = records.sessions
    charge_s = 0.6 * 60 / 100 * 3600  # 36 kWh at 100 kW
    assert session.outcome is Outcome.SERVED
    assert session.reason == StopReason.LOCAL.value
    assert session.start_s == 600.0
    assert session.charge_end_s == pytest.approx(600.0 + charge_s)
    assert session.energy_kwh == pytest.approx(36.0)
    [segment] = records.segments
    assert segment.start_kw == 100.0
    assert segment.energy_kwh == pytest.approx(36.0)
    assert port.meter_wh == pytest.approx(36_000.0)
    assert port.visit is None


def test_each_plug_in_numbers_a_new_transaction_on_its_port() -> None:
    w = world(ports=[{"power_kw": 100, "connectors": ["CCS1"], "count": 2}])
    sim = Simulation(w)
    for at_s in (10.0, 20.0):
        arrive_at(sim, visit(w, at_s=at_s))
    assert sorted(p.transaction for p in sim.ports) == [1, 2]
    sim.env.run(until=w.horizon_s)
    arrive_at(sim, visit(w, at_s=w.horizon_s))
    assert max(p.transaction for p in sim.ports) == 3


def test_a_refused_tag_turns_the_driver_away_from_the_port_they_plugged_into() -> None:
    w = world()
    blocked = visit(w, at_s=100.0, driver=7)
    tags = {blocked.id_tag: ProvisionedTag(blocked.id_tag, AuthStatus.BLOCKED)}
    sim = Simulation(w, resolver=ImmediateResolver(tags, accept_unknown=True))
    arrive_at(sim, blocked)
    arrive_at(sim, visit(w, at_s=200.0, driver=8))
    records = sim.run()
    refused, served = records.sessions
    assert (refused.outcome, refused.reason) == (Outcome.TURNED_AWAY, "authorization_blocked")
    assert (refused.port, refused.start_s, refused.depart_s) == (sim.ports[0].id, 100.0, 100.0)
    assert served.outcome is Outcome.SERVED
    assert served.start_s == 200.0


def test_a_stop_overtakes_the_charge_timer_and_books_the_energy_so_far() -> None:
    w = world()
    sim = Simulation(w)
    arrive_at(sim, visit(w, at_s=0.0, soc_start=0.0, soc_target=1.0))
    sim.env.run(until=1800.0)
    assert sim.charging.stop_charging(sim.ports[0], StopReason.REMOTE)
    assert not sim.charging.stop_charging(sim.ports[0], StopReason.REMOTE)  # nothing left
    [session] = sim.run().sessions
    assert session.reason == "Remote"
    assert session.charge_end_s == 1800.0
    assert session.energy_kwh == pytest.approx(50.0)  # half an hour at 100 kW


def test_a_driver_who_reached_the_target_lingers_their_idle_time_then_leaves() -> None:
    w = world()
    sim = Simulation(w)
    arrive_at(sim, visit(w, soc_start=0.5, soc_target=0.6, idle_s=300.0))
    [session] = sim.run().sessions
    assert session.depart_s == pytest.approx(session.charge_end_s + 300.0)


def test_the_ocpp_engine_sends_meter_values_at_both_ends_and_the_stop_at_the_meter() -> None:
    w = world()
    central = AcceptEveryTag()
    sim = Simulation(w, resolver=BatchedResolver(central), meter_interval_s=600.0)
    arrive_at(sim, visit(w, soc_start=0.2, soc_target=0.3))  # 6 kWh: 216 s
    sim.run()
    samples = [o.request for o in central.sent if isinstance(o.request, MeterSample)]
    assert [s.context for s in samples] == ["Transaction.Begin", "Transaction.End"]
    meter_wh = int(sim.ports[0].meter_wh)
    assert (samples[0].energy_wh, samples[1].energy_wh) == (0, meter_wh)
    assert meter_wh == pytest.approx(6000, abs=1)
    [stop] = [o.request for o in central.sent if isinstance(o.request, StopTransaction)]
    assert (stop.meter_stop_wh, stop.reason, stop.transaction_ref) == (
        meter_wh,
        StopReason.LOCAL,
        1,
    )
