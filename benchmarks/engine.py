"""Times the fast engine against a minimal plain-SimPy M/M/c loop, in one run.

Last lines: `engine sessions/s=… plain-simpy sessions/s=… ratio=…`, unconstrained, then
`grid-limited engine sessions/s=… plain-simpy sessions/s=… ratio=…` with a binding site grid
limit (the plain-SimPy baseline then does the same work: equal shares of the limit, each car's
completion rescheduled at every start and end). Also times 28 days of the shared region
(scenarios/interoperability.toml, the richest of the partnership scenarios), without and with a
binding grid limit on every site. Ratios measured in one run are what count: these machines
are noisy.

End to end (`--region-days`, 28 by default): the shared region as `chargenet run --engine fast`
does it, in process: the engine, then the summary, summary.json, sessions.csv and report.html
(written to a temporary folder), each phase's CPU time beside the engine alone's. And the
summary's cost against the horizon (`--summary-days`, 28 and 280 by default): summary
sessions/s at each and their ratio, beside two figures that tell the work from the machine: the
summary's Python calls per record (cProfile: the same at both horizons when the work is linear)
and the rate of a bare pass over the records (reading Python objects slows once they outgrow
the caches, whatever reads them). CPU time (time.process_time), so that a loaded machine slows
every figure alike.
"""

from __future__ import annotations

import argparse
import cProfile
import platform
import pstats
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import simpy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator import runner  # noqa: E402
from simulator import scenario as sc  # noqa: E402
from simulator.model.records import PortInterval, PowerSegment, SessionRecord  # noqa: E402
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


def cpu(fn: object) -> tuple[float, object]:
    """(CPU seconds, result) of one call."""
    t0 = time.process_time()
    out = fn()  # type: ignore[operator]
    return time.process_time() - t0, out


def end_to_end(world: World, folder: Path) -> dict[str, float]:
    """CPU seconds of each phase of `chargenet run --engine fast`, in process."""
    from simulator.reports.html import write_run_report
    from simulator.reports.summary import sessions_csv, to_json

    phases: dict[str, float] = {}
    phases["engine"], records = cpu(partial(runner.run_fast, world))
    phases["summary"], summary = cpu(partial(runner.summarize_world, world, records))
    phases["json"], _ = cpu(lambda: (folder / "summary.json").write_text(to_json(summary)))
    phases["csv"], _ = cpu(lambda: (folder / "sessions.csv").write_text(sessions_csv(records)))
    phases["html"], _ = cpu(partial(write_run_report, summary, folder / "report.html"))
    return phases


def summary_rate(scenario: sc.Scenario, days: float) -> tuple[int, float, float, float, float]:
    """(sessions, CPU seconds of the summary, Python calls per record of the summary, and the
    records per CPU second of two bare passes, in the order made and port by port) of the
    region over `days`.

    The calls count the summary's work whatever the machine does (cProfile, in a run of its
    own); a bare pass reads three fields of every session, segment and interval and nothing
    else: what reading Python objects costs at this size. The summary reads port by port
    (a group is its ports' records), away from the order the records were made in, which the
    caches pay for more the more records there are."""
    world = sc.world(scenario, days=days)
    records = runner.run_fast(world)
    seconds, _ = cpu(partial(runner.summarize_world, world, records))
    profile = cProfile.Profile()
    profile.enable()
    runner.summarize_world(world, records)
    profile.disable()
    calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
    n_records = len(records.sessions) + len(records.segments) + len(records.intervals)
    in_order = (records.sessions, records.segments, records.intervals)
    by_port = tuple(_port_by_port(kind) for kind in in_order)
    made_s, _ = cpu(partial(bare_read, *in_order))
    port_s, _ = cpu(partial(bare_read, *by_port))
    return len(records.sessions), seconds, calls / n_records, n_records / made_s, n_records / port_s


def _port_by_port(records: Sequence[Any]) -> list[Any]:
    by_port: dict[str, list[Any]] = defaultdict(list)
    for r in records:
        by_port[r.port].append(r)
    return [r for group in by_port.values() for r in group]


def bare_read(
    sessions: Sequence[SessionRecord],
    segments: Sequence[PowerSegment],
    intervals: Sequence[PortInterval],
) -> float:
    """Three fields of every record, summed: a pass over the records that does nothing else."""
    total = 0.0
    for s in sessions:
        total += s.energy_kwh + s.start_s + s.depart_s
    for g in segments:
        total += g.energy_kwh + g.start_s + g.end_s
    for i in intervals:
        total += i.start_s + i.end_s
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float, default=100.0, help="M/M/c days per timing")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--region-days", type=float, default=28.0, help="end-to-end days")
    parser.add_argument(
        "--summary-days",
        default="28,280",
        help="horizons of the summary's scaling, comma-separated",
    )
    args = parser.parse_args()
    summary_days = [float(d) for d in args.summary_days.split(",")]
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
        scenario = sc.load(region)
        with tempfile.TemporaryDirectory() as folder:
            phases = end_to_end(sc.world(scenario, days=args.region_days), Path(folder))
        total = sum(phases.values())
        print(
            f"end to end, shared region {args.region_days:g} days (CPU s): "
            + ", ".join(f"{k} {v:.2f}" for k, v in phases.items())
            + f"; total {total:.2f}, engine alone {phases['engine']:.2f} "
            f"(end-to-end/engine={total / phases['engine']:.2f})"
        )
        rates, calls, made, by_port = [], [], [], []
        for days in summary_days:
            n, seconds, per_record, made_rate, port_rate = summary_rate(scenario, days)
            rates.append(n / seconds)
            calls.append(per_record)
            made.append(made_rate)
            by_port.append(port_rate)
            print(
                f"summary, {days:g} days: {n} sessions in {seconds:.2f} CPU s "
                f"({n / seconds:,.0f}/s), {per_record:.2f} Python calls a record; a bare pass "
                f"reads {made_rate:,.0f} records/s in the order made, {port_rate:,.0f} port by port"
            )
        print(
            "summary sessions/s "
            + " ".join(f"{d:g}d={r:.0f}" for d, r in zip(summary_days, rates, strict=True))
            + f" ratio={rates[-1] / rates[0]:.2f}"
            + f" calls/record ratio={calls[-1] / calls[0]:.3f}"
            + f" bare-read ratio={made[-1] / made[0]:.2f}"
            + f" by-port ratio={by_port[-1] / by_port[0]:.2f}"
        )
        world28 = sc.world(scenario, days=args.region_days)
        for label, w in (
            ("", world28),
            (", grid-limited", grid_limited(world28, REGION_GRID_SHARE)),
        ):
            region_s, region_n = best_of(args.repeats, partial(sessions, w))
            print(
                f"shared region{label}, {args.region_days:g} days: {region_n} arrivals in "
                f"{region_s:.2f} s "
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
