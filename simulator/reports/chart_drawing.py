"""Drawing a chart description (simulator.reports.charts) as inline SVG with matplotlib.

The SVG is self-contained (text kept as text, no external references) and its element ids
carry the prefix, so that many charts can live in one HTML page. Drawing is deterministic
(`svg.hashsalt`, no date): the same chart gives the same bytes in any process.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from simulator.reports.charts import Bars, Chart, Forest, Lines, Series, Timeline

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
STYLES = ("-", "--", ":", "-.")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
"""Lines that meet (hourly profiles) stay apart by style and marker as well as colour."""
WIDTH_IN = 7.2
HEIGHT_IN = 3.0
RC: dict[str, Any] = {
    "svg.hashsalt": "chargenet",
    "svg.fonttype": "none",
    "font.size": 9,
    "font.family": "sans-serif",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
}


def svg(chart: Chart, prefix: str = "c") -> str:
    """The chart as an <svg> element (no XML prolog), ids prefixed with `prefix`."""
    with matplotlib.rc_context(RC):  # type: ignore[arg-type]
        if isinstance(chart, Bars):
            fig = _bars(chart)
        elif isinstance(chart, Lines):
            fig = _lines(chart)
        elif isinstance(chart, Timeline):
            fig = _timeline(chart)
        else:
            fig = _forest(chart)
        fig.suptitle(chart.title, x=0.01, ha="left", fontsize=10, fontweight="bold")
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = out.getvalue()
    text = text[text.index("<svg") :]
    text = _METADATA.sub("", text)  # matplotlib's RDF block: bytes nobody reads
    return _prefix_ids(text, prefix)


def svgs(charts: Sequence[tuple[Chart, str]]) -> list[str]:
    """`svg(chart, prefix)` of each pair, in order (one call site for a page's charts)."""
    return [svg(chart, prefix) for chart, prefix in charts]


def _figure(height_in: float = HEIGHT_IN) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(WIDTH_IN, height_in))
    ax = fig.add_subplot()
    return fig, ax


def _bars(chart: Bars) -> Figure:
    n_cat, n_ser = len(chart.categories), max(1, len(chart.series))
    if chart.horizontal:
        height = max(HEIGHT_IN, 0.9 + 0.16 * n_cat * max(1, n_ser * 0.6))
        fig, ax = _figure(height)
    else:
        fig, ax = _figure()
    width = 0.8 / n_ser
    for j, series in enumerate(chart.series):
        pos = [i - 0.4 + width * (j + 0.5) for i in range(n_cat)]
        err = _errors(series)
        color = PALETTE[_slot(series, j) % len(PALETTE)]
        if chart.horizontal:
            ax.barh(
                pos,
                series.values,
                height=width,
                xerr=err,
                color=color,
                label=series.name,
                error_kw={"capsize": 2, "elinewidth": 0.8},
            )
        else:
            ax.bar(
                pos,
                series.values,
                width=width,
                yerr=err,
                color=color,
                label=series.name,
                error_kw={"capsize": 2, "elinewidth": 0.8},
            )
    ticks = list(range(n_cat))
    value_axis = ax.xaxis if chart.horizontal else ax.yaxis
    if chart.horizontal:
        ax.set_yticks(ticks, chart.categories)
        ax.invert_yaxis()
        ax.set_xlabel(chart.axis)
        ax.grid(axis="y", visible=False)
        if chart.category_axis:
            ax.set_ylabel(chart.category_axis)
    else:
        rotate = n_cat > 8 or sum(len(c) + 3 for c in chart.categories) > 70
        ax.set_xticks(
            ticks,
            chart.categories,
            rotation=30 if rotate else 0,
            ha="right" if rotate else "center",
        )
        ax.set_ylabel(chart.axis)
        ax.grid(axis="x", visible=False)
        if chart.category_axis:
            ax.set_xlabel(chart.category_axis)
    _format_values(value_axis, chart.share)
    _legend(ax, chart.series)
    return fig


