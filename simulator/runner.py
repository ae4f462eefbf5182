"""Run a scenario on the fast engine (the OCPP engine: simulator.ocpp.engine.run_ocpp)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from simulator import scenario as sc
from simulator.model.records import Records
from simulator.model.simulation import Simulation
from simulator.model.world import DAY_S, World
from simulator.reports.summary import Summary, port_infos, site_grids, start_of_day, summarize

Progress = Callable[[float, float], None]
"""Called with (virtual seconds done, virtual seconds in all)."""


@dataclass(frozen=True, slots=True)
class RunResult:
    world: World
    records: Records
    summary: Summary


def run_fast(world: World, progress: Progress | None = None) -> Records:
    sim = Simulation(world)
    t = 0.0
    while t < world.horizon_s:
        t = min(t + DAY_S, world.horizon_s)
        sim.env.run(until=t)
        if progress is not None:
            progress(t, world.horizon_s)
    return sim.finish()


def run(
    scenario: sc.Scenario,
    *,
    days: float | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
) -> RunResult:
    world = sc.world(scenario, days=days, seed=seed)
    records = run_fast(world, progress)
    return RunResult(world, records, summarize_world(world, records))


def summarize_world(world: World, records: Records) -> Summary:
    names = {n.id: n.name for n in world.networks}
    return summarize(
        records,
        port_infos(world),
        scenario=world.name,
        seed=world.seed,
        network_names=names,
        deals=world.deals,
        grids=site_grids(world),
        start_of_day_s=start_of_day(world),
    )
