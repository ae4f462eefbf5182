"""A parameter sweep: the grid's points times the replications, and every metric's interval per
point. Replication k of every point runs with the same seed (common random numbers), so the
response curves move with the parameter, not with the noise.

The tidy tables (sweep.csv, sweep.parquet) have one row per point x replication x (scope,
group, segment, metric), with one column per varied key holding its value at that point.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict

from simulator.experiment.comparison import FailureDoc, Layout, estimates, failure_doc, layout
from simulator.experiment.comparison import values_by_label as _values_by_label
from simulator.experiment.grid import Point, Vary
from simulator.experiment.observations import Key
from simulator.experiment.replications import Run, Task, seed_of
from simulator.experiment.statistics import LEVEL, Interval
from simulator.experiment.tables import intervals_frame, runs_frame


@dataclass(frozen=True, slots=True)
class SweepResult:
    scenario: str
    """The base scenario's name."""
    source: str
    varies: tuple[Vary, ...]
    points: tuple[Point, ...]
    replications: int
    seeds: tuple[int, ...]
    runs: tuple[Run, ...]
    estimates: Mapping[int, Mapping[Key, Interval]]
    """point index -> key -> interval over the replications that finished"""
    level: float = LEVEL

    def numeric(self, vary: Vary) -> bool:
        """Whether a varied key's values are all numbers (plotted on a numeric axis)."""
        return all(_is_number(v) for v in vary.values)

    def column(self, vary: Vary, point: Point) -> Any:
        """The value of a varied key at a point, as the tidy tables hold it."""
        value = dict(point.settings)[vary.key]
        text = vary.texts[vary.values.index(value)]
        return float(value) if self.numeric(vary) else text


def tasks(
    points: Sequence[Point], *, replications: int, base_seed: int, days: float | None
) -> list[Task]:
    return [
        Task(p.label, k, seed_of(base_seed, k), days, p.scenario)
        for k in range(replications)
        for p in points
    ]


def summarize(
    *,
    scenario: str,
    source: str,
    varies: Sequence[Vary],
    points: Sequence[Point],
    replications: int,
    seeds: Sequence[int],
    runs: Sequence[Run],
    level: float = LEVEL,
) -> SweepResult:
    by_label = _values_by_label(runs)
    return SweepResult(
        scenario=scenario,
        source=source,
        varies=tuple(varies),
        points=tuple(points),
        replications=replications,
        seeds=tuple(seeds),
        runs=tuple(runs),
        estimates={p.index: estimates(by_label.get(p.label, {}), level) for p in points},
        level=level,
    )


def runs_table(result: SweepResult) -> pd.DataFrame:
    by_label = {p.label: p for p in result.points}

    def identify(task: Task) -> dict[str, Any]:
        point = by_label[task.label]
        return {"point": point.index} | {v.key: result.column(v, point) for v in result.varies}

    return runs_frame(result.runs, identify)


def intervals_table(result: SweepResult) -> pd.DataFrame:
    return intervals_frame(
        (
            {"point": p.index} | {v.key: result.column(v, p) for v in result.varies},
            result.estimates[p.index],
        )
        for p in result.points
    )


# --- sweep.json ---------------------------------------------------------------------------


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VaryDoc(Strict):
    key: str
    path: str
    values: list[Any]


class PointDoc(Strict):
    index: int
    label: str
    settings: dict[str, Any]


class SweepDocument(Strict):
    """sweep.json: the grid, and every metric's interval per point."""

    scenario: str
    source: str
    level: float
    replications: int
    seeds: list[int]
    """Replication k of every point ran with seeds[k] (common random numbers)."""
    vary: list[VaryDoc]
    points: list[PointDoc]
    failed: list[FailureDoc]
    estimates: dict[str, Layout]
    """point label -> the layout of summary.json with intervals for numbers"""


def document(result: SweepResult) -> SweepDocument:
    return SweepDocument(
        scenario=result.scenario,
        source=result.source,
        level=result.level,
        replications=result.replications,
        seeds=list(result.seeds),
        vary=[VaryDoc(key=v.key, path=v.path, values=list(v.values)) for v in result.varies],
        points=[
            PointDoc(index=p.index, label=p.label, settings=dict(p.settings)) for p in result.points
        ],
        failed=[failure_doc(r) for r in result.runs if not r.ok],
        estimates={p.label: layout(result.estimates[p.index]) for p in result.points},
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
