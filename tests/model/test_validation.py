"""The engine reproduces closed-form queueing results (../shared/reference/validation.md).

Each case runs independent replications and asserts |mean - exact| < 3 standard errors,
on the fast-converging quantities where the tolerance is tight.

Hundreds of simulated days replicate the same few code paths, so coverage is not measured here
(the tracer makes them 2.7 times slower; the model's other tests cover those lines). The
Erlang C and Erlang B runs are shared, within a test process, with the limit cases that
reproduce them (tests/conftest.py keeps this module in one test process).
"""

from __future__ import annotations

import math

import pytest

from simulator.reports.summary import Metrics
from tests.model.queueing import PORT_KW, grid_limited, mean_se, one_site, replicate_many

Z = 3.0
pytestmark = pytest.mark.no_cover


def erlang_c() -> list[Metrics]:
    return replicate_many(one_site(rate_per_h=6, ports=4), days=60, replications=8)


def erlang_b(service: str = "exponential") -> list[Metrics]:
    data = one_site(rate_per_h=6, ports=4, queue_limit=4, service=service)
    return replicate_many(data, days=40, replications=8)


def assert_close(values: list[float], exact: float) -> None:
    mean, se = mean_se(values)
    assert abs(mean - exact) < Z * se, f"mean {mean:.5f} ± {se:.5f} vs exact {exact}"


def test_erlang_c_wait_probability_mean_wait_and_utilization() -> None:
    runs = erlang_c()
    assert_close([r.p_wait for r in runs], 0.5094)
    assert_close([r.mean_wait_min for r in runs], 15.28)
    assert_close([r.occupancy_utilization or 0 for r in runs], 0.75)


def test_light_load_rarely_waits() -> None:
    runs = replicate_many(one_site(rate_per_h=2, ports=4), days=60, replications=8)
    assert_close([r.p_wait for r in runs], 0.0204)
    assert_close([r.mean_wait_min for r in runs], 0.20)


@pytest.mark.parametrize("service", ["fixed", "exponential"])
def test_erlang_b_blocking_does_not_depend_on_the_service_distribution(service: str) -> None:
    runs = erlang_b(service)
    assert_close([r.turned_away_share for r in runs], 0.2061)
    assert all(r.p_wait == 0 for r in runs)


def test_finite_queue_turns_away_and_waits_as_mmck() -> None:
    runs = replicate_many(one_site(rate_per_h=6, ports=4, queue_limit=8), days=60, replications=8)
    assert_close([r.turned_away_share for r in runs], 0.0458)
    assert_close([r.mean_wait_min for r in runs], 6.69)
    assert_close([r.occupancy_utilization or 0 for r in runs], 0.7156)


def test_erlang_a_drivers_give_up_at_the_exact_rate() -> None:
    data = one_site(rate_per_h=8, ports=4, patience_min=10)
    runs = replicate_many(data, days=40, replications=8)
    assert_close([r.gave_up_share for r in runs], 0.2432)
    assert_close([r.mean_wait_min for r in runs], 2.43)
    assert_close([r.occupancy_utilization or 0 for r in runs], 0.7568)


def test_time_varying_arrivals_give_the_infinite_server_occupancy_curve() -> None:
    ports = 60  # never all busy: an M_t/M/inf system
    data = one_site(
        rate_per_h=0,
        ports=ports,
        warmup_days=2,
        arrivals={"kind": "sinusoid", "base_per_h": 10, "amplitude_per_h": 6, "period_h": 24},
    )
    runs = replicate_many(data, days=30, replications=6)
    omega = 2 * math.pi / 24

    def m(t: float) -> float:
        return 5 + 6 * (2 * math.sin(omega * t) - omega * math.cos(omega * t)) / (4 + omega**2)

    for hour in range(0, 24, 3):
        exact = sum(m(hour + (k + 0.5) / 60) for k in range(60)) / 60  # the hour's mean
        values = [(r.hourly_occupancy or [])[hour] * ports for r in runs]
        mean, se = mean_se(values)
        assert abs(mean - exact) < Z * se + 0.05, (
            f"hour {hour}: {mean:.3f} ± {se:.3f} vs {exact:.3f}"
        )


def test_infinite_patience_reproduces_erlang_c_and_a_queue_limit_of_c_reproduces_erlang_b() -> None:
    # Patience draws have their own random stream: drivers who would wait 10^9 min leave the
    # run exactly as it is without patience, seed by seed, and that run is Erlang C's.
    plain = erlang_c()
    patient = replicate_many(
        one_site(rate_per_h=6, ports=4, patience_min=1e9), days=60, replications=3
    )
    assert all(r.gave_up == 0 for r in patient)
    assert patient == plain[: len(patient)], "a patience nobody reaches changed the run"
    assert_close([r.p_wait for r in plain], 0.5094)
    # a queue limit of c = 4: nobody queues, the Erlang B case (the runs of its test)
    blocking = erlang_b()
    assert_close([r.turned_away_share for r in blocking], 0.2061)
    assert all(r.p_wait == 0 for r in blocking)


def test_a_binding_grid_limit_shared_equally_gives_the_birth_death_chains_figures() -> None:
    # 4 ports of 100 kW behind 240 kW: with n cars on site the site delivers min(n 100, 240) kW
    exact = grid_limited(rate_per_h=3.6, ports=4, port_kw=PORT_KW, limit_kw=240, mean_kwh=50)
    assert (round(exact.p_wait, 4), round(exact.mean_wait_min, 2)) == (0.3928, 19.64)
    data = one_site(rate_per_h=3.6, ports=4, grid_limit_kw=240)
    runs = replicate_many(data, days=24, replications=8)
    assert_close([r.p_wait for r in runs], exact.p_wait)
    assert_close([r.mean_wait_min for r in runs], exact.mean_wait_min)
    assert_close([r.occupancy_utilization or 0 for r in runs], exact.utilization)
