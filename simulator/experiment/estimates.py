"""Terminal tables of an experiment's estimates: they draw intervals and compute nothing.

compare: one table per scope (all networks, each network, each brand), a column per scenario;
every cell is mean ± half-width, and under it, for the scenarios after the first, the paired
difference from the first with its interval (bold where the interval excludes zero).
sweep: a row per grid point, a column per headline metric.
Moved here from simulator.reports (which never imports simulator.experiment).
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Console
from rich.table import Table
from rich.text import Text

from simulator.experiment.cells import difference_cell, interval_cell
from simulator.experiment.comparison import Comparison
from simulator.experiment.observations import TOTAL_GROUP, Key
from simulator.experiment.sweep import SweepResult
from simulator.reports.catalogue import BRAND_HEADLINE, HEADLINE, NETWORK_HEADLINE, Metric, info

__all__ = [
    "SWEEP_COLUMNS",
    "comparison_tables",
    "print_comparison",
    "print_sweep",
    "sweep_table",
]

SWEEP_COLUMNS = (
    Metric.OCCUPANCY_UTILIZATION,
    Metric.P_WAIT,
    Metric.MEAN_WAIT_MIN,
    Metric.TURNED_AWAY_SHARE,
    Metric.GAVE_UP_SHARE,
    Metric.REVENUE,
)
"""The headline metrics of the sweep's terminal table (the HTML shows them all)."""


def comparison_tables(comparison: Comparison) -> list[Table]:
    level = f"{comparison.level:.0%}"
    scopes: list[tuple[str, list[Key]]] = [
        ("all networks", [_key("totals", TOTAL_GROUP, m) for m in HEADLINE])
    ]
    base = comparison.estimates.get(comparison.baseline, {})
    networks = list(dict.fromkeys(k.group for k in base if k.scope == "networks"))
    brands = list(dict.fromkeys(k.group for k in base if k.scope == "brands"))
    scopes.append(
        ("by network", [_key("networks", n, m) for n in networks for m in NETWORK_HEADLINE])
    )
    scopes.append(("by brand", [_key("brands", b, m) for b in brands for m in BRAND_HEADLINE]))
    tables = []
    for title, keys in scopes:
        if not keys:
            continue
        table = Table(
            title=Text(
                f"{title}: mean ± {level} half-width"
                + (f"; Δ vs {comparison.baseline} [interval]" if len(comparison.labels) > 1 else "")
            ),
            title_justify="left",
        )
        table.add_column("metric")
        for label in comparison.labels:
            table.add_column(Text(label), justify="right")
        for key in keys:
            cells: list[Text] = [Text(_row(key, comparison.network_names))]
            for n, label in enumerate(comparison.labels):
                text = Text(interval_cell(comparison.estimates[label].get(key), key.metric).text)
                if n > 0:
                    diff = difference_cell(comparison.differences[label].get(key), key.metric)
                    if diff.text:
                        text.append(f"\nΔ {diff.text}", style="bold" if diff.strong else "dim")
                cells.append(text)
            table.add_row(*cells)
        tables.append(table)
    return tables


def sweep_table(result: SweepResult) -> Table:
    level = f"{result.level:.0%}"
    table = Table(
        title=Text(f"{result.scenario}: all networks, mean ± {level} half-width"),
        title_justify="left",
    )
    longest_word = max((len(w) for p in result.points for w in p.label.split()), default=5)
    table.add_column("point", min_width=min(longest_word, 40), overflow="fold")
    metrics = SWEEP_COLUMNS
    for m in metrics:
        table.add_column(Text(info(m).axis), justify="right")
    for p in result.points:
        est = result.estimates[p.index]
        table.add_row(
            Text(p.label),
            *(
                Text(interval_cell(est.get(_key("totals", TOTAL_GROUP, m)), m).text)
                for m in metrics
            ),
        )
    return table


def _key(scope: str, group: str, metric: Metric) -> Key:
    return Key(scope, group, "all", info(metric).key)


def _row(key: Key, names: Mapping[str, str]) -> str:
    where = "" if key.scope == "totals" else f"{names.get(key.group, key.group)}: "
    return f"{where}{info(key.metric).axis}"


def print_comparison(comparison: Comparison, console: Console) -> None:
    for table in comparison_tables(comparison):
        console.print(table)


def print_sweep(result: SweepResult, console: Console) -> None:
    console.print(sweep_table(result))
