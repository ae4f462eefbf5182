"""Port failures: up for an exponential time, down for another, from the port's own stream."""

from __future__ import annotations

import random

import simpy

from simulator.model import failures
from simulator.model.records import PortState
from simulator.model.simulation import Simulation
from simulator.model.site import Site
from simulator.model.streams import Streams
from simulator.model.world import Failures
from tests.model.worlds import world


def test_a_port_goes_down_and_up_at_the_draws_of_its_stream() -> None:
    env = simpy.Environment()
    [port] = Site(world().sites[0]).ports
    changes: list[tuple[str, float]] = []
    spec = Failures(mtbf_s=1000.0, mttr_s=100.0)
    env.process(
        failures.up_and_down(
            env,
            port,
            spec,
            random.Random(7),
            lambda p: changes.append(("down", env.now)),
            lambda p: changes.append(("up", env.now)),
        )
    )
    env.run(until=20_000.0)
    rng = random.Random(7)
    t, expected = 0.0, []
    while True:
        t += rng.expovariate(1 / 1000.0)
        if t >= 20_000.0:
            break
        expected.append(("down", t))
        t += rng.expovariate(1 / 100.0)
        if t >= 20_000.0:
            break
        expected.append(("up", t))
    assert changes == expected
    assert len(changes) > 4


def test_every_port_fails_on_its_own_stream_so_ports_never_share_draws() -> None:
    w = world(
        ports=[{"power_kw": 100, "connectors": ["CCS1"], "count": 2}],
        failures={"mtbf_days": 0.5, "mttr_days": 0.1},
        days=3,
    )
    sim = Simulation(w)
    records = sim.run()
    down = PortState.DOWN
    downs = {
        p.id: [i.start_s for i in records.intervals if i.port == p.id and i.state is down]
        for p in sim.ports
    }
    a, b = sim.ports
    assert w.failures is not None
    first_a = Streams(w.seed)[failures.stream_name(a.id)].expovariate(1 / w.failures.mtbf_s)
    assert downs[a.id][0] == first_a
    assert downs[a.id] != downs[b.id]
