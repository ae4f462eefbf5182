"""A summary document flattened to one number per (scope, group, segment, metric).

scope is one of totals, networks, sites, brands (the summary's own keys; ports are left out of
experiments); group is the network, site or brand id (`all` for totals); segment is `all`, or
`partner` / `non_partner` for the partner split that networks and totals carry. The hourly
occupancy profile becomes 24 metrics, hourly_occupancy_h00 to hourly_occupancy_h23, and the
wait-time histogram one metric per bin, wait_share_b0 (no wait) to wait_share_b8 (over an hour)
(the names are the catalogue's: simulator.reports.catalogue.hourly_metric, wait_metric).
A run with a grid limit adds scope `grid`: the numbers of summary.json's grid block per site.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simulator.reports.catalogue import Metric, hourly_metric, info, wait_metric

__all__ = [
    "GRID_SCOPE",
    "SCOPES",
    "SEGMENTS",
    "TOTAL_GROUP",
    "Key",
    "hourly_metric",
    "observations",
    "wait_metric",
]

SCOPES = ("totals", "networks", "sites", "brands")
GRID_SCOPE = "grid"
"""The sites of summary.json's grid block, for scenarios with a grid limit."""
SEGMENTS = ("all", "partner", "non_partner")
TOTAL_GROUP = "all"
_NESTED = {"partner", "non_partner"}
_TEXT = {"network"}
_HOURLY = info(Metric.HOURLY_OCCUPANCY).key
_WAITS = info(Metric.WAIT_DISTRIBUTION).key


@dataclass(frozen=True, slots=True)
class Key:
    scope: str
    group: str
    segment: str
    metric: str


def observations(summary: Mapping[str, Any]) -> dict[Key, float]:
    """Every number of a summary (as plain data) under its key, in the summary's order."""
    out: dict[Key, float] = {}
    for scope in SCOPES:
        groups = {TOTAL_GROUP: summary["totals"]} if scope == "totals" else summary[scope]
        for group, metrics in groups.items():
            _flatten(out, scope, group, "all", metrics)
            for segment in ("partner", "non_partner"):
                if metrics.get(segment) is not None:
                    _flatten(out, scope, group, segment, metrics[segment])
    grid = summary.get("grid") or {}
    for site, numbers in grid.get("sites", {}).items():  # what a grid limit did (its numbers)
        for name, value in numbers.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                out[Key(GRID_SCOPE, site, "all", name)] = float(value)
    return out


def _flatten(
    out: dict[Key, float], scope: str, group: str, segment: str, metrics: Mapping[str, Any]
) -> None:
    for name, value in metrics.items():
        if name in _NESTED or name in _TEXT or value is None:
            continue
        if name == _HOURLY:
            for hour, share in enumerate(value):
                out[Key(scope, group, segment, hourly_metric(hour))] = float(share)
        elif name == _WAITS:
            for k, share in enumerate(value):
                out[Key(scope, group, segment, wait_metric(k))] = float(share)
        else:
            out[Key(scope, group, segment, name)] = float(value)
