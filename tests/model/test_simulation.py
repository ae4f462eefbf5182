"""The simulation wires the concepts together: the fast engine by default, and the same
physics whichever resolver carries the requests."""

from __future__ import annotations

from simulator import scenario as sc
from simulator.model.requests import Authorize, StartTransaction, StatusChange
from simulator.model.resolver import BatchedResolver, ImmediateResolver
from simulator.model.simulation import Simulation
from simulator.model.world import World
from tests.model.test_invariants import busy_everything
from tests.model.worlds import AcceptEveryTag


def busy_world(days: float) -> World:
    """Failures, patience, balking, a queue limit, two brands, a deal, idle time."""
    return sc.world(busy_everything(), days=days, seed=11)


def test_a_simulation_without_a_resolver_is_the_fast_engine_answering_every_tag() -> None:
    w = busy_world(days=1)
    default = Simulation(w).run()
    explicit = Simulation(w, resolver=ImmediateResolver()).run()
    assert default == explicit
    assert default.sessions
    assert any(s.energy_kwh > 0 for s in default.sessions)


def test_answers_at_the_flush_give_the_same_records_as_answers_at_once() -> None:
    w = busy_world(days=1)
    fast = Simulation(w).run()
    central = AcceptEveryTag()
    batched = Simulation(w, resolver=BatchedResolver(central), meter_interval_s=300.0).run()
    assert batched == fast
    kinds = {type(o.request) for o in central.sent}
    assert {Authorize, StartTransaction, StatusChange} <= kinds


def test_finish_closes_the_books_once_and_run_is_run_to_the_horizon_then_finish() -> None:
    w = busy_world(days=1)
    sim = Simulation(w)
    records = sim.run()
    assert sim.env.now == w.horizon_s
    assert sim.finish() == records
