"""Tables for the terminal: they draw the summary and compute nothing.

The columns are catalogue metrics (`simulator.reports.catalogue`) under short headers; shares
in %, money in whole dollars, counts as they are. Both tables need about 95 columns: on an
80-column terminal rich leaves the last column out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from simulator.reports.catalogue import Metric, MetricInfo, info
from simulator.reports.summary import Metrics, Summary

__all__ = [
    "BRAND_COLUMNS",
    "NETWORK_COLUMNS",
    "brands_table",
    "cell",
    "networks_table",
    "print_summary",
]

NETWORK_COLUMNS: Sequence[tuple[Metric, str]] = (
    (Metric.PORTS, "ports"),
    (Metric.OCCUPANCY_UTILIZATION, "occupied"),
    (Metric.SESSIONS_PER_PORT_PER_DAY, "sess/port/d"),
    (Metric.P_WAIT, "P(wait)"),
    (Metric.MEAN_WAIT_MIN, "wait min"),
    (Metric.TURNED_AWAY_SHARE, "away"),
    (Metric.GAVE_UP_SHARE, "gave up"),
    (Metric.REVENUE, "revenue $"),
)
"""One row per network and one for all: (metric, column header)."""

BRAND_COLUMNS: Sequence[tuple[Metric, str]] = (
    (Metric.ARRIVALS, "arrivals"),
    (Metric.SERVED, "served"),
    (Metric.TURNED_AWAY_SHARE, "away"),
    (Metric.GAVE_UP_SHARE, "gave up"),
    (Metric.MEAN_WAIT_MIN, "wait min"),
    (Metric.MEAN_ENERGY_PER_SESSION_KWH, "kWh/sess"),
    (Metric.DRIVER_SPEND, "spend $"),
    (Metric.PERKS_GIVEN, "perks $"),
)


def cell(entry: MetricInfo, value: Any) -> str:
    """A number of summary.json as a terminal column shows it (shorter than the HTML's)."""
    if value is None:
        return ""
    if entry.share:
        return f"{100 * value:.1f}%"
    if entry.unit == "" and entry.digits == 0:  # a count
        return str(value)
    return f"{value:,.{0 if entry.unit == '$' else 1}f}"


def _table(
    title: str,
    first: str,
    columns: Sequence[tuple[Metric, str]],
    rows: Sequence[tuple[str, Metrics]],
) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column(first, justify="left", min_width=len(first))
    for _, header in columns:
        table.add_column(header, justify="right", min_width=len(header))
    entries = [info(metric) for metric, _ in columns]
    for name, group in rows:
        table.add_row(name, *(cell(e, getattr(group, e.key)) for e in entries))
    return table


def networks_table(summary: Summary) -> Table:
    """One row per network and one for all."""
    rows: list[tuple[str, Metrics]] = [*summary.networks.items(), ("all", summary.totals)]
    title = f"{summary.scenario}: {summary.days:g} days, seed {summary.seed}"
    return _table(title, "network", NETWORK_COLUMNS, rows)


def brands_table(summary: Summary) -> Table:
    return _table("by brand", "brand", BRAND_COLUMNS, list(summary.brands.items()))


def print_summary(summary: Summary, console: Console) -> None:
    console.print(networks_table(summary))
    console.print(brands_table(summary))
