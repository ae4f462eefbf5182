"""Times the fast engine against a minimal plain-SimPy M/M/c loop, in one run.

Last line: `engine sessions/s=… plain-simpy sessions/s=… ratio=…`. Also times 28 days of the
shared region (scenarios/interoperability.toml, the richest of the partnership scenarios).
Ratios measured in one run are what count: these machines are noisy.
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import time
from pathlib import Path

import simpy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator import scenario as sc  # noqa: E402
from simulator.model.simulation import Simulation  # noqa: E402

RATE_PER_H = 6.0
MEAN_SERVICE_H = 0.5
PORTS = 4


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

    region = ROOT / "scenarios" / "interoperability.toml"
    if region.exists():
        world28 = sc.world(sc.load(region), days=28)
        region_s, region_n = best_of(args.repeats, lambda: len(Simulation(world28).run().sessions))
        print(
            f"shared region, 28 days: {region_n} arrivals in {region_s:.2f} s "
            f"({region_n / region_s:,.0f} arrivals/s)"
        )
    engine_rate = engine_n / engine_s
    plain_rate = plain_n / plain_s
    print(
        f"M/M/c {args.days:g} days: engine {engine_n} sessions in {engine_s:.3f} s, "
        f"plain SimPy {plain_n} in {plain_s:.3f} s"
    )
    print(
        f"engine sessions/s={engine_rate:.0f} plain-simpy sessions/s={plain_rate:.0f} "
        f"ratio={engine_rate / plain_rate:.2f}"
    )


if __name__ == "__main__":
    main()
