"""Student t intervals and paired differences."""

from __future__ import annotations

import math

import pytest

from simulator.experiment.statistics import Interval, interval, paired_difference, t_quantile


@pytest.mark.parametrize(
    ("p", "df", "exact"),
    [
        (0.975, 1, 12.7062047),
        (0.975, 2, 4.30265273),
        (0.975, 4, 2.77644511),
        (0.975, 9, 2.26215716),
        (0.975, 29, 2.04522964),
        (0.975, 1000, 1.96233908),
        (0.75, 2, 0.81649658),
        (0.995, 5, 4.03214298),
    ],
)
def test_t_quantiles_match_the_tables(p: float, df: int, exact: float) -> None:
    assert t_quantile(p, df) == pytest.approx(exact, abs=1e-7)
    assert t_quantile(1 - p, df) == pytest.approx(-exact, abs=1e-7)


def test_the_interval_is_the_mean_plus_minus_t_times_the_standard_error() -> None:
    values = [1.0, 2.0, 3.0, 4.0]
    i = interval(values)
    sd = math.sqrt(sum((v - 2.5) ** 2 for v in values) / 3)
    assert i.n == 4
    assert i.mean == 2.5
    assert i.sd == pytest.approx(sd)
    assert i.half_width == pytest.approx(3.18244631 * sd / 2)
    assert (i.low, i.high) == pytest.approx((2.5 - i.half_width, 2.5 + i.half_width))


def test_identical_values_have_an_interval_of_zero_width() -> None:
    i = interval([0.25] * 5)
    assert (i.mean, i.half_width, i.low, i.high) == (0.25, 0.0, 0.25, 0.25)


def test_one_value_has_a_mean_but_no_interval() -> None:
    i = interval([3.0])
    assert i.mean == 3.0
    assert math.isnan(i.half_width)
    assert not i.excludes_zero()


def test_a_paired_difference_uses_the_replications_both_sides_finished() -> None:
    a = {0: 5.0, 1: 6.0, 2: 7.0}
    b = {0: 4.0, 2: 6.5, 3: 100.0}
    i = paired_difference(a, b)
    assert i.n == 2
    assert i.mean == pytest.approx(0.75)


def test_an_interval_excludes_zero_only_when_both_ends_are_on_one_side() -> None:
    assert Interval(3, 1.0, 0.5, 0.9).excludes_zero()
    assert Interval(3, -1.0, 0.5, 0.9).excludes_zero()
    assert not Interval(3, 1.0, 0.5, 1.1).excludes_zero()
