"""Charging curves are integrated in closed form (validation.md, taper)."""

from __future__ import annotations

import math

import pytest

from simulator.model.curve import Curve, profile


def test_a_two_stage_battery_charges_10_to_80_percent_in_21_minutes() -> None:
    p = profile(Curve.two_stage(0.8), 75.0, 150.0, 150.0)
    assert p.hours_between(0.1, 0.8) * 60 == pytest.approx(21.0)


def test_the_taper_from_80_to_90_percent_takes_the_logarithmic_time() -> None:
    p = profile(Curve.two_stage(0.8), 75.0, 150.0, 150.0)
    exact_min = 75 * 0.2 / 150 * math.log(2) * 60
    assert p.hours_between(0.8, 0.9) * 60 == pytest.approx(exact_min)
    assert exact_min == pytest.approx(4.16, abs=0.005)


def test_soc_after_inverts_the_charging_time_on_every_kind_of_piece() -> None:
    curve = Curve((0.1, 0.3, 0.5, 0.7, 0.9), (0.9, 0.915, 0.81, 0.64, 0.35))
    p = profile(curve, 62.0, 150.0, 120.0)  # the port limit clips the top of the curve
    for start, end in [(0.05, 0.95), (0.2, 0.6), (0.45, 0.46), (0.0, 1.0)]:
        hours = p.hours_between(start, end)
        assert p.soc_after(start, hours) == pytest.approx(end, abs=1e-9)


def test_the_port_limit_caps_power_and_the_car_curve_takes_over_where_it_is_lower() -> None:
    p = profile(Curve.two_stage(0.8), 75.0, 250.0, 150.0)
    assert p.power_kw(0.5) == pytest.approx(150.0)
    assert p.power_kw(0.9) == pytest.approx(125.0)  # 250 * (1 - 0.9) / 0.2
    assert p.power_kw(0.95) == pytest.approx(62.5)


def test_segments_add_up_to_the_energy_and_time_of_the_charge() -> None:
    p = profile(Curve.two_stage(0.8), 75.0, 250.0, 150.0)
    segs = p.segments(0.2, 0.95)
    assert sum(s[1] for s in segs) == pytest.approx(0.75 * 75.0)
    assert sum(s[0] for s in segs) == pytest.approx(p.hours_between(0.2, 0.95))
    assert all(s[2] >= s[3] for s in segs)  # power never rises along this curve


def test_a_flat_curve_is_not_bounded_by_a_full_battery() -> None:
    p = profile(Curve.flat(), 10.0, 100.0, 50.0)
    assert p.hours_between(0.5, 3.5) == pytest.approx(30.0 / 50.0)
    assert Curve.flat().max_soc == math.inf
