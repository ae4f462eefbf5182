"""How the run report and the terminal show what the grid limits did: summary.json's `grid`
block (simulator.reports.grid), drawn as it is, with n/a where the records cannot tell.

The page's section and the terminal's table take the same columns, so they hold the same
numbers; `views.run_page` and `render.print_summary` each add them with one line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from rich import box
from rich.table import Table as RichTable

from simulator.reports.charts import Bars, Series
from simulator.reports.page import Cell, Section, Table
from simulator.reports.summary import Summary, to_json

__all__ = ["COLUMNS", "NA", "TERMINAL_KEYS", "grid_sections", "grid_table"]

NA = "n/a"
COLUMNS: Sequence[tuple[str, str, str]] = (
    ("peak_kw", "peak kW", "kW"),
    ("limit_at_peak_kw", "limit kW", "kW"),
    ("peak_share_of_limit_pct", "peak/limit", "%"),
    ("delivered_kwh", "delivered kWh", "kWh"),
    ("requested_kwh", "requested kWh", "kWh"),
    ("delivered_mean_kw", "mean kW", "kW"),
    ("requested_mean_kw", "requested mean kW", "kW"),
    ("below_curve_h", "below curve h", "h"),
    ("below_curve_pct", "below curve", "%"),
    ("charges_below_curve", "charges below", ""),
    ("charges_below_curve_pct", "charges below %", "%"),
)
"""(key of grid.sites.<id>, header, unit)."""
REQUESTED_KEYS = frozenset(
    {
        "requested_kwh",
        "requested_mean_kw",
        "below_curve_h",
        "below_curve_pct",
        "charges_below_curve",
        "charges_below_curve_pct",
    }
)
"""What only the model knows: n/a from a central system's store."""
TERMINAL_KEYS = (
    "peak_kw",
    "peak_share_of_limit_pct",
    "delivered_kwh",
    "requested_kwh",
    "below_curve_pct",
    "charges_below_curve",
)
"""The terminal's columns, a subset that fits 95 characters."""


def _text(site: Mapping[str, Any], key: str, unit: str) -> str:
    value = site.get(key)
    if value is None:
        return NA if key in REQUESTED_KEYS or key.startswith(("limit", "peak_share")) else ""
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "":
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def _limit(site: Mapping[str, Any]) -> str:
    if site.get("limit_kw") is not None:
        return f"{site['limit_kw']:,.0f} kW"
    schedule = site.get("schedule")
    if schedule:
        return ", ".join(f"{p['starts']} {p['kw']:,.0f} kW" for p in schedule)
    return "charging profiles"


def grid_sections(data: Mapping[str, Any]) -> tuple[Section, ...]:
    """The page's grid section, from summary.json's data (none without a `grid` block)."""
    grid = data.get("grid")
    if not grid:
        return ()
    sites: dict[str, Any] = grid["sites"]
    rows = tuple(
        (
            Cell(name),
            Cell(_limit(site)),
            Cell(site.get("policy") or ""),
            *(Cell(_text(site, key, unit), _number(site.get(key))) for key, _, unit in COLUMNS),
        )
        for name, site in sites.items()
    )
    intro = (
        "What each site's grid limit (or a charging profile) did over the window: the peak of "
        "the site's summed power against the limit at that instant, the energy delivered "
        "against what the cars' curves would have drawn in the same charging time at the "
        "ports' rating, and the charging time spent below those curves."
    )
    if grid.get("requested"):
        intro += f" Requested power: {grid['requested']}."
    charts = (
        Bars(
            "Peak power against the limit",
            tuple(sites),
            (
                Series("peak kW", tuple(float(s["peak_kw"]) for s in sites.values())),
                Series(
                    "limit kW",
                    tuple(float(s.get("limit_at_peak_kw") or 0.0) for s in sites.values()),
                ),
            ),
            "kW",
        ),
    )
    table = Table(
        "Grid limits by site",
        ("site", "limit", "policy", *(header for _, header, _ in COLUMNS)),
        rows,
        note="The numbers of summary.json's grid block; n/a: not known from these records.",
    )
    return (Section("Grid limits", intro, charts=charts, tables=(table,)),)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def grid_table(summary: Summary) -> RichTable | None:
    """The terminal's grid table (None for a summary without a `grid` block)."""
    if summary.grid is None:
        return None
    sites: dict[str, Any] = json.loads(to_json(summary))["grid"]["sites"]
    table = RichTable(title="grid limits", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("site", justify="left")
    table.add_column("limit", justify="left")
    columns = [c for c in COLUMNS if c[0] in TERMINAL_KEYS]
    for _, header, _ in columns:
        table.add_column(header, justify="right")
    for name, site in sites.items():
        table.add_row(name, _limit(site), *(_text(site, key, unit) for key, _, unit in columns))
    return table
