"""The run report's views over time: day by day, occupancy and cars waiting per network, from
summary.json's `day_by_day` (computed by simulator.reports.over_time). Nothing is drawn here."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from simulator.reports.charts import Lines, Series
from simulator.reports.page import Cell, Section, Table

__all__ = ["over_time_sections"]

ALL = "all"
WAITING = "cars waiting"
NA = "n/a"
COLUMNS = (
    ("occupancy", lambda v: f"{100 * v:.1f} %"),
    ("mean_waiting", lambda v: f"{v:.3f}"),
    ("max_waiting", lambda v: f"{v:.0f}"),
)
"""summary.json's day_by_day keys and how a table shows them."""


def over_time_sections(
    data: Mapping[str, Any], network_label: Mapping[str, str]
) -> tuple[Section, ...]:
    """Day by day: occupancy and cars waiting per network (summary.json's day_by_day)."""
    days = data.get("day_by_day")
    if not days or not days["days"]:
        return ()
    groups = {
        **{network_label.get(n, n): g for n, g in days["networks"].items()},
        ALL: days["totals"],
    }
    x = tuple(float(d) for d in days["days"])

    def lines(title: str, key: str, axis: str, share: bool = False) -> Lines:
        return Lines(
            title,
            x,
            "day of the measurement window",
            tuple(Series(name, _values(g[key], len(x))) for name, g in groups.items()),
            axis,
            share=share,
        )

    if len(x) < 2:  # one day: a line of one point each; its numbers in a table instead
        rows = tuple(
            (
                Cell(name),
                *(
                    Cell(NA) if g[key] is None else Cell(text(g[key][0]), float(g[key][0]))
                    for key, text in COLUMNS
                ),
            )
            for name, g in groups.items()
        )
        return (
            Section(
                "Over time",
                "The measurement window is a single day (or less): nothing to draw over time.",
                tables=(Table("The day", ("", *(k for k, _ in COLUMNS)), rows),),
            ),
        )
    return (
        Section(
            "Over time",
            "Day by day over the measurement window: the share of port time occupied, the "
            "cars waiting at the network's sites on average over the day, and the most at once.",
            charts=(
                lines(
                    "Daily occupancy by network", "occupancy", "occupancy (% of port time)", True
                ),
                lines(
                    "Cars waiting by network, mean over each day", "mean_waiting", "cars waiting"
                ),
                lines(
                    "Most cars waiting at once by network, each day", "max_waiting", "cars waiting"
                ),
            ),
        ),
    )


def _values(values: list[float] | None, days: int) -> tuple[float, ...]:
    """A day-by-day series; null (its source cannot tell it) is NaN, left out of the page."""
    return (math.nan,) * days if values is None else tuple(float(v) for v in values)
