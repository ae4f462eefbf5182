"""Tables for the terminal: they draw the summary and compute nothing."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from simulator.reports.summary import Metrics, Summary


def _pct(x: float | None) -> str:
    return "" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None, digits: int = 1) -> str:
    return "" if x is None else f"{x:,.{digits}f}"


def networks_table(summary: Summary) -> Table:
    """One row per network and one for all: fits an 80-column terminal."""
    table = Table(
        title=f"{summary.scenario}: {summary.days:g} days, seed {summary.seed}",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    headers = (
        ("network", "left"),
        ("ports", "right"),
        ("occupied", "right"),
        ("sess/port/d", "right"),
        ("P(wait)", "right"),
        ("wait min", "right"),
        ("away", "right"),
        ("gave up", "right"),
        ("revenue $", "right"),
    )
    for name, justify in headers:
        table.add_column(name, justify=justify, min_width=len(name))  # type: ignore[arg-type]
    rows: list[tuple[str, Metrics]] = list(summary.networks.items())
    rows.append(("all", summary.totals))
    for name, g in rows:
        table.add_row(
            name,
            str(g.ports),
            _pct(g.occupancy_utilization),
            _num(g.sessions_per_port_per_day),
            _pct(g.p_wait),
            _num(g.mean_wait_min),
            _pct(g.turned_away_share),
            _pct(g.gave_up_share),
            _num(g.revenue, 0),
        )
    return table


def brands_table(summary: Summary) -> Table:
    table = Table(title="by brand", box=box.SIMPLE_HEAD, pad_edge=False)
    headers = (
        ("brand", "left"),
        ("arrivals", "right"),
        ("served", "right"),
        ("away", "right"),
        ("gave up", "right"),
        ("wait min", "right"),
        ("kWh/sess", "right"),
        ("spend $", "right"),
        ("perks $", "right"),
    )
    for name, justify in headers:
        table.add_column(name, justify=justify, min_width=len(name))  # type: ignore[arg-type]
    for name, g in summary.brands.items():
        table.add_row(
            name,
            str(g.arrivals),
            str(g.served),
            _pct(g.turned_away_share),
            _pct(g.gave_up_share),
            _num(g.mean_wait_min),
            _num(g.mean_energy_per_session_kwh),
            _num(g.driver_spend, 0),
            _num(g.perks_given, 0),
        )
    return table


def print_summary(summary: Summary, console: Console) -> None:
    console.print(networks_table(summary))
    console.print(brands_table(summary))
