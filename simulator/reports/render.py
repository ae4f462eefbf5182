"""Tables for the terminal: they draw the summary and compute nothing.

The columns are catalogue metrics (`simulator.reports.catalogue`) under short headers; shares
in %, money in whole dollars, counts as they are. Both tables need about 95 columns: on an
80-column terminal rich leaves the last column out.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from simulator.reports.catalogue import Metric, MetricInfo, info
from simulator.reports.document import ChargeXMetrics, Metrics, Summary, UseSpecMetrics
from simulator.reports.grid_view import grid_table
from simulator.reports.method import RunMethod, method_lines

__all__ = [
    "BRAND_COLUMNS",
    "NETWORK_COLUMNS",
    "USE_SPEC_COLUMNS",
    "brands_table",
    "cell",
    "method_table",
    "networks_table",
    "print_summary",
    "vocabulary_table",
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


NA = "n/a"
"""What a table shows for a metric its source cannot tell (not 0: it was not measured)."""


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
    unseen: Collection[str] = (),
) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column(first, justify="left", min_width=len(first))
    for _, header in columns:
        table.add_column(header, justify="right", min_width=len(header))
    entries = [info(metric) for metric, _ in columns]
    for name, group in rows:
        table.add_row(
            name,
            *(NA if e.key in unseen else cell(e, getattr(group, e.key)) for e in entries),
        )
    return table


def networks_table(summary: Summary, unseen: Collection[str] = ()) -> Table:
    """One row per network and one for all; `unseen` metrics (keys) read n/a."""
    rows: list[tuple[str, Metrics]] = [*summary.networks.items(), ("all", summary.totals)]
    title = f"{summary.scenario}: {summary.days:g} days, seed {summary.seed}"
    return _table(title, "network", NETWORK_COLUMNS, rows, unseen)


def brands_table(summary: Summary, unseen: Collection[str] = ()) -> Table:
    return _table("by brand", "brand", BRAND_COLUMNS, list(summary.brands.items()), unseen)


USE_SPEC_COLUMNS: Sequence[tuple[str, str]] = (
    ("occupied_utilization_rate_pct", "occupied UR"),
    ("station_utilization_rate_pct", "station UR"),
    ("idle_utilization_rate_pct", "idle UR"),
    ("capacity_factor_pct", "capacity f."),
    ("site_congestion_rate_pct", "congestion"),
)
"""The EV Charging Use Specification's rates (UR: utilization rate), in %."""
CHARGEX_COLUMNS: Sequence[tuple[str, str]] = (
    ("first_attempt_success_rate_pct", "1st-try ok"),
    ("visits_without_charge_pct", "no charge"),
)
"""ChargeX's first-attempt success rate and the share of visits without a charge, in %."""


def vocabulary_table(summary: Summary) -> Table | None:
    """One row per network and one for all: the EV Charging Use Specification's utilization
    measures and ChargeX's KPIs under the industry's names (None for a summary without)."""
    spec, kpis = summary.ev_charging_use_spec, summary.chargex
    if spec is None or kpis is None:
        return None
    table = Table(
        title="EV Charging Use Specification and ChargeX (%)", box=box.SIMPLE_HEAD, pad_edge=False
    )
    table.add_column("network", justify="left")
    for _, header in (*USE_SPEC_COLUMNS, *CHARGEX_COLUMNS):
        table.add_column(header, justify="right", min_width=len(header))
    rows: list[tuple[str, UseSpecMetrics, ChargeXMetrics]] = [
        (n, spec.networks[n], kpis.networks[n]) for n in spec.networks if n in kpis.networks
    ]
    rows.append(("all", spec.totals, kpis.totals))
    for name, u, c in rows:
        table.add_row(
            name,
            *(_pct(getattr(u, key)) for key, _ in USE_SPEC_COLUMNS),
            *(_pct(getattr(c, key)) for key, _ in CHARGEX_COLUMNS),
        )
    return table


def method_table(summary: Summary, run: RunMethod | None = None) -> Table | None:
    lines = method_lines(summary.method, run)
    if not lines:
        return None
    table = Table(title="method", box=box.SIMPLE_HEAD, pad_edge=False, show_header=False)
    table.add_column("", justify="left", no_wrap=True)
    table.add_column("", justify="left")
    for label, text in lines:
        table.add_row(label, text)
    return table


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}%"


def print_summary(
    summary: Summary,
    console: Console,
    run: RunMethod | None = None,
    unseen: Collection[str] = (),
) -> None:
    """`unseen`: the metrics the numbers' source cannot tell (a central system's store), n/a."""
    console.print(networks_table(summary, unseen))
    console.print(brands_table(summary, unseen))
    for table in (vocabulary_table(summary), grid_table(summary), method_table(summary, run)):
        if table is not None:
            console.print(table)
