"""The central system's commands by port id, on the fast engine's clock: an app start, an
unlock, availability, and what the OCPP side asks of a port."""

from __future__ import annotations

from simulator.model.records import Outcome, PortState
from simulator.model.simulation import Simulation
from tests.model.worlds import arrive_at, visit, world


def test_an_app_started_session_charges_with_the_tag_it_was_started_with() -> None:
    w = world()
    sim = Simulation(w)
    sim.env.run(until=50.0)
    port_id = sim.ports[0].id
    assert sim.remote_start(port_id, "APP1")
    assert not sim.remote_start(port_id, "APP2")  # busy
    assert not sim.remote_start("nowhere", "APP3")
    port = sim.ports[0]
    assert port.visit is not None
    assert port.visit.id_tag == "APP1"
    assert port.charging
    assert sim.transaction_on(port_id) == 1
    assert sim.transaction_on("nowhere") == 0
    [session] = sim.run().sessions
    assert (session.driver, session.outcome, session.start_s) == (-1, Outcome.SERVED, 50.0)


def test_an_unlock_stops_the_charge_and_is_false_where_nothing_charges() -> None:
    w = world()
    sim = Simulation(w)
    port_id = sim.ports[0].id
    assert not sim.unlock(port_id)
    assert not sim.unlock("nowhere")
    arrive_at(sim, visit(w, soc_start=0.0, soc_target=1.0))
    sim.env.run(until=100.0)
    assert sim.unlock(port_id)
    [session] = sim.run().sessions
    assert (session.reason, session.depart_s) == ("UnlockCommand", 100.0)


def test_a_port_made_inoperative_under_a_car_is_scheduled_and_taken_down_as_it_leaves() -> None:
    w = world()
    sim = Simulation(w)
    port = sim.ports[0]
    arrive_at(sim, visit(w, soc_start=0.5, soc_target=0.6))  # 6 kWh: 216 s
    assert sim.change_availability(port.id, operative=False) == "Scheduled"
    sim.env.run(until=300.0)
    assert port.down
    assert port.state is PortState.DOWN
    assert port.visit is None
    assert sim.change_availability(port.id, operative=False) == "Accepted"
    assert sim.change_availability(port.id, operative=True) == "Accepted"
    assert not port.down
    assert port in port.site.free
    assert sim.change_availability("nowhere", operative=True) == "Rejected"


def test_a_port_whose_answer_came_at_once_is_not_left_authorizing() -> None:
    w = world()
    sim = Simulation(w)
    arrive_at(sim, visit(w))
    assert not sim.authorizing(sim.ports[0].id)  # answered within the plug-in
    assert not sim.authorizing("nowhere")
    reading = sim.meter_reading(sim.ports[0].id)
    assert reading is not None
    assert reading.context == "Trigger"
