"""Who arrives when: the instants of a (possibly time-varying) Poisson process, from one
stream, and the driver and car of each arrival, drawn at that instant."""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from simulator.model.distribution import sampler_or_none
from simulator.model.events import Timer
from simulator.model.streams import Streams
from simulator.model.visit import Visit
from simulator.model.world import Arrivals, World, low_discrepancy

if TYPE_CHECKING:
    import simpy
    from simpy.events import Event

__all__ = ["ADAPTER_SALT", "HOUR_S", "arrival_times", "cumulative", "start"]

HOUR_S = 3600.0
ADAPTER_SALT = 0.6180339887498949


def start(
    env: simpy.Environment, world: World, streams: Streams, arrive: Callable[[Visit], None]
) -> None:
    """Schedule the arrivals as a chain of timers, each drawing one visit and passing it to
    `arrive`, until the horizon."""
    drivers = world.drivers
    s = streams
    times = arrival_times(world.arrivals, s["arrivals"], world.start.weekday())
    r_vehicle, r_driver, r_soc, r_energy = s["vehicle"], s["driver"], s["soc"], s["energy"]
    r_idle, r_patience, r_choice = s["idle"], s["patience"], s["choice"]
    vehicles = world.vehicles
    cdf = cumulative([v.share for v in vehicles])
    # the region's drivers split by model share: every driver visits about as often
    populations = [max(1, round(drivers.population * v.share)) for v in vehicles]
    draw_soc = drivers.arrival_soc.sampler()
    draw_target = drivers.target_soc.sampler()
    draw_free_target = sampler_or_none(drivers.free_target_soc)
    draw_energy = sampler_or_none(drivers.energy_kwh)
    draw_idle = drivers.idle_min.sampler()
    draw_free_idle = sampler_or_none(drivers.free_idle_min)
    draw_patience = sampler_or_none(drivers.patience_min)
    plugs: dict[tuple[int, bool], frozenset[str]] = {}
    horizon_s = world.horizon_s

    def schedule_next() -> None:
        t = next(times)
        if t < horizon_s:
            Timer(env, t - env.now, draw)

    def draw(_: Event) -> None:
        visit = Visit()
        visit.arrival_s = env.now
        vehicle = vehicles[bisect.bisect_right(cdf, r_vehicle.random())]
        visit.vehicle = vehicle
        driver = visit.driver = int(r_driver.random() * populations[vehicle.index])
        share = vehicle.adapter_share
        key = visit.key = (
            vehicle.index,
            share > 0 and low_discrepancy(driver, ADAPTER_SALT) < share,
        )
        connectors = plugs.get(key)
        if connectors is None:
            connectors = vehicle.connectors | (
                vehicle.adapter_connectors if key[1] else frozenset()
            )
            plugs[key] = connectors
        visit.connectors = connectors
        # Fixed draws per purpose and arrival keep common random numbers aligned.
        soc_start = visit.soc_start = draw_soc(r_soc)
        target = draw_target(r_soc)
        free_target = draw_free_target(r_soc)
        energy = draw_energy(r_energy)
        idle_min = draw_idle(r_idle)
        free_idle_min = draw_free_idle(r_idle)
        patience = draw_patience(r_patience)
        visit.location = r_choice.random()
        visit.u_choice = r_choice.random()
        if energy is not None:
            visit.soc_target = soc_start + energy / vehicle.battery_kwh
        else:
            visit.soc_target = target if target > soc_start else soc_start
        visit.idle_s = idle_min * 60.0
        visit.patience_s = math.inf if patience is None else patience * 60.0
        # the behaviour under a free session is settled once the site is known
        visit.free_behaviour = (free_target, free_idle_min)
        arrive(visit)
        t = next(times)  # the next arrival (schedule_next, inlined: once per arrival)
        if t < horizon_s:
            Timer(env, t - env.now, draw)

    schedule_next()


def cumulative(shares: list[float]) -> list[float]:
    """The cumulative shares, normalized, without the last (1.0): a table for bisect."""
    total = sum(shares)
    out, acc = [], 0.0
    for x in shares[:-1]:
        acc += x / total
        out.append(acc)
    return out


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
