"""Times the fast engine against a minimal plain-SimPy M/M/c loop, in one run.

Last lines: `engine sessions/s=… plain-simpy sessions/s=… ratio=…`, unconstrained, then
`grid-limited engine sessions/s=… plain-simpy sessions/s=… ratio=…` with a binding site grid
limit (the plain-SimPy baseline then does the same work: equal shares of the limit, each car's
completion rescheduled at every start and end). Also times 28 days of the shared region
(scenarios/interoperability.toml, the richest of the partnership scenarios), without and with a
binding grid limit on every site. Ratios measured in one run are what count: these machines
are noisy.
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

import simpy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator import scenario as sc  # noqa: E402
from simulator.model.simulation import Simulation  # noqa: E402
from simulator.model.world import GridLimit, World  # noqa: E402

RATE_PER_H = 6.0
MEAN_SERVICE_H = 0.5
PORTS = 4
PORT_KW = 100.0
GRID_KW = 350.0
"""The M/M/c site's grid limit: binds when all four ports charge (the load is 300 kW)."""
REGION_GRID_SHARE = 0.5
"""The shared region's sites behind a grid connection of half their ports' ratings."""


def plain_simpy(hours: float, seed: int) -> int:
    """The least a SimPy M/M/c model can do: arrive, request, hold, release."""
    env = simpy.Environment()
    ports = simpy.Resource(env, capacity=PORTS)
    rng = random.Random(seed)
    served = 0

    def car() -> object:
        nonlocal served
        with ports.request() as req:
            yield req
            yield env.timeout(rng.expovariate(1 / MEAN_SERVICE_H))
        served += 1

    def arrivals() -> object:
        while True:
            yield env.timeout(rng.expovariate(RATE_PER_H))
            env.process(car())

    env.process(arrivals())
    env.run(until=hours)
    return served


def plain_simpy_grid(hours: float, seed: int) -> int:
    """The same M/M/c with the site's grid limit shared equally: with n cars charging each
    draws min(port, limit / n); every start and end updates each car's energy left and
    interrupts its wait to reschedule its completion at the new power."""
    env = simpy.Environment()
    ports = simpy.Resource(env, capacity=PORTS)
    rng = random.Random(seed)
    charging: dict[simpy.Process, list[float]] = {}  # [kWh left, kW, since h]
    served = 0

    def rebalance() -> None:
        kw = min(PORT_KW, GRID_KW / len(charging)) if charging else PORT_KW
        me = env.active_process
        for proc, state in charging.items():
            if state[1] != kw:
                state[0] -= state[1] * (env.now - state[2])
                state[1], state[2] = kw, env.now
                if proc is not me:
                    proc.interrupt()

    def car() -> object:
        nonlocal served
        with ports.request() as req:
            yield req
            me = env.active_process
            assert me is not None
            state = [rng.expovariate(1 / (PORT_KW * MEAN_SERVICE_H)), PORT_KW, env.now]
            charging[me] = state
            rebalance()
            while True:
                try:
                    yield env.timeout(max(0.0, state[0]) / state[1])
                    break
                except simpy.Interrupt:
                    continue
            del charging[me]
            rebalance()
        served += 1

    def arrivals() -> object:
        while True:
            yield env.timeout(rng.expovariate(RATE_PER_H))
            env.process(car())

    env.process(arrivals())
    env.run(until=hours)
    return served


def grid_limited(world: World, share: float) -> World:
    """The world with every site behind a grid limit of `share` of its ports' ratings."""
    sites = tuple(
        replace(s, grid=GridLimit(((0.0, share * sum(p.power_kw for p in s.ports)),)))
        for s in world.sites
    )
    return replace(world, sites=sites)


def mmc_scenario(days: float) -> sc.Scenario:
    return sc.parse(
        {
            "name": "mmc",
            "simulation": {"days": days},
            "networks": [
                {
                    "id": "net",
                    "sites": [
                        {
                            "id": "site",
                            "ports": [{"power_kw": 100, "connectors": ["CCS1"], "count": PORTS}],
                        }
                    ],
                }
            ],
            "vehicles": [
                {
                    "id": "car",
                    "brand": "Any",
                    "share": 1,
                    "battery_kwh": 10_000,
                    "peak_kw": 100,
                    "connectors": ["CCS1"],
                    "curve": {"kind": "flat"},
                }
            ],
            "drivers": {"energy_kwh": {"dist": "exponential", "mean": 100 * MEAN_SERVICE_H}},
            "arrivals": {"kind": "constant", "rate_per_h": RATE_PER_H},
        }
    )


def sessions(world: World) -> int:
    return len(Simulation(world).run().sessions)


def best_of(repeats: int, fn: object) -> tuple[float, int]:
    best = float("inf")
    count = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        count = fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - t0)
    return best, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float, default=100.0, help="M/M/c days per timing")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )

    world = sc.world(mmc_scenario(args.days))
    engine_s, engine_n = best_of(args.repeats, lambda: len(Simulation(world).run().sessions))
    plain_s, plain_n = best_of(args.repeats, lambda: plain_simpy(args.days * 24, 1))
    limited = grid_limited(world, GRID_KW / (PORTS * PORT_KW))
    grid_s, grid_n = best_of(args.repeats, lambda: len(Simulation(limited).run().sessions))
    plain_grid_s, plain_grid_n = best_of(args.repeats, lambda: plain_simpy_grid(args.days * 24, 1))

    region = ROOT / "scenarios" / "interoperability.toml"
    if region.exists():
        world28 = sc.world(sc.load(region), days=28)
        for label, w in (
            ("", world28),
            (", grid-limited", grid_limited(world28, REGION_GRID_SHARE)),
        ):
            region_s, region_n = best_of(args.repeats, partial(sessions, w))
            print(
                f"shared region{label}, 28 days: {region_n} arrivals in {region_s:.2f} s "
                f"({region_n / region_s:,.0f} arrivals/s)"
            )
    print(
        f"M/M/c {args.days:g} days: engine {engine_n} sessions in {engine_s:.3f} s, "
        f"plain SimPy {plain_n} in {plain_s:.3f} s; behind {GRID_KW:g} kW: engine {grid_n} in "
        f"{grid_s:.3f} s, plain SimPy {plain_grid_n} in {plain_grid_s:.3f} s"
    )
    for label, e_n, e_s, p_n, p_s in (
        ("", engine_n, engine_s, plain_n, plain_s),
        ("grid-limited ", grid_n, grid_s, plain_grid_n, plain_grid_s),
    ):
        engine_rate, plain_rate = e_n / e_s, p_n / p_s
        print(
            f"{label}engine sessions/s={engine_rate:.0f} plain-simpy sessions/s={plain_rate:.0f} "
            f"ratio={engine_rate / plain_rate:.2f}"
        )


if __name__ == "__main__":
    main()
