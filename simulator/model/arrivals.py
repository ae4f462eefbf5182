"""Arrival instants of a (possibly time-varying) Poisson process, from one stream."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator

from simulator.model.world import Arrivals

HOUR_S = 3600.0


def arrival_times(arrivals: Arrivals, rng: random.Random, start_weekday: int) -> Iterator[float]:
    """Successive arrival times in seconds, forever. `start_weekday`: 0 = Monday at t = 0."""
    if arrivals.kind == "constant":
        rate_per_s = arrivals.rate_per_h / HOUR_S
        t = 0.0
        while True:
            t += rng.expovariate(rate_per_s)
            yield t
    elif arrivals.kind == "profile":
        yield from _piecewise(arrivals, rng, start_weekday)
    else:
        yield from _sinusoid(arrivals, rng)


def _piecewise(arrivals: Arrivals, rng: random.Random, start_weekday: int) -> Iterator[float]:
    # Exact inversion of the cumulative intensity, hour by hour.
    t = 0.0
    hour = 0
    used_s = 0.0  # seconds of the current hour already consumed
    while True:
        need = rng.expovariate(1.0)
        while True:
            day = hour // 24
            weekend = (start_weekday + day) % 7 >= 5
            table = arrivals.hourly_weekend_per_h if weekend else arrivals.hourly_weekday_per_h
            rate_per_s = table[hour % 24] / HOUR_S
            left_s = HOUR_S - used_s
            if rate_per_s > 0 and need <= rate_per_s * left_s:
                used_s += need / rate_per_s
                t = hour * HOUR_S + used_s
                break
            need -= rate_per_s * left_s
            hour += 1
            used_s = 0.0
        yield t


def _sinusoid(arrivals: Arrivals, rng: random.Random) -> Iterator[float]:
    # Thinning (Lewis and Shedler) against the peak rate.
    peak_per_s = (arrivals.base_per_h + arrivals.amplitude_per_h) / HOUR_S
    omega = 2 * math.pi / (arrivals.period_h * HOUR_S)
    t = 0.0
    while True:
        t += rng.expovariate(peak_per_s)
        rate_per_s = (arrivals.base_per_h + arrivals.amplitude_per_h * math.sin(omega * t)) / HOUR_S
        if rng.random() * peak_per_s <= rate_per_s:
            yield t
