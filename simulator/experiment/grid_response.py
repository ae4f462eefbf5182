"""A sweep over a site's grid limit (`--vary sites.ID.grid_limit_kw=250,500,1000`): the response
curves of the networks whose sites have a limit, against the first varied key: P(wait), mean
wait, turned-away share, occupancy and energy delivered, and the charging time spent below
the cars' curves at each limited site (summary.json's grid block, scope `grid` in the
observations). `sweep_report.sweep_page` adds the section with one line; nothing when no site of
any point has a grid limit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from simulator.experiment.observations import GRID_SCOPE, Key
from simulator.experiment.statistics import Interval
from simulator.experiment.sweep import SweepResult
from simulator.reports.catalogue import Metric, info
from simulator.reports.charts import Chart, Lines, Series
from simulator.reports.page import Cell, Section, Table

__all__ = ["BELOW_CURVE", "RESPONSE", "grid_sections", "limited_networks"]

RESPONSE: tuple[Metric, ...] = (
    Metric.P_WAIT,
    Metric.MEAN_WAIT_MIN,
    Metric.TURNED_AWAY_SHARE,
    Metric.OCCUPANCY_UTILIZATION,
    Metric.DISPENSED_KWH,
)
"""What drivers and ports felt of the limit, per network holding a limited site."""
BELOW_CURVE = "below_curve_pct"
MAX_SITE_LINES = 12


def limited_networks(result: SweepResult) -> list[str]:
    """The networks with a site that has a grid limit at some point of the sweep."""
    out: dict[str, None] = {}
    for point in result.points:
        for network in point.scenario.get("networks", ()):
            for site in network.get("sites", ()):
                if site.get("grid_limit_kw") is not None or site.get("grid_limit_schedule"):
                    out.setdefault(str(network["id"]), None)
    return list(out)


def grid_sections(result: SweepResult) -> tuple[Section, ...]:
    networks = limited_networks(result)
    if not networks:
        return ()
    first, others = result.varies[0], result.varies[1:]
    xs: tuple[float, ...] | tuple[str, ...] = (
        tuple(float(v) for v in first.values) if result.numeric(first) else first.texts
    )
    lines: dict[tuple[Any, ...], list[int]] = {}
    for p in result.points:
        lines.setdefault(tuple(dict(p.settings)[v.key] for v in others), []).append(p.index)

    def name(rest: tuple[Any, ...], prefix: str) -> str:
        if not others:
            return prefix
        keys = " ".join(
            f"{v.key}={v.texts[v.values.index(x)]}" for v, x in zip(others, rest, strict=True)
        )
        return f"{prefix} {keys}"

    def series(prefix: str, key: Key) -> list[Series]:
        return [
            _series(name(rest, prefix), [result.estimates[i].get(key) for i in idx])
            for rest, idx in lines.items()
        ]

    charts: list[Chart] = []
    for m in RESPONSE:
        entry = info(m)
        charts.append(
            Lines(
                f"{entry.label} against {first.key}",
                xs,
                first.key,
                tuple(s for n in networks for s in series(n, _key("networks", n, entry.key))),
                entry.axis,
                share=entry.share,
            )
        )
    sites = _grid_sites(result)[:MAX_SITE_LINES]
    if sites:
        charts.append(
            Lines(
                f"Charging time below the cars' curves against {first.key}",
                xs,
                first.key,
                tuple(
                    s
                    for site in sites
                    for s in series(site, Key(GRID_SCOPE, site, "all", BELOW_CURVE))
                ),
                "below the curve (% of charging time)",
            )
        )
    level = f"{result.level:.0%}"
    columns = [(n, m) for n in networks for m in RESPONSE]
    rows = tuple(
        (
            Cell(p.label),
            *(
                _cell(result.estimates[p.index].get(_key("networks", n, info(m).key)), m)
                for n, m in columns
            ),
            _below_cell(
                [
                    result.estimates[p.index].get(Key(GRID_SCOPE, s, "all", BELOW_CURVE))
                    for s in _grid_sites(result)
                ]
            ),
        )
        for p in result.points
    )
    table = Table(
        "The limited networks at each point (mean ± half-width)",
        (
            "point",
            *(f"{n}: {info(m).axis}" for n, m in columns),
            "below curve (% of charging time, mean of sites)",
        ),
        rows,
        note="Every site's grid numbers are in sweep.json and sweep.csv (scope grid).",
    )
    intro = (
        f"The networks whose sites have a grid limit ({', '.join(networks)}): each point is the "
        f"mean over the replications with its {level} interval, replication k of every point "
        "with the same seed, so the curves move with the limit, not with the noise."
    )
    return (Section("Grid limit response", intro, charts=tuple(charts), tables=(table,)),)


def _grid_sites(result: SweepResult) -> list[str]:
    seen: dict[str, None] = {}
    for est in result.estimates.values():
        for k in est:
            if k.scope == GRID_SCOPE:
                seen.setdefault(k.group, None)
    return list(seen)


def _key(scope: str, group: str, metric: str) -> Key:
    return Key(scope, group, "all", metric)


def _series(name: str, intervals: Sequence[Interval | None]) -> Series:
    return Series(
        name,
        tuple(math.nan if i is None else i.mean for i in intervals),
        tuple(math.nan if i is None else i.half_width for i in intervals),
    )


def _cell(i: Interval | None, metric: Metric) -> Cell:
    if i is None or i.n == 0:
        return Cell("")
    m = info(metric)
    if math.isnan(i.half_width):
        return Cell(m.text(i.mean), i.mean)
    half = f"{100 * i.half_width:.{m.digits}f}" if m.share else f"{i.half_width:,.{m.digits}f}"
    return Cell(f"{m.text(i.mean)} ± {half}", i.mean)


def _below_cell(intervals: Sequence[Interval | None]) -> Cell:
    means = [i.mean for i in intervals if i is not None and i.n > 0]
    if not means:
        return Cell("")
    mean = sum(means) / len(means)
    return Cell(f"{mean:.1f}%", mean)
