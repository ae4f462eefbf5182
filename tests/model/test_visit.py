"""From arrival to a port: access, the queue limit, balking, queueing and reneging."""

from __future__ import annotations

from simulator.model.records import Outcome
from simulator.model.simulation import Simulation
from simulator.model.visit import Visit
from tests.model.worlds import arrive_at, visit, world


def test_a_driver_the_only_network_does_not_admit_yet_is_turned_away_for_no_access() -> None:
    w = world(network={"access": "members_only", "members": ["Other"], "open_from_day": 0.5})
    sim = Simulation(w)
    arrive_at(sim, visit(w, at_s=5.0))
    [session] = sim.run().sessions
    assert (session.outcome, session.reason, session.depart_s) == (
        Outcome.TURNED_AWAY,
        "no_access",
        5.0,
    )


def test_a_driver_waits_for_the_busy_port_and_takes_it_when_it_is_released() -> None:
    w = world()
    sim = Simulation(w)
    first, second = visit(w, at_s=0.0), visit(w, at_s=60.0, driver=1)
    arrive_at(sim, first)
    arrive_at(sim, second)
    assert list(sim.sites[0].queue) == [second]
    assert second.port is None
    records = sim.run()
    a, b = records.sessions
    assert b.start_s == a.depart_s
    assert b.wait_s == a.depart_s - 60.0


def test_an_impatient_driver_gives_up_after_their_patience() -> None:
    w = world()
    sim = Simulation(w)
    arrive_at(sim, visit(w, at_s=0.0))
    arrive_at(sim, visit(w, at_s=10.0, driver=1, patience_s=120.0))
    records = sim.run()
    gave_up = next(s for s in records.sessions if s.outcome is Outcome.GAVE_UP)
    assert (gave_up.reason, gave_up.wait_s, gave_up.depart_s) == ("reneged", 120.0, 130.0)
    assert sim.sites[0].on_site == 0


def test_a_full_site_turns_drivers_away_and_a_long_predicted_wait_makes_them_balk() -> None:
    w = world(queue_limit=2)
    sim = Simulation(w)
    for k in range(3):
        arrive_at(sim, visit(w, at_s=float(k), driver=k))
    reasons = [s.reason for s in sim.recorder.sessions]
    assert reasons == ["queue_full"]
    w = world(drivers={"balk_wait_min": 20})  # a charge is expected to take 30 min
    sim = Simulation(w)
    for k in range(2):
        arrive_at(sim, visit(w, at_s=float(k), driver=k))
    assert [s.reason for s in sim.recorder.sessions] == ["balked"]


def test_a_visit_encodes_its_tag_once_from_its_vehicle_and_driver() -> None:
    v = visit(world(), driver=1234)
    assert v.id_tag == "D000001234"
    assert v.tag == "D000001234"
    app = Visit()
    app.tag = "APP1"
    assert app.id_tag == "APP1"
