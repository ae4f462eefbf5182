"""Tidy tables of an experiment (pandas): one row per observation, for CSV and Parquet.

- runs: one row per run x (scope, group, segment, metric), the value that run measured,
  with the columns that identify the run (scenario or sweep settings, replication, seed);
- intervals: one row per (what was estimated) x (scope, group, segment, metric), with n, mean,
  sd, half_width, low and high (empty where fewer than two replications finished).
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from simulator.experiment.observations import Key, observations
from simulator.experiment.replications import Run, Task
from simulator.experiment.statistics import Interval

KEY_COLUMNS = ("scope", "group", "segment", "metric")
INTERVAL_COLUMNS = ("n", "mean", "sd", "half_width", "low", "high")


def runs_frame(runs: Sequence[Run], identify: Callable[[Task], Mapping[str, Any]]) -> pd.DataFrame:
    columns: dict[str, list[Any]] = {}
    names: list[str] = []
    for run in runs:
        if run.summary is None:
            continue
        ident = {**identify(run.task), "replication": run.task.replication, "seed": run.task.seed}
        obs = observations(run.summary.model_dump(exclude_none=True))
        if not names:
            names = [*ident, *KEY_COLUMNS, "value"]
            columns = {name: [] for name in names}
        for key, value in obs.items():
            for name, v in ident.items():
                columns[name].append(v)
            columns["scope"].append(key.scope)
            columns["group"].append(key.group)
            columns["segment"].append(key.segment)
            columns["metric"].append(key.metric)
            columns["value"].append(value)
    return pd.DataFrame(columns)


def intervals_frame(
    entries: Iterable[tuple[Mapping[str, Any], Mapping[Key, Interval]]],
) -> pd.DataFrame:
    """One row per interval; each entry is (identifying columns, key -> interval)."""
    rows: list[dict[str, Any]] = []
    for ident, intervals in entries:
        for key, i in intervals.items():
            rows.append(
                {
                    **ident,
                    "scope": key.scope,
                    "group": key.group,
                    "segment": key.segment,
                    "metric": key.metric,
                    "n": i.n,
                    "mean": _num(i.mean),
                    "sd": _num(i.sd),
                    "half_width": _num(i.half_width),
                    "low": _num(i.low),
                    "high": _num(i.high),
                }
            )
    return pd.DataFrame(rows)


def csv_text(frame: pd.DataFrame) -> str:
    out = io.StringIO()
    frame.to_csv(out, index=False, lineterminator="\n", float_format="%.10g")
    return out.getvalue()


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    out = io.BytesIO()
    frame.to_parquet(out, index=False)
    return out.getvalue()


def _num(x: float) -> float | None:
    return None if math.isnan(x) else x
