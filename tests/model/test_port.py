"""A charge point's state and whether it serves: failures, the operator, a visit leaving."""

from __future__ import annotations

from simulator.model.records import Outcome, PortState
from simulator.model.requests import PortStatus, StatusChange, StopReason
from simulator.model.resolver import BatchedResolver
from simulator.model.simulation import Simulation
from simulator.model.site import Site
from tests.model.worlds import AcceptEveryTag, arrive_at, visit, world

DUAL = [{"power_kw": 50, "connectors": ["CCS1", "CHAdeMO"]}]


def test_a_charge_point_copies_its_ports_facts_and_numbers_connectors_from_one() -> None:
    w = world(ports=DUAL)
    [port] = Site(w.sites[0]).ports
    assert (port.id, port.index, port.network, port.power_kw) == ("s-01", 0, "n", 50)
    assert port.connector_ids == {"CCS1": 1, "CHAdeMO": 2}
    v = visit(w)
    assert port.fits(v)
    assert port.connector_for(v) == 1
    v.connectors = frozenset({"J1772"})
    assert not port.fits(v)


def test_an_idle_port_taken_down_leaves_the_free_ports_and_comes_back_when_brought_up() -> None:
    w = world()
    sim = Simulation(w)
    port = sim.ports[0]
    sim.env.run(until=100.0)
    sim.availability.take_down(port)
    assert port.down
    assert port.state is PortState.DOWN
    assert port not in port.site.free
    sim.env.run(until=400.0)
    sim.availability.bring_up(port)
    assert not port.down
    assert port in port.site.free
    assert port.state is PortState.AVAILABLE
    records = sim.run()
    assert [(i.state, i.start_s, i.end_s) for i in records.intervals] == [
        (PortState.AVAILABLE, 0.0, 100.0),
        (PortState.DOWN, 100.0, 400.0),
        (PortState.AVAILABLE, 400.0, w.horizon_s),
    ]


def test_a_port_that_fails_under_a_charging_car_stops_it_with_power_loss() -> None:
    w = world()
    sim = Simulation(w)
    arrive_at(sim, visit(w, soc_start=0.0, soc_target=1.0))
    sim.env.run(until=60.0)
    sim.availability.take_down(sim.ports[0])
    [session] = sim.run().sessions
    assert (session.outcome, session.reason, session.depart_s) == (
        Outcome.SERVED,
        StopReason.POWER_LOSS.value,
        60.0,
    )


def test_a_released_port_reports_available_on_connector_zero_and_takes_the_next_car() -> None:
    w = world()
    central = AcceptEveryTag()
    sim = Simulation(w, resolver=BatchedResolver(central))
    arrive_at(sim, visit(w, soc_start=0.5, soc_target=0.6))
    arrive_at(sim, visit(w, driver=1, soc_start=0.5, soc_target=0.6))
    sim.run()
    statuses = [
        (o.request.status, o.request.connector_id)
        for o in central.sent
        if isinstance(o.request, StatusChange)
    ]
    assert statuses[:4] == [
        (PortStatus.PREPARING, 1),
        (PortStatus.CHARGING, 1),
        (PortStatus.FINISHING, 1),
        (PortStatus.AVAILABLE, 0),
    ]
    assert statuses[4] == (PortStatus.PREPARING, 1)  # the waiting car plugs in at once
