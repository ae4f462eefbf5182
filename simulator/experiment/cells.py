"""How an experiment's intervals read in its tables and charts: the cells (enough digits for a
printed interval to round to what its chart draws), the rows' keys and labels, and the small
helpers both pages share (simulator.experiment.compare_report, simulator.experiment.sweep_report).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from simulator.experiment.comparison import ScenarioDoc
from simulator.experiment.observations import TOTAL_GROUP, Key
from simulator.experiment.replications import Run
from simulator.experiment.statistics import Interval
from simulator.reports.catalogue import (
    BRAND_HEADLINE,
    HEADLINE,
    NETWORK_HEADLINE,
    Metric,
    MetricInfo,
    info,
)
from simulator.reports.charts import Series
from simulator.reports.page import Cell

__all__ = [
    "METHOD_INTRO",
    "days_text",
    "difference_axis",
    "difference_cell",
    "groups_in",
    "half_width_of",
    "interval_cell",
    "interval_series",
    "mean_of",
    "metric_key",
    "names_of",
    "row_label",
    "run_window",
    "seed_range",
    "shown_digits",
    "table_keys",
]

METHOD_INTRO = (
    "How these numbers were made: every scenario or point is replicated, replication k with "
    "seed S + k, on the fast engine."
)


def table_keys(networks: Sequence[str], brands: Sequence[str]) -> list[Key]:
    keys = [metric_key("totals", TOTAL_GROUP, m) for m in HEADLINE]
    keys += [metric_key("networks", n, m) for n in networks for m in NETWORK_HEADLINE]
    keys += [metric_key("brands", b, m) for b in brands for m in BRAND_HEADLINE]
    return keys


def row_label(key: Key, names: Mapping[str, str] | None = None) -> str:
    """A table row's label: its group (a network by its display name) and metric."""
    where = "all" if key.scope == "totals" else (names or {}).get(key.group, key.group)
    return f"{where}: {info(key.metric).axis}"


def interval_cell(i: Interval | None, metric: Metric | str) -> Cell:
    if i is None or i.n == 0:
        return Cell("")
    m = info(metric)
    if math.isnan(i.half_width):
        return Cell(m.text(i.mean), i.mean)
    digits = shown_digits(metric, i.half_width)
    mean = _shown(m, i.mean, digits, sign="")
    half = _shown(m, i.half_width, digits, sign="", unit=False)
    return Cell(f"{mean} ± {half}", i.mean)


def difference_cell(i: Interval | None, metric: Metric | str) -> Cell:
    if i is None or i.n == 0:
        return Cell("")
    m = info(metric)
    if math.isnan(i.half_width):
        return Cell(m.delta(i.mean), i.mean)
    digits = shown_digits(metric, i.half_width)
    scale = 100 if m.share else 1
    # an interval that excludes zero shows its nearer bound off zero (not -0.00)
    near = min(abs(i.low), abs(i.high)) * scale
    while i.excludes_zero() and digits < MAX_DIGITS and round(near, digits) == 0:
        digits += 1
    mean = _shown(m, i.mean, digits, sign="+")
    low, high = (_shown(m, x, digits, sign="+", unit=False) for x in (i.low, i.high))
    return Cell(f"{mean} [{low}, {high}]", i.mean, strong=i.excludes_zero())


MAX_DIGITS = 6


def shown_digits(metric: Metric | str, half_width: float) -> int:
    """Decimals that show at least two significant digits of the half-width (in the unit
    shown: pp for shares), never fewer than the metric's own: so that a printed interval
    rounds to what its chart draws, and a tight one never prints as [+0.0, +0.0]."""
    m = info(metric)
    shown = abs(half_width) * (100 if m.share else 1)
    if math.isnan(shown) or shown == 0:
        return m.digits
    return min(MAX_DIGITS, max(m.digits, 1 - math.floor(math.log10(shown))))


def _shown(m: MetricInfo, value: float, digits: int, sign: str, unit: bool = True) -> str:
    """A number in the unit shown (shares in %, or pp with a sign), with `digits` decimals."""
    if m.share:
        text = f"{100 * value:{sign}.{digits}f}"
        return f"{text} {'pp' if sign else '%'}" if unit else text
    return f"{value:{sign},.{digits}f}"


# --- a sweep ------------------------------------------------------------------------------


def difference_axis(metric: Metric) -> str:
    m = info(metric)
    unit = "percentage points" if m.share else (m.unit or "count")
    return f"difference in {m.label} ({unit})"


def metric_key(scope: str, group: str, metric: Metric | str) -> Key:
    """The key of a metric (or of an experiment's per-hour or per-bin metric) of one group."""
    return Key(scope, group, "all", info(metric).key)


def groups_in(estimates: Mapping[str, Mapping[Key, Interval]], scope: str) -> list[str]:
    seen: dict[str, None] = {}
    for est in estimates.values():
        for k in est:
            if k.scope == scope:
                seen.setdefault(k.group, None)
    return list(seen)


def names_of(runs: Sequence[Run]) -> tuple[dict[str, str], dict[str, str]]:
    """The networks' display names by id (ids where two share a name), and each site's
    network, from the runs' summaries."""
    names: dict[str, str] = {}
    site_network: dict[str, str] = {}
    for run in runs:
        if run.summary is None:
            continue
        for n, name in (run.summary.network_names or {}).items():
            names.setdefault(n, name)
        for s, g in run.summary.sites.items():
            if g.network:
                site_network.setdefault(s, g.network)
    if len(set(names.values())) < len(names):
        names = {}
    return names, site_network


def interval_series(name: str, intervals: Iterable[Interval | None]) -> Series:
    items = list(intervals)
    return Series(name, tuple(mean_of(i) for i in items), tuple(half_width_of(i) for i in items))


def mean_of(i: Interval | None) -> float:
    return math.nan if i is None else i.mean


def half_width_of(i: Interval | None) -> float:
    return math.nan if i is None else i.half_width


def seed_range(runs: Sequence[Run]) -> str:
    seeds = sorted({r.task.seed for r in runs})
    if not seeds:
        return ""
    return f"{seeds[0]}–{seeds[-1]}" if len(seeds) > 1 else str(seeds[0])


def run_window(run: Run) -> str:
    """A run's days (warm-up days), as its task ran it."""
    simulation = run.task.scenario.get("simulation", {})
    days = run.task.days if run.task.days is not None else simulation.get("days", 0)
    return f"{days:g} ({simulation.get('warmup_days', 0):g})"


def days_text(s: ScenarioDoc) -> str:
    return f"{s.label}: {s.days:g}"
