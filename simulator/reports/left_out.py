"""Charts that would show nothing are left out of a report, with a one-line note in their place.

A chart shows nothing when it has no number (every value NaN: a metric its source cannot tell),
or one number everywhere with no interval around it (all zeros: nobody waited). In a chart of
several series, a series that is all zeros or NaN while others vary is dropped from it and
named in a note ("perks given: 0 everywhere"). Pure functions of the chart descriptions.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence

from simulator.reports.charts import Bars, Chart, Forest, Lines, Series, Timeline

__all__ = ["trimmed"]

_UNIT = re.compile(r"\(([^()]*)\)\s*$")


def trimmed(chart: Chart) -> tuple[Chart | None, str]:
    """The chart to draw (None: leave it out) and the note to print in its place or beside it
    ("" when nothing is left out)."""
    if isinstance(chart, Forest):
        flat = _flat(chart.means, chart.half_widths)
        if flat is None:
            return chart, ""
        scale = 100.0 if chart.share else 1.0
        value = "no data" if math.isnan(flat) else f"every difference {scale * flat:g}"
        return None, f"{chart.title}: {value} — chart left out"
    series = chart.series
    flats = [_flat(s.values, s.half_widths) for s in series]
    if all(f is not None for f in flats):
        values = {f for f in flats if f is not None and not math.isnan(f)}
        if len(values) <= 1:
            what = "no data" if not values else f"{_shown(chart, values.pop())} everywhere"
            return None, f"{chart.title}: {what} — chart left out"
    if isinstance(chart, Timeline) or len(series) < 2:
        return chart, ""
    empty = [i for i, f in enumerate(flats) if f is not None and (math.isnan(f) or f == 0.0)]
    if not empty or len(empty) == len(series):
        return chart, ""
    kept: Sequence[Series] = [
        dataclasses.replace(s, slot=i if s.slot is None else s.slot)
        for i, s in enumerate(series)
        if i not in empty
    ]
    notes = [
        f"{series[i].name}: "
        + (f"{_shown(chart, 0.0)} everywhere" if flats[i] == 0.0 else "no data")
        for i in empty
    ]
    note = f"{chart.title}: " + "; ".join(notes) + " — left out of the chart"
    return dataclasses.replace(chart, series=tuple(kept)), note


def _flat(values: Sequence[float], half_widths: Sequence[float] | None) -> float | None:
    """The one value a series holds everywhere (NaN: none at all), or None if it varies or
    has an interval around it."""
    finite = [v for v in values if not math.isnan(v)]
    widths = [h for h in (half_widths or ()) if not math.isnan(h)]
    if any(h > 0 for h in widths):
        return None
    if not finite:
        return math.nan
    return finite[0] if max(finite) == min(finite) else None


def _shown(chart: Bars | Lines | Timeline, value: float) -> str:
    if getattr(chart, "share", False):
        return f"{100 * value:g} %"
    found = _UNIT.search(chart.axis)
    unit = found.group(1) if found else ""
    if unit == "$":
        return f"${value:g}"
    return f"{value:g} {unit}" if unit and unit != "%" else f"{value:g}"
