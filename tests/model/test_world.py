"""`world.build` from a spec written by hand: plain dataclasses, no scenario file, no pydantic."""

from __future__ import annotations

from datetime import UTC, datetime

from simulator.model.curve import Curve
from simulator.model.distribution import Dist
from simulator.model.world import (
    DAY_S,
    Arrivals,
    Choice,
    Drivers,
    Network,
    NetworkPlan,
    PortGroup,
    SitePlan,
    VehicleModel,
    WorldSpec,
    build,
)


def network(network_id: str) -> Network:
    return Network(
        id=network_id,
        name=network_id,
        members_only=False,
        members=frozenset(),
        open_from_s=None,
        price_per_kwh=0.4,
        non_member_price_per_kwh=0.5,
        idle_fee_per_min=0.0,
        idle_grace_min=0.0,
        roaming_fee_per_kwh=0.0,
        roaming_fee_per_session=0.0,
        sites=(),
    )


def two_network_spec() -> WorldSpec:
    fast = PortGroup(250.0, ("NACS",), count=2)
    slow = PortGroup(50.0, ("CCS1", "CHAdeMO"))
    return WorldSpec(
        name="by hand",
        start=datetime(2025, 1, 6, tzinfo=UTC),
        days=2.0,
        warmup_days=0.5,
        seed=7,
        meter_interval_s=60.0,
        networks=(
            NetworkPlan(network("a"), (SitePlan("a", (fast, slow), count=3, queue_limit=5),)),
            NetworkPlan(network("b"), (SitePlan("b", (slow,)),)),
        ),
        vehicles=(
            VehicleModel(
                id="car",
                index=0,
                brand="Brand",
                share=1.0,
                battery_kwh=75.0,
                peak_kw=150.0,
                connectors=frozenset({"NACS"}),
                adapter_share=0.0,
                adapter_connectors=frozenset(),
                curve=Curve.flat(),
            ),
        ),
        deals=(),
        drivers=Drivers(
            population=100,
            arrival_soc=Dist("fixed", 0.2),
            target_soc=Dist("fixed", 0.8),
            energy_kwh=None,
            idle_min=Dist("fixed", 0.0),
            patience_min=None,
            balk_wait_min=None,
            balk_queue_length=None,
            free_target_soc=None,
            free_idle_min=None,
            choice=Choice("first", None, 10.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        ),
        arrivals=Arrivals("constant", rate_per_h=3.0),
        failures=None,
    )


def test_a_spec_builds_numbered_sites_round_robin_and_fills_in_each_networks_sites() -> None:
    world = build(two_network_spec())
    assert [s.id for s in world.sites] == ["a-1", "b", "a-2", "a-3"]
    assert [s.position for s in world.sites] == [0, 1, 2, 3]
    assert [p.id for p in world.sites[2].ports] == ["a-2-01", "a-2-02", "a-2-03"]
    assert [p.index for p in world.ports] == list(range(10))
    assert world.sites[0].queue_limit == 5
    assert world.sites[1].queue_limit is None
    assert world.network("a").sites == ("a-1", "a-2", "a-3")
    assert world.network("b").sites == ("b",)
    assert world.ports[2].connectors == ("CCS1", "CHAdeMO")
    assert world.ports[2].power_kw == 50.0


def test_the_spec_gives_the_window_and_seed_unless_build_is_told_otherwise() -> None:
    spec = two_network_spec()
    world = build(spec)
    assert (world.horizon_s, world.warmup_s, world.seed) == (2 * DAY_S, 0.5 * DAY_S, 7)
    assert (world.vehicles, world.drivers, world.arrivals) == (
        spec.vehicles,
        spec.drivers,
        spec.arrivals,
    )
    other = build(spec, days=0.25, seed=3)
    assert (other.horizon_s, other.warmup_s, other.seed) == (0.25 * DAY_S, 0.5 * DAY_S, 3)
