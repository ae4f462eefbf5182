"""compare.html: a comparison as a Page of charts and tables (simulator.reports.page), from the
intervals compare.json holds; simulator.reports.html draws it. Nothing is drawn here.

It lives above simulator.reports because it is built on the experiment's types (Comparison,
Run): simulator.reports never imports simulator.experiment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from simulator.experiment.cells import (
    METHOD_INTRO,
    days_text,
    difference_axis,
    difference_cell,
    groups_in,
    half_width_of,
    interval_cell,
    interval_series,
    mean_of,
    metric_key,
    names_of,
    row_label,
    seed_range,
    table_keys,
)
from simulator.experiment.comparison import Comparison, ScenarioDoc
from simulator.experiment.observations import TOTAL_GROUP, Key
from simulator.experiment.replications import Run
from simulator.reports import html
from simulator.reports.catalogue import (
    HEADLINE,
    Metric,
    hourly_metric,
    info,
    wait_metric,
)
from simulator.reports.charts import Bars, Forest, Lines
from simulator.reports.method import experiment_lines
from simulator.reports.metrics import wait_bin_labels
from simulator.reports.page import Cell, Page, Section, Table
from simulator.reports.views import HOURS, lines_section

__all__ = ["compare_page", "write_compare_report"]

M = Metric


def compare_page(
    comparison: Comparison,
    scenarios: Sequence[ScenarioDoc],
    runs: Sequence[Run],
) -> Page:
    labels = comparison.labels
    est = comparison.estimates
    networks = groups_in(est, "networks")
    brands = groups_in(est, "brands")
    names, site_network = names_of(runs)
    position = {n: k for k, n in enumerate(networks)}
    sites = sorted(
        groups_in(est, "sites"), key=lambda s: position.get(site_network.get(s, ""), len(networks))
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
                interval_series(
                    label, [est[label].get(metric_key(scope, g, metric)) for g in groups]
                )
                for label in labels
            ),
            info(metric).axis,
            share=info(metric).share,
            **kw,
        )

    totals_and_networks = [TOTAL_GROUP, *networks]

    def network_bars(title: str, metric: Metric) -> Bars:
        keys = [
            metric_key("totals", TOTAL_GROUP, metric)
            if g == TOTAL_GROUP
            else metric_key("networks", g, metric)
            for g in totals_and_networks
        ]
        return Bars(
            title,
            tuple(shown.get(g, g) for g in totals_and_networks),
            tuple(interval_series(label, [est[label].get(k) for k in keys]) for label in labels),
            info(metric).axis,
            share=info(metric).share,
        )

    forests = (
        tuple(
            Forest(
                f"{info(m).label}: difference from {comparison.baseline}",
                tuple(labels[1:]),
                tuple(
                    mean_of(comparison.differences[lb].get(metric_key("totals", TOTAL_GROUP, m)))
                    for lb in labels[1:]
                ),
                tuple(
                    half_width_of(
                        comparison.differences[lb].get(metric_key("totals", TOTAL_GROUP, m))
                    )
                    for lb in labels[1:]
                ),
                difference_axis(m),
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
            interval_series(
                label,
                [
                    est[label].get(metric_key("totals", TOTAL_GROUP, wait_metric(k)))
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
            interval_series(
                label,
                [
                    est[label].get(metric_key("totals", TOTAL_GROUP, hourly_metric(h)))
                    for h in HOURS
                ],
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
                interval_series(
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
        seeds=seed_range(runs),
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
            ("seeds", seed_range(runs)),
            ("days", ", ".join(days_text(s) for s in scenarios)),
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


def write_compare_report(
    comparison: Comparison,
    scenarios: Sequence[ScenarioDoc],
    runs: Sequence[Run],
    path: Path,
) -> None:
    """compare.html (`chargenet compare`)."""
    html.write(compare_page(comparison, scenarios, runs), path)
