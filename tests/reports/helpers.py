"""Small real inputs for the report tests: a short run of a shipped scenario, and a comparison
and a sweep computed in this process (the Dask path is tested in tests/experiment)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from simulator import runner
from simulator import scenario as sc
from simulator.experiment import comparison as cmp
from simulator.experiment import sweep as sw
from simulator.experiment.grid import grid, parse_vary
from simulator.experiment.replications import Run, plan, scenario_data, simulate, summary_of

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
DAYS = 1.5


@cache
def region_run(name: str = "nissan_evgo.toml") -> runner.RunResult:
    return runner.run(sc.load(SCENARIOS / name), days=DAYS)


def _runs(tasks: list) -> list[Run]:
    return [Run(t, summary_of(simulate(t.scenario, t.days, t.seed))) for t in tasks]


@cache
def comparison() -> tuple[cmp.Comparison, list[cmp.ScenarioDoc], list[Run]]:
    names = ["walled_gardens.toml", "nissan_evgo.toml", "vw_ea_free.toml"]
    scenarios = [sc.load(SCENARIOS / n) for n in names]
    labels = [s.name for s in scenarios]
    tasks = plan(
        [(lb, scenario_data(s)) for lb, s in zip(labels, scenarios, strict=True)],
        replications=2,
        base_seed=1,
        days=DAYS,
    )
    runs = _runs(tasks)
    docs = [
        cmp.ScenarioDoc(label=lb, name=lb, source=n, days=DAYS, warmup_days=1.0)
        for lb, n in zip(labels, names, strict=True)
    ]
    return cmp.compare(labels, runs), docs, runs


@cache
def sweep() -> sw.SweepResult:
    base = sc.load(SCENARIOS / "nacs_opening.toml")
    varies = [parse_vary("demand=0.8,1.2"), parse_vary("non_member_price[tesla]=0.48,0.64")]
    points = grid(base, varies)
    runs = _runs(sw.tasks(points, replications=2, base_seed=1, days=DAYS))
    return sw.summarize(
        scenario=base.name,
        source="scenarios/nacs_opening.toml",
        varies=varies,
        points=points,
        replications=2,
        seeds=[1, 2],
        runs=runs,
    )
