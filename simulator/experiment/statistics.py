"""Confidence intervals over independent replications (Student t), and paired differences.

Replication k of every scenario in an experiment runs with the same seed, so their results
are paired: the interval of a difference is taken over the per-replication differences, which
common random numbers make far tighter than two independent intervals would suggest.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

LEVEL = 0.95


@dataclass(frozen=True, slots=True)
class Interval:
    """A mean over n replications with its two-sided confidence interval.

    With fewer than two replications the spread is unknown: sd and half_width are NaN.
    """

    n: int
    mean: float
    sd: float
    half_width: float
    level: float = LEVEL

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    def covers(self, value: float) -> bool:
        return self.low <= value <= self.high

    def excludes_zero(self) -> bool:
        return not math.isnan(self.half_width) and (self.low > 0 or self.high < 0)


def interval(values: Sequence[float], level: float = LEVEL) -> Interval:
    """The Student t interval for the mean of independent, roughly normal values."""
    n = len(values)
    if n == 0:
        return Interval(0, math.nan, math.nan, math.nan, level)
    mean = statistics.fmean(values)
    if n < 2:
        return Interval(1, mean, math.nan, math.nan, level)
    sd = statistics.stdev(values, xbar=mean)
    half = t_quantile((1 + level) / 2, n - 1) * sd / math.sqrt(n)
    return Interval(n, mean, sd, half, level)


def paired_difference(
    values: Mapping[int, float], baseline: Mapping[int, float], level: float = LEVEL
) -> Interval:
    """The interval of values[k] - baseline[k] over the replications k both have."""
    common = sorted(values.keys() & baseline.keys())
    return interval([values[k] - baseline[k] for k in common], level)


def t_quantile(p: float, df: int) -> float:
    """The p-quantile of Student's t distribution with df (a whole number) degrees of freedom."""
    if not 0 < p < 1:
        raise ValueError(f"p must lie in (0, 1), got {p}")
    if df < 1:
        raise ValueError(f"df must be at least 1, got {df}")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1 - p, df)
    target = 2 * p - 1  # P(|T| <= t)
    lo, hi = 0.0, 2.0
    while _two_sided_mass(hi, df) < target:
        lo, hi = hi, hi * 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if _two_sided_mass(mid, df) < target:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * hi:
            break
    return (lo + hi) / 2


def _two_sided_mass(t: float, df: int) -> float:
    """P(|T| <= t) for integer df, by the finite series in theta = atan(t / sqrt(df))
    (Abramowitz and Stegun 26.7.3 and 26.7.4)."""
    theta = math.atan(t / math.sqrt(df))
    s, c = math.sin(theta), math.cos(theta)
    c2 = c * c
    if df % 2 == 1:
        # (2/pi) (theta + sin(theta) [cos + 2/3 cos^3 + (2*4)/(3*5) cos^5 + ...]), df - 2 terms
        total = 0.0
        if df > 1:
            term = c
            total = term
            for k in range(3, df - 1, 2):
                term *= c2 * (k - 1) / k
                total += term
        return (2 / math.pi) * (theta + s * total)
    # sin(theta) [1 + 1/2 cos^2 + (1*3)/(2*4) cos^4 + ...], up to cos^(df-2)
    term = 1.0
    total = 1.0
    for k in range(2, df - 1, 2):
        term *= c2 * (k - 1) / k
        total += term
    return s * total
