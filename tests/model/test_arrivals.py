"""Who arrives when: the arrival instants, and the visit drawn at each."""

from __future__ import annotations

import itertools

import simpy

from simulator.model import arrivals
from simulator.model.streams import Streams
from simulator.model.visit import Visit
from tests.model.worlds import world

TWO_MODELS = [
    {
        "id": f"v{k}",
        "brand": f"B{k}",
        "share": 0.5,
        "battery_kwh": 60,
        "peak_kw": 100,
        "connectors": ["CCS1"],
        "adapter_share": 0.5,
        "adapter_connectors": ["CHAdeMO"],
    }
    for k in range(2)
]


def arrived(rate_per_h: float, seed: int = 1) -> tuple[list[Visit], float]:
    w = world(rate_per_h=rate_per_h, vehicles=TWO_MODELS, seed=seed)
    env = simpy.Environment()
    seen: list[Visit] = []
    arrivals.start(env, w, Streams(w.seed), seen.append)
    env.run(until=w.horizon_s)
    return seen, w.horizon_s


def test_visits_arrive_at_the_instants_of_the_arrival_stream_until_the_horizon() -> None:
    seen, horizon_s = arrived(12.0)
    w = world(rate_per_h=12.0, vehicles=TWO_MODELS)
    times = arrivals.arrival_times(w.arrivals, Streams(w.seed)["arrivals"], w.start.weekday())
    expected = list(itertools.takewhile(lambda t: t < horizon_s, times))
    assert [v.arrival_s for v in seen] == expected
    assert len(expected) > 200


def test_each_visit_is_drawn_whole_at_its_arrival() -> None:
    seen, _ = arrived(12.0)
    for v in seen:
        assert 0.0 <= v.soc_start <= v.soc_target
        assert 0.0 <= v.location < 1.0
        assert v.key == (v.vehicle.index, "CHAdeMO" in v.connectors)
        assert v.connectors >= v.vehicle.connectors
        assert v.port is None
        assert v.site is None
    assert {v.vehicle.id for v in seen} == {"v0", "v1"}
    assert {v.key[1] for v in seen} == {False, True}


def test_the_same_seed_draws_the_same_visits_and_another_does_not() -> None:
    def drawn(seed: int) -> list[tuple[float, str, int, float]]:
        seen, _ = arrived(6.0, seed)
        return [(v.arrival_s, v.vehicle.id, v.driver, v.soc_start) for v in seen]

    assert drawn(3) == drawn(3) != drawn(4)


def test_the_vehicle_table_is_the_cumulative_share_without_its_last_entry() -> None:
    assert arrivals.cumulative([1.0, 1.0, 2.0]) == [0.25, 0.5]
    assert arrivals.cumulative([5.0]) == []
