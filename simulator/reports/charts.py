"""Charts as frozen descriptions (Bars, Lines, Forest, Timeline): the numbers to draw and
nothing computed (intervals arrive as half-widths, shares as 0..1 and are shown in %).

`svg(chart, prefix)` draws one as inline SVG and `svgs` a page's worth, with matplotlib
(simulator.reports.chart_drawing), imported only then: a command that builds a page but
draws elsewhere (`chargenet run` hands its charts to simulator.reports.chart_worker), or
never draws, does not pay for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: tuple[float, ...]
    half_widths: tuple[float, ...] | None = None
    """Half-width of each value's confidence interval (NaN where there is none)."""
    slot: int | None = None
    """Its place for colour and style (default: its position), kept when a series before it
    is left out (simulator.reports.left_out) so that a network keeps its colour."""


@dataclass(frozen=True, slots=True)
class Bars:
    """Grouped bars: one group per category, one bar per series."""

    title: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    axis: str
    """The value axis label, with its unit."""
    share: bool = False
    horizontal: bool = False
    category_axis: str = ""


@dataclass(frozen=True, slots=True)
class Lines:
    """Lines over a numeric or categorical x; intervals as bands (many points) or error bars."""

    title: str
    x: tuple[float, ...] | tuple[str, ...]
    x_axis: str
    series: tuple[Series, ...]
    axis: str
    share: bool = False
    bands: bool = False


@dataclass(frozen=True, slots=True)
class Forest:
    """Differences with their intervals, one row each, around a line at zero."""

    title: str
    rows: tuple[str, ...]
    means: tuple[float, ...]
    half_widths: tuple[float, ...]
    axis: str
    share: bool = False


@dataclass(frozen=True, slots=True)
class Timeline:
    """Lines over time (a load run's windows), against a reference drawn as steps on a second
    axis (the ramp's target). NaN values are gaps; `log` draws the value axis in decades."""

    title: str
    x: tuple[float, ...]
    x_axis: str
    series: tuple[Series, ...]
    axis: str
    reference: Series | None = None
    reference_axis: str = ""
    log: bool = False


Chart = Bars | Lines | Forest | Timeline


def svg(chart: Chart, prefix: str = "c") -> str:
    """The chart as an <svg> element (no XML prolog), ids prefixed with `prefix`."""
    from simulator.reports import chart_drawing

    return chart_drawing.svg(chart, prefix)


def svgs(charts: Sequence[tuple[Chart, str]]) -> list[str]:
    """`svg(chart, prefix)` of each pair, in order (one call site for a page's charts)."""
    from simulator.reports import chart_drawing

    return chart_drawing.svgs(charts)