def _lines(chart: Lines) -> Figure:
    fig, ax = _figure()
    categorical = any(isinstance(x, str) for x in chart.x)
    xs: Sequence[float] = list(range(len(chart.x))) if categorical else [float(x) for x in chart.x]
    # error bars of several series at the same x are set a little apart
    span = (max(xs) - min(xs)) if len(xs) > 1 else 1.0
    intervals = any(s.half_widths is not None for s in chart.series)
    dodge = 0.0 if chart.bands or len(chart.series) < 2 or not intervals else 0.012 * span
    for j, series in enumerate(chart.series):
        k = _slot(series, j)
        color = PALETTE[k % len(PALETTE)]
        hw = series.half_widths
        shifted = [x + dodge * (j - (len(chart.series) - 1) / 2) for x in xs]
        if hw is not None and chart.bands:
            low = [
                v - h if not math.isnan(h) else v for v, h in zip(series.values, hw, strict=True)
            ]
            high = [
                v + h if not math.isnan(h) else v for v, h in zip(series.values, hw, strict=True)
            ]
            ax.fill_between(xs, low, high, color=color, alpha=0.18, linewidth=0)
            ax.plot(
                xs,
                series.values,
                color=color,
                label=series.name,
                linewidth=1.4,
                linestyle=STYLES[k % len(STYLES)],
            )
        else:
            ax.errorbar(
                shifted,
                series.values,
                yerr=_errors(series),
                color=color,
                label=series.name,
                marker=MARKERS[k % len(MARKERS)],
                markersize=3.5,
                capsize=3,
                linewidth=1.4,
                linestyle=STYLES[k % len(STYLES)],
            )
    if categorical:
        ax.set_xticks(list(xs), [str(x) for x in chart.x])
    elif all(float(x).is_integer() for x in xs):  # days, port counts: no tick between them
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(chart.x_axis)
    ax.set_ylabel(chart.axis)
    _format_values(ax.yaxis, chart.share)
    _legend(ax, chart.series)
    return fig


def _timeline(chart: Timeline) -> Figure:
    fig, ax = _figure()
    xs = [float(x) for x in chart.x]
    marker = "o" if len(xs) <= 60 else None
    for j, series in enumerate(chart.series):
        ax.plot(
            xs,
            series.values,
            color=PALETTE[j % len(PALETTE)],
            label=series.name,
            linewidth=1.3,
            marker=marker,
            markersize=2.5,
        )
    if chart.log:
        ax.set_yscale("log")
    ax.set_xlabel(chart.x_axis)
    ax.set_ylabel(chart.axis)
    _format_values(ax.yaxis, share=False)
    handles, labels = ax.get_legend_handles_labels()
    if chart.reference is not None:
        twin = ax.twinx()
        twin.spines["right"].set_visible(True)
        twin.grid(visible=False)
        twin.step(
            xs,
            chart.reference.values,
            where="mid",
            color="#555555",
            linestyle="--",
            linewidth=1.1,
            label=chart.reference.name,
        )
        twin.set_ylim(bottom=0)
        twin.set_ylabel(chart.reference_axis)
        _format_values(twin.yaxis, share=False)
        more_handles, more_labels = twin.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
    if len(handles) > 1:
        ax.legend(
            handles,
            labels,
            fontsize=8,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.2),
            ncols=min(len(handles), 6),
        )
    return fig


def _forest(chart: Forest) -> Figure:
    fig, ax = _figure(max(1.6, 0.7 + 0.32 * len(chart.rows)))
    ys = list(range(len(chart.rows)))
    scale = 100.0 if chart.share else 1.0  # shares: differences in percentage points
    err = [0.0 if math.isnan(h) else scale * h for h in chart.half_widths]
    colors = [
        PALETTE[3] if not math.isnan(h) and (m - h > 0 or m + h < 0) else PALETTE[7]
        for m, h in zip(chart.means, chart.half_widths, strict=True)
    ]
    ax.axvline(0.0, color="#333333", linewidth=0.8)
    for y, m, e, c in zip(ys, chart.means, err, colors, strict=True):
        ax.errorbar([scale * m], [y], xerr=[e], fmt="o", color=c, capsize=3, markersize=4)
    ax.set_yticks(ys, chart.rows)
    ax.invert_yaxis()
    ax.set_ylim(len(ys) - 0.5, -0.5)
    ax.set_xlabel(chart.axis)
    ax.grid(axis="y", visible=False)
    _format_values(ax.xaxis, share=False)
    return fig


def _slot(series: Series, position: int) -> int:
    return position if series.slot is None else series.slot


def _legend(ax: Axes, series: Sequence[Series]) -> None:
    if len(series) > 1:
        longest = max(len(s.name) for s in series)
        columns = max(1, min(len(series), 90 // (longest + 6)))
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=columns)


def _errors(series: Series) -> list[float] | None:
    if series.half_widths is None:
        return None
    return [0.0 if math.isnan(h) else h for h in series.half_widths]


def _format_values(axis: object, share: bool) -> None:
    if share:
        axis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=None))  # type: ignore[attr-defined]
    else:
        axis.set_major_formatter(FuncFormatter(_plain))  # type: ignore[attr-defined]


def _plain(value: float, _pos: object) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:g}"


_ID = re.compile(r'\bid="([^"]+)"')
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)


def _prefix_ids(text: str, prefix: str) -> str:
    ids = set(_ID.findall(text))
    text = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', text)
    for old in sorted(ids, key=len, reverse=True):
        text = text.replace(f"url(#{old})", f"url(#{prefix}-{old})")
        text = text.replace(f'href="#{old}"', f'href="#{prefix}-{old}"')
    return text


def warm_up() -> None:
    """Draw a throwaway chart: the first drawing loads the fonts and the SVG backend."""
    svg(Bars("", ("a",), (Series("", (1.0,)),), ""))
