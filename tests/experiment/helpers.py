"""Scenarios for the experiment tests: the shipped Erlang C case and the shared region; and a
comparison and a sweep computed in this process, for the pages and terminal tables (the Dask
path is tested by the command tests)."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from simulator import scenario as sc
from simulator.experiment import comparison as cmp
from simulator.experiment import sweep as sw
from simulator.experiment.grid import grid, parse_vary
from simulator.experiment.replications import Run, plan, scenario_data, simulate, summary_of

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
ERLANG_C = SCENARIOS / "validation" / "erlang_c.toml"
ERLANG_C_UTILIZATION = 0.75
ERLANG_C_P_WAIT = 0.5094
FAILING_NAME = "fails on seed {seed}"
"""A scenario of this name fails on the test cluster's workers when run with that seed
(tests/experiment/faults.py)."""


def data(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def write_toml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def renamed(source: Path, name: str, folder: Path) -> Path:
    """A copy of a scenario file under another name (the first `name = ...` line)."""
    lines = source.read_text(encoding="utf-8").splitlines()
    out = [f"name = {name!r}" if line.startswith("name = ") else line for line in lines]
    target = folder / f"{name.replace(' ', '_')}.toml"
    target.write_text("\n".join(out) + "\n", encoding="utf-8")
    return target


DAYS = 1.5


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
