"""What the experiment reports show: pure functions from a comparison or a sweep to a Page of
charts and tables (simulator.reports.page), and the functions that write them as HTML
(simulator.reports.html draws them). Nothing is drawn here.

The numbers are the intervals that compare.json and sweep.json hold; every metric is a catalogue
metric (simulator.reports.catalogue). These pages live here, above simulator.reports, because
they are built on the experiment's types (Comparison, SweepResult, Run): simulator.reports never
imports simulator.experiment.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from simulator.experiment.comparison import Comparison, ScenarioDoc
from simulator.experiment.grid_response import grid_sections
from simulator.experiment.observations import TOTAL_GROUP, Key
from simulator.experiment.replications import Run
from simulator.experiment.statistics import Interval
from simulator.experiment.sweep import SweepResult
from simulator.reports import html
from simulator.reports.catalogue import (
    BRAND_HEADLINE,
    HEADLINE,
    NETWORK_HEADLINE,
    Metric,
    MetricInfo,
    hourly_metric,
    info,
    wait_metric,
)
from simulator.reports.charts import Bars, Chart, Forest, Lines, Series
from simulator.reports.method import experiment_lines
from simulator.reports.metrics import wait_bin_labels
from simulator.reports.page import Cell, Page, Section, Table
from simulator.reports.views import HOURS, lines_section

__all__ = [
    "compare_page",
    "difference_cell",
    "interval_cell",
    "row_label",
    "shown_digits",
    "sweep_page",
    "table_keys",
    "write_compare_report",
    "write_sweep_report",
]

M = Metric


# --- a comparison -------------------------------------------------------------------------


def compare_page(
    comparison: Comparison,
    scenarios: Sequence[ScenarioDoc],
    runs: Sequence[Run],
) -> Page:
    labels = comparison.labels
    est = comparison.estimates
    networks = _groups(est, "networks")
    brands = _groups(est, "brands")
    names, site_network = _names(runs)
    position = {n: k for k, n in enumerate(networks)}
    sites = sorted(
        _groups(est, "sites"), key=lambda s: position.get(site_network.get(s, ""), len(networks))
    )
    shown = {
        **names,
        **{s: f"{names.get(n, n)} / {s}" for s, n in site_network.items() if s in sites},
    }
    level = f"{comparison.level:.0%}"

    def by_group(title: str, scope: str, groups: Sequence[str], metric: Metric, **kw: Any) -> Bars:
        return Bars(
            title,
            tuple(shown.get(g, g) for g in groups),
            tuple(
                _interval_series(label, [est[label].get(_key(scope, g, metric)) for g in groups])
                for label in labels
            ),
            info(metric).axis,
            share=info(metric).share,
            **kw,
        )

    totals_and_networks = [TOTAL_GROUP, *networks]

    def network_bars(title: str, metric: Metric) -> Bars:
        keys = [
            _key("totals", TOTAL_GROUP, metric) if g == TOTAL_GROUP else _key("networks", g, metric)
            for g in totals_and_networks
        ]
        return Bars(
            title,
            tuple(shown.get(g, g) for g in totals_and_networks),
            tuple(_interval_series(label, [est[label].get(k) for k in keys]) for label in labels),
            info(metric).axis,
            share=info(metric).share,
        )

    forests = (
        tuple(
            Forest(
                f"{info(m).label}: difference from {comparison.baseline}",
                tuple(labels[1:]),
                tuple(
                    _mean(comparison.differences[lb].get(_key("totals", TOTAL_GROUP, m)))
                    for lb in labels[1:]
                ),
                tuple(
                    _hw(comparison.differences[lb].get(_key("totals", TOTAL_GROUP, m)))
                    for lb in labels[1:]
                ),
                _difference_axis(m),
                share=info(m).share,
            )
            for m in HEADLINE
        )
        if len(labels) > 1
        else ()
    )

    bins = wait_bin_labels()
    waits = Bars(
        "Wait-time distribution, all networks",
        bins,
        tuple(
            _interval_series(
                label,
                [
                    est[label].get(_key("totals", TOTAL_GROUP, wait_metric(k)))
                    for k in range(len(bins))
                ],
            )
            for label in labels
        ),
        "drivers who joined a site (%)",
        share=True,
    )
    hourly = Lines(
        "Hourly occupancy, all networks",
        HOURS,
        "hour of day (h)",
        tuple(
            _interval_series(
                label,
                [est[label].get(_key("totals", TOTAL_GROUP, hourly_metric(h))) for h in HOURS],
            )
            for label in labels
        ),
        "occupancy (% of ports)",
        share=True,
        bands=True,
    )

    def split(metric: Metric) -> Bars:
        return Bars(
            f"{info(metric).label}: partner vs non-partner, all networks",
            tuple(labels),
            tuple(
                _interval_series(
                    seg.replace("_", "-"),
                    [
                        est[label].get(Key("totals", TOTAL_GROUP, seg, info(metric).key))
                        for label in labels
                    ],
                )
                for seg in ("partner", "non_partner")
            ),
            info(metric).axis,
            share=info(metric).share,
        )

    sections = []
    if forests:
        sections.append(
            Section(
                f"Differences from {comparison.baseline}",
                f"Each scenario minus the baseline, replication by replication (common random "
                f"numbers), with its {level} interval; red where the interval excludes zero.",
                charts=forests,
                tables=(_difference_table(comparison, networks, brands, names),),
            )
        )
    sections += [
        Section(
            "Estimates",
            f"Means over the replications with their {level} Student t intervals.",
            tables=(_estimate_table(comparison, networks, brands, names),),
        ),
        Section(
            "Utilization by network and site",
            charts=(
                network_bars("Occupancy by network", M.OCCUPANCY_UTILIZATION),
                network_bars("Sessions per port per day by network", M.SESSIONS_PER_PORT_PER_DAY),
                by_group(
                    "Occupancy by site", "sites", sites, M.OCCUPANCY_UTILIZATION, horizontal=True
                ),
            ),
        ),
        Section("Hourly occupancy profile", charts=(hourly,)),
        Section(
            "Waiting",
            "How long the drivers who joined a site waited, all networks, with the chance of "
            "waiting, the mean and the 95th percentile wait by network.",
            charts=(
                waits,
                network_bars("P(wait) by network", M.P_WAIT),
                network_bars("Mean wait by network", M.MEAN_WAIT_MIN),
                network_bars("95th percentile wait by network", M.P95_WAIT_MIN),
            ),
        ),
        Section(
            "Brands: turned away and gave up",
            charts=(
                by_group("Turned away by brand", "brands", brands, M.TURNED_AWAY_SHARE),
                by_group("Gave up by brand", "brands", brands, M.GAVE_UP_SHARE),
            ),
        ),
        Section(
            "Energy and revenue",
            charts=(
                network_bars("Energy by network", M.ENERGY_KWH),
                network_bars("Revenue by network", M.REVENUE),
                by_group("Energy by brand", "brands", brands, M.ENERGY_KWH),
                by_group("Driver spend by brand", "brands", brands, M.DRIVER_SPEND),
            ),
        ),
        Section(
            "Partner vs non-partner",
            "Partner: the driver's brand has a deal or membership with the network charged at.",
            charts=tuple(
                split(m) for m in (M.ARRIVALS, M.ENERGY_KWH, M.MEAN_WAIT_MIN, M.PERKS_GIVEN)
            ),
        ),
    ]
    replications = max((r.task.replication for r in runs), default=-1) + 1
    method = experiment_lines(
        seeds=_seed_range(runs),
        replications=replications,
        windows=", ".join(f"{s.label}: {s.days:g} ({s.warmup_days:g})" for s in scenarios),
        level=level,
        paired=True,
    )
    sections.append(lines_section(method, METHOD_INTRO))
    failed = [r for r in runs if not r.ok]
    return Page(
        title="Comparison: " + ", ".join(labels),
        kind="compare",
        facts=(
            ("scenarios", str(len(labels))),
            ("baseline", comparison.baseline),
            ("replications", str(max((r.task.replication for r in runs), default=-1) + 1)),
            ("seeds", _seed_range(runs)),
            ("days", ", ".join(_days(s) for s in scenarios)),
            ("intervals", f"{level} Student t"),
        ),
        sections=tuple(sections),
        warnings=tuple(r.failure() for r in failed),
    )


def _estimate_table(
    comparison: Comparison,
    networks: Sequence[str],
    brands: Sequence[str],
    names: Mapping[str, str],
) -> Table:
    rows = []
    for key in table_keys(networks, brands):
        rows.append(
            (
                Cell(row_label(key, names)),
                *(
                    interval_cell(comparison.estimates[lb].get(key), key.metric)
                    for lb in comparison.labels
                ),
            )
        )
    return Table(
        "Estimates (mean ± half-width)",
        ("", *comparison.labels),
        tuple(rows),
        note="Every metric, group and interval is in compare.json and compare.csv.",
    )


def _difference_table(
    comparison: Comparison,
    networks: Sequence[str],
    brands: Sequence[str],
    names: Mapping[str, str],
) -> Table:
    others = comparison.labels[1:]
    rows = []
    for key in table_keys(networks, brands):
        rows.append(
            (
                Cell(row_label(key, names)),
                *(
                    difference_cell(comparison.differences[lb].get(key), key.metric)
                    for lb in others
                ),
            )
        )
    return Table(
        f"Differences from {comparison.baseline} (mean [low, high])",
        ("", *others),
        tuple(rows),
        note="Bold red: the interval excludes zero.",
    )


def table_keys(networks: Sequence[str], brands: Sequence[str]) -> list[Key]:
    keys = [_key("totals", TOTAL_GROUP, m) for m in HEADLINE]
    keys += [_key("networks", n, m) for n in networks for m in NETWORK_HEADLINE]
    keys += [_key("brands", b, m) for b in brands for m in BRAND_HEADLINE]
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


METHOD_INTRO = (
    "How these numbers were made: every scenario or point is replicated, replication k with "
    "seed S + k, on the fast engine."
)


def sweep_page(result: SweepResult) -> Page:
    first, others = result.varies[0], result.varies[1:]
    numeric = result.numeric(first)
    xs: tuple[float, ...] | tuple[str, ...] = (
        tuple(float(v) for v in first.values) if numeric else first.texts
    )
    # one line per combination of the other keys' values
    lines: dict[tuple[Any, ...], list[int]] = {}
    for p in result.points:
        rest = tuple(dict(p.settings)[v.key] for v in others)
        lines.setdefault(rest, []).append(p.index)

    def line_name(rest: tuple[Any, ...]) -> str:
        if not others:
            return result.scenario
        return " ".join(
            f"{v.key}={v.texts[v.values.index(x)]}" for v, x in zip(others, rest, strict=True)
        )

    def curve(title: str, key: Key) -> Lines:
        return Lines(
            title,
            xs,
            first.key,
            tuple(
                _interval_series(line_name(rest), [result.estimates[i].get(key) for i in idx])
                for rest, idx in lines.items()
            ),
            info(key.metric).axis,
            share=info(key.metric).share,
        )

    networks = sorted(
        {k.group for est in result.estimates.values() for k in est if k.scope == "networks"},
        key=lambda g: _first_position(result, "networks", g),
    )
    names = _names(result.runs)[0]
    network_curves: tuple[Chart, ...]
    if not others:
        network_curves = tuple(
            Lines(
                f"{info(m).label} by network",
                xs,
                first.key,
                tuple(
                    _interval_series(
                        names.get(n, n),
                        [
                            result.estimates[p.index].get(_key("networks", n, m))
                            for p in result.points
                        ],
                    )
                    for n in networks
                ),
                info(m).axis,
                share=info(m).share,
            )
            for m in (M.OCCUPANCY_UTILIZATION, M.P_WAIT, M.REVENUE)
        )
    else:
        network_curves = tuple(
            curve(f"{names.get(n, n)}: occupancy", _key("networks", n, M.OCCUPANCY_UTILIZATION))
            for n in networks
        )
    level = f"{result.level:.0%}"
    table_metrics = HEADLINE
    rows = tuple(
        (
            Cell(p.label),
            *(
                interval_cell(result.estimates[p.index].get(_key("totals", TOTAL_GROUP, m)), m)
                for m in table_metrics
            ),
        )
        for p in result.points
    )
    return Page(
        title=f"Sweep of {result.scenario}: " + ", ".join(v.key for v in result.varies),
        kind="sweep",
        facts=(
            ("scenario", result.scenario),
            ("source", result.source),
            *((v.key, ", ".join(v.texts)) for v in result.varies),
            ("points", str(len(result.points))),
            ("replications", str(result.replications)),
            ("seeds", f"{result.seeds[0]}–{result.seeds[-1]}" if result.seeds else ""),
            ("intervals", f"{level} Student t"),
        ),
        sections=(
            Section(
                "Response curves",
                f"Each point is the mean over the replications, with its {level} interval; "
                "replication k of every point shares its seed (common random numbers).",
                charts=tuple(
                    curve(f"{info(m).label}, all networks", _key("totals", TOTAL_GROUP, m))
                    for m in HEADLINE
                ),
            ),
            Section("By network", charts=network_curves),
            *grid_sections(result),
            Section(
                "Estimates per point",
                tables=(
                    Table(
                        "All networks (mean ± half-width)",
                        ("point", *(info(m).axis for m in table_metrics)),
                        rows,
                        note="Every metric and group is in sweep.json and sweep.csv.",
                    ),
                ),
            ),
            lines_section(
                experiment_lines(
                    seeds=f"{result.seeds[0]}–{result.seeds[-1]}" if result.seeds else "",
                    replications=result.replications,
                    windows=", ".join(dict.fromkeys(_window(r) for r in result.runs)),
                    level=level,
                    paired=False,
                ),
                METHOD_INTRO,
            ),
        ),
        warnings=tuple(r.failure() for r in result.runs if not r.ok),
    )


# --- helpers ------------------------------------------------------------------------------


def _difference_axis(metric: Metric) -> str:
    m = info(metric)
    unit = "percentage points" if m.share else (m.unit or "count")
    return f"difference in {m.label} ({unit})"


def _key(scope: str, group: str, metric: Metric | str) -> Key:
    """The key of a metric (or of an experiment's per-hour or per-bin metric) of one group."""
    return Key(scope, group, "all", info(metric).key)


def _groups(estimates: Mapping[str, Mapping[Key, Interval]], scope: str) -> list[str]:
    seen: dict[str, None] = {}
    for est in estimates.values():
        for k in est:
            if k.scope == scope:
                seen.setdefault(k.group, None)
    return list(seen)


def _names(runs: Sequence[Run]) -> tuple[dict[str, str], dict[str, str]]:
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


def _first_position(result: SweepResult, scope: str, group: str) -> int:
    for est in result.estimates.values():
        groups = list(dict.fromkeys(k.group for k in est if k.scope == scope))
        if group in groups:
            return groups.index(group)
    return 0


def _interval_series(name: str, intervals: Iterable[Interval | None]) -> Series:
    items = list(intervals)
    return Series(name, tuple(_mean(i) for i in items), tuple(_hw(i) for i in items))


def _mean(i: Interval | None) -> float:
    return math.nan if i is None else i.mean


def _hw(i: Interval | None) -> float:
    return math.nan if i is None else i.half_width


def _seed_range(runs: Sequence[Run]) -> str:
    seeds = sorted({r.task.seed for r in runs})
    if not seeds:
        return ""
    return f"{seeds[0]}–{seeds[-1]}" if len(seeds) > 1 else str(seeds[0])


def _window(run: Run) -> str:
    """A run's days (warm-up days), as its task ran it."""
    simulation = run.task.scenario.get("simulation", {})
    days = run.task.days if run.task.days is not None else simulation.get("days", 0)
    return f"{days:g} ({simulation.get('warmup_days', 0):g})"


def _days(s: ScenarioDoc) -> str:
    return f"{s.label}: {s.days:g}"


# --- the reports the commands write -------------------------------------------------------


def write_compare_report(
    comparison: Comparison,
    scenarios: Sequence[ScenarioDoc],
    runs: Sequence[Run],
    path: Path,
) -> None:
    """compare.html (`chargenet compare`)."""
    html.write(compare_page(comparison, scenarios, runs), path)


def write_sweep_report(result: SweepResult, path: Path) -> None:
    """sweep.html (`chargenet sweep`)."""
    html.write(sweep_page(result), path)
