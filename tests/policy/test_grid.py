"""The grid policies alone: shares of a site's limit in whole watts."""

from __future__ import annotations

import random

import pytest

from policy.grid import Demand, allocate, by_priority, equal_share, to_w


def demands(*max_w: int, priority: tuple[int, ...] = ()) -> list[Demand]:
    classes = priority or (0,) * len(max_w)
    return [Demand(f"p{i}", w, c) for i, (w, c) in enumerate(zip(max_w, classes, strict=True))]


def test_an_unconstrained_site_gives_every_car_its_demand() -> None:
    assert equal_share(1_000_000, demands(150_000, 50_000)) == {"p0": 150_000, "p1": 50_000}


def test_a_binding_limit_is_shared_equally_among_equal_cars() -> None:
    assert equal_share(300_000, demands(*[150_000] * 4)) == dict.fromkeys(
        ["p0", "p1", "p2", "p3"], 75_000
    )


def test_a_capped_cars_unused_share_goes_to_the_others() -> None:
    # equal share 100 kW; p1 takes 40, the other two share the remaining 260
    assert equal_share(300_000, demands(250_000, 40_000, 250_000)) == {
        "p0": 130_000,
        "p1": 40_000,
        "p2": 130_000,
    }


def test_redistribution_goes_on_until_the_next_car_is_capped_too() -> None:
    # 60 each at first; p0 is capped at 20, then 80 each; p1 is capped at 70, then p2 gets 110
    assert equal_share(200_000, demands(20_000, 70_000, 150_000)) == {
        "p0": 20_000,
        "p1": 70_000,
        "p2": 110_000,
    }


def test_shares_are_whole_watts_rounded_down_so_the_sum_never_exceeds_the_limit() -> None:
    shares = equal_share(250_000, demands(*[150_000] * 3))
    assert set(shares.values()) == {83_333}
    assert sum(shares.values()) <= 250_000


def test_kilowatts_become_whole_watts_rounded_down() -> None:
    assert (to_w(0.3), to_w(83.3339), to_w(150.0)) == (300, 83_333, 150_000)


def test_no_charging_port_gets_nothing_and_a_zero_limit_gives_zero() -> None:
    assert equal_share(100_000, []) == {}
    assert equal_share(0, demands(50_000, 50_000)) == {"p0": 0, "p1": 0}


def test_the_priority_policy_serves_the_partners_first_then_shares_what_is_left() -> None:
    # p0, p1 are partners (class 0) and take 250 of 300; the others share the remaining 50
    got = by_priority(300_000, demands(150_000, 100_000, 150_000, 150_000, priority=(0, 0, 1, 1)))
    assert got == {"p0": 150_000, "p1": 100_000, "p2": 25_000, "p3": 25_000}


def test_under_priority_a_lower_class_gets_nothing_when_the_first_takes_everything() -> None:
    got = allocate("priority", 200_000, demands(150_000, 150_000, 50_000, priority=(0, 0, 1)))
    assert got == {"p0": 100_000, "p1": 100_000, "p2": 0}


def test_one_class_under_priority_is_the_equal_policy() -> None:
    ds = demands(20_000, 70_000, 150_000)
    assert allocate("priority", 200_000, ds) == allocate("equal", 200_000, ds)


@pytest.mark.parametrize("policy", ["equal", "priority"])
def test_random_sites_keep_the_sum_within_the_limit_and_every_cap(policy: str) -> None:
    rng = random.Random(11)
    for _ in range(300):
        n = rng.randint(1, 12)
        ds = [Demand(f"p{i}", rng.randint(0, 350_000), rng.randint(0, 2)) for i in range(n)]
        limit_w = rng.randint(0, 2_000_000)
        got = allocate(policy, limit_w, ds)  # type: ignore[arg-type]
        assert set(got) == {d.port for d in ds}
        assert sum(got.values()) <= limit_w
        assert all(0 <= got[d.port] <= d.max_w for d in ds)
        if sum(d.max_w for d in ds) <= limit_w:
            assert all(got[d.port] == d.max_w for d in ds)  # nobody is held back
        else:
            assert limit_w - sum(got.values()) < n  # only the rounding is left over
