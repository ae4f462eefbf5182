"""Comparing scenarios: every metric's interval per scenario, and paired differences against the
first scenario (the baseline), from the runs of an experiment.

Pure functions of the runs: no I/O here. `document` turns a comparison into compare.json's
schema, whose estimates and differences mirror summary.json's layout (totals, networks, sites,
brands; partner and non_partner under networks and totals), each number replaced by its
interval.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from simulator.experiment.observations import Key, observations
from simulator.experiment.replications import Run
from simulator.experiment.statistics import LEVEL, Interval, interval, paired_difference

Values = dict[Key, dict[int, float]]
"""metric key -> replication -> value"""


@dataclass(frozen=True, slots=True)
class Comparison:
    labels: tuple[str, ...]
    """Scenario labels in the order given; the first is the baseline."""
    estimates: Mapping[str, Mapping[Key, Interval]]
    differences: Mapping[str, Mapping[Key, Interval]]
    """label -> key -> interval of (label - baseline), paired by replication; not for the
    baseline itself."""
    level: float = LEVEL
    network_names: Mapping[str, str] = field(default_factory=dict)
    """Each network's display name by id, from the runs' summaries (for the tables' rows)."""

    @property
    def baseline(self) -> str:
        return self.labels[0]


def values_by_label(runs: Sequence[Run]) -> dict[str, Values]:
    """label -> key -> replication -> value, over the runs that succeeded."""
    out: dict[str, Values] = defaultdict(lambda: defaultdict(dict))
    for run in runs:
        if run.summary is None:
            continue
        data = run.summary.model_dump(exclude_none=True)
        for key, value in observations(data).items():
            out[run.task.label][key][run.task.replication] = value
    return out


def estimates(values: Values, level: float = LEVEL) -> dict[Key, Interval]:
    return {key: interval([v[k] for k in sorted(v)], level) for key, v in values.items()}


def compare(labels: Sequence[str], runs: Sequence[Run], level: float = LEVEL) -> Comparison:
    by_label = values_by_label(runs)
    base = by_label.get(labels[0], {})
    return Comparison(
        labels=tuple(labels),
        estimates={label: estimates(by_label.get(label, {}), level) for label in labels},
        differences={
            label: {
                key: paired_difference(v, base[key], level)
                for key, v in by_label.get(label, {}).items()
                if key in base
            }
            for label in labels[1:]
        },
        level=level,
        network_names={
            n: name
            for run in runs
            if run.summary is not None
            for n, name in (run.summary.network_names or {}).items()
        },
    )


# --- compare.json -------------------------------------------------------------------------


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IntervalDoc(Strict):
    """A mean over n replications and its confidence interval (null when n < 2)."""

    n: int
    mean: float | None
    sd: float | None
    half_width: float | None
    low: float | None
    high: float | None


Group = dict[str, IntervalDoc | dict[str, IntervalDoc]]
"""metric -> interval, and partner / non_partner -> metric -> interval"""
Layout = dict[str, dict[str, Group]]
"""scope (totals, networks, sites, brands) -> group id -> Group; totals has the group 'all'"""


class ScenarioDoc(Strict):
    label: str
    name: str
    source: str
    days: float
    """Simulated days, warm-up included."""
    warmup_days: float


class FailureDoc(Strict):
    scenario: str
    replication: int
    seed: int
    error: str


class CompareDocument(Strict):
    """compare.json: estimates per scenario and paired differences against the baseline."""

    baseline: str
    level: float
    replications: int
    seeds: list[int]
    """Replication k of every scenario ran with seeds[k] (common random numbers)."""
    scenarios: list[ScenarioDoc]
    failed: list[FailureDoc]
    estimates: dict[str, Layout]
    """scenario label -> the layout of summary.json with intervals for numbers"""
    differences: dict[str, Layout]
    """scenario label -> intervals of (scenario - baseline), paired by replication"""


def interval_doc(i: Interval) -> IntervalDoc:
    return IntervalDoc(
        n=i.n,
        mean=_num(i.mean),
        sd=_num(i.sd),
        half_width=_num(i.half_width),
        low=_num(i.low),
        high=_num(i.high),
    )


def layout(intervals: Mapping[Key, Interval]) -> Layout:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for key, i in intervals.items():
        group = out.setdefault(key.scope, {}).setdefault(key.group, {})
        target = group if key.segment == "all" else group.setdefault(key.segment, {})
        target[key.metric] = interval_doc(i)
    return out


def document(
    comparison: Comparison,
    *,
    scenarios: Sequence[ScenarioDoc],
    replications: int,
    seeds: Sequence[int],
    runs: Sequence[Run],
) -> CompareDocument:
    return CompareDocument(
        baseline=comparison.baseline,
        level=comparison.level,
        replications=replications,
        seeds=list(seeds),
        scenarios=list(scenarios),
        failed=[failure_doc(r) for r in runs if not r.ok],
        estimates={label: layout(v) for label, v in comparison.estimates.items()},
        differences={label: layout(v) for label, v in comparison.differences.items()},
    )


def failure_doc(run: Run) -> FailureDoc:
    return FailureDoc(
        scenario=run.task.label,
        replication=run.task.replication,
        seed=run.task.seed,
        error=run.error or "",
    )


def _num(x: float) -> float | None:
    return None if math.isnan(x) else float(f"{x:.10g}")
