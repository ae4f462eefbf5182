"""What the run report shows: a pure function from a run's summary and records to a Page of
charts and tables (simulator.reports.page). Nothing is drawn here.

The tables take their numbers from summary.json's own text (`to_json`), so that they hold
exactly the same numbers; every column is a catalogue metric (simulator.reports.catalogue).
The experiment reports (compare, sweep) are built above this package, by the experiment
package's `pages` module: reports never import experiments.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from simulator.reports.catalogue import Metric, info
from simulator.reports.charts import Bars, Lines, Series
from simulator.reports.metrics import wait_bin_labels
from simulator.reports.page import Cell, Page, Section, Table
from simulator.reports.summary import Summary, to_json

__all__ = [
    "BRAND_COLUMNS",
    "HOURS",
    "MONEY_COLUMNS",
    "NETWORK_COLUMNS",
    "PARTNER_COLUMNS",
    "SITE_COLUMNS",
    "WAIT_COLUMNS",
    "run_page",
]

HOURS = tuple(range(24))
ALL = "all"
M = Metric


# --- a run --------------------------------------------------------------------------------


def run_page(summary: Summary) -> Page:
    data: dict[str, Any] = json.loads(to_json(summary))
    networks: dict[str, Any] = data["networks"]
    groups = {**networks, ALL: data["totals"]}
    sites: dict[str, Any] = data["sites"]
    brands: dict[str, Any] = data["brands"]
    labels, shares = wait_bin_labels(), tuple(data["totals"][info(M.WAIT_DISTRIBUTION).key])

    def bars_of(
        title: str, table: Mapping[str, Any], metrics: Sequence[Metric], axis: str, **kw: Any
    ) -> Bars:
        return Bars(
            title,
            tuple(table),
            tuple(
                Series(info(m).label, tuple(_get(g, m) for g in table.values())) for m in metrics
            ),
            axis,
            **kw,
        )

    partner_split = {
        name: g for name, g in groups.items() if g.get("partner") and g.get("non_partner")
    }

    def split_bars(metric: Metric) -> Bars:
        return Bars(
            f"{info(metric).label}: partner vs non-partner",
            tuple(partner_split),
            tuple(
                Series(
                    seg.replace("_", "-"),
                    tuple(_get(g[seg], metric) for g in partner_split.values()),
                )
                for seg in ("partner", "non_partner")
            ),
            info(metric).axis,
            share=info(metric).share,
        )

    sections = (
        Section(
            "Utilization by network",
            "Occupancy: share of port time with a car plugged in; dispensing: share drawing "
            "power; energy utilization: energy delivered over what the ports could deliver.",
            charts=(
                bars_of(
                    "Utilization by network",
                    groups,
                    (M.OCCUPANCY_UTILIZATION, M.DISPENSING_UTILIZATION, M.ENERGY_UTILIZATION),
                    "utilization (% of port time or capacity)",
                    share=True,
                ),
            ),
            tables=(_summary_table("Networks", groups, NETWORK_COLUMNS),),
        ),
        Section(
            "Utilization by site",
            charts=(
                bars_of(
                    "Utilization by site",
                    sites,
                    (M.OCCUPANCY_UTILIZATION, M.DISPENSING_UTILIZATION),
                    "utilization (% of port time)",
                    share=True,
                    horizontal=True,
                ),
            ),
            tables=(_summary_table("Sites", sites, SITE_COLUMNS),),
        ),
        Section(
            "Hourly occupancy profile",
            "Mean share of ports occupied in each hour of the day, over the measurement window.",
            charts=(
                Lines(
                    "Hourly occupancy by network",
                    HOURS,
                    "hour of day (h)",
                    tuple(
                        Series(name, tuple(g.get(info(M.HOURLY_OCCUPANCY).key, [0.0] * 24)))
                        for name, g in groups.items()
                    ),
                    "occupancy (% of ports)",
                    share=True,
                ),
            ),
        ),
        Section(
            "Waiting",
            "Wait from arrival at a site to plugging in, for every driver who joined a site.",
            charts=(
                Bars(
                    "Wait-time distribution",
                    labels,
                    (Series("drivers", shares),),
                    "drivers who joined a site (%)",
                    share=True,
                    category_axis="wait (min)",
                ),
                bars_of(
                    "Mean and 95th percentile wait by network",
                    groups,
                    (M.MEAN_WAIT_MIN, M.P95_WAIT_MIN),
                    "wait (min)",
                ),
            ),
            tables=(_summary_table("Waiting", groups, WAIT_COLUMNS),),
        ),
        Section(
            "Brands: turned away and gave up",
            "Turned away: found no usable site or a full queue; gave up: left while waiting.",
            charts=(
                bars_of(
                    "Turned away and gave up by brand",
                    brands,
                    (M.TURNED_AWAY_SHARE, M.GAVE_UP_SHARE),
                    "arrivals (%)",
                    share=True,
                ),
            ),
            tables=(_summary_table("Brands", brands, BRAND_COLUMNS),),
        ),
        Section(
            "Energy and revenue",
            "Revenue is what the network earns: energy sales, idle fees and automakers' "
            "settlements for their drivers' perks.",
            charts=(
                bars_of("Energy by network", networks, (M.ENERGY_KWH,), "energy (kWh)"),
                bars_of(
                    "Revenue by network",
                    networks,
                    (M.ENERGY_REVENUE, M.IDLE_FEES, M.SETTLEMENTS, M.REVENUE),
                    "revenue ($)",
                ),
                bars_of("Energy by brand", brands, (M.ENERGY_KWH,), "energy (kWh)"),
                bars_of(
                    "Driver spend and perks by brand",
                    brands,
                    (M.DRIVER_SPEND, M.PERKS_GIVEN),
                    "money ($)",
                ),
            ),
            tables=(_summary_table("Energy and money", groups, MONEY_COLUMNS),),
        ),
        Section(
            "Partner vs non-partner",
            "Partner: the driver's brand has a deal or membership with the network charged at.",
            charts=tuple(
                split_bars(m) for m in (M.ARRIVALS, M.ENERGY_KWH, M.MEAN_WAIT_MIN, M.DRIVER_SPEND)
            ),
            tables=(
                _summary_table(
                    "Partner vs non-partner",
                    {
                        f"{name} {seg.replace('_', '-')}": g[seg]
                        for name, g in partner_split.items()
                        for seg in ("partner", "non_partner")
                    },
                    PARTNER_COLUMNS,
                ),
            ),
        ),
    )
    return Page(
        title=f"{data['scenario']}: run report",
        kind="run",
        facts=(
            ("scenario", data["scenario"]),
            ("seed", str(data["seed"])),
            ("measured days", f"{data['days']:g}"),
            ("warm-up days", f"{data['warmup_days']:g}"),
            ("arrivals", f"{data['totals'][info(M.ARRIVALS).key]:,}"),
            (
                "occupancy",
                info(M.OCCUPANCY_UTILIZATION).text(
                    data["totals"].get(info(M.OCCUPANCY_UTILIZATION).key)
                ),
            ),
        ),
        sections=sections,
    )


NETWORK_COLUMNS: tuple[Metric, ...] = (
    M.PORTS,
    M.OCCUPANCY_UTILIZATION,
    M.DISPENSING_UTILIZATION,
    M.ENERGY_UTILIZATION,
    M.SESSIONS_PER_PORT_PER_DAY,
    M.KWH_PER_PORT_PER_DAY,
    M.UPTIME,
    M.PEAK_KW,
)
SITE_COLUMNS: tuple[Metric, ...] = (
    M.PORTS,
    M.OCCUPANCY_UTILIZATION,
    M.DISPENSING_UTILIZATION,
    M.P_WAIT,
    M.MEAN_WAIT_MIN,
    M.ENERGY_KWH,
    M.REVENUE,
)
WAIT_COLUMNS: tuple[Metric, ...] = (
    M.ARRIVALS,
    M.SERVED,
    M.P_WAIT,
    M.MEAN_WAIT_MIN,
    M.P95_WAIT_MIN,
    M.TURNED_AWAY_SHARE,
    M.GAVE_UP_SHARE,
)
BRAND_COLUMNS: tuple[Metric, ...] = (
    M.ARRIVALS,
    M.SERVED,
    M.TURNED_AWAY_SHARE,
    M.GAVE_UP_SHARE,
    M.P_WAIT,
    M.MEAN_WAIT_MIN,
    M.MEAN_ENERGY_PER_SESSION_KWH,
    M.ENERGY_KWH,
    M.DRIVER_SPEND,
    M.PERKS_GIVEN,
    M.FREE_SESSIONS,
)
MONEY_COLUMNS: tuple[Metric, ...] = (
    M.ENERGY_KWH,
    M.ENERGY_REVENUE,
    M.IDLE_FEES,
    M.ROAMING_FEES,
    M.SETTLEMENTS,
    M.REVENUE,
    M.DRIVER_SPEND,
    M.PERKS_GIVEN,
)
PARTNER_COLUMNS: tuple[Metric, ...] = (
    M.ARRIVALS,
    M.SERVED,
    M.P_WAIT,
    M.MEAN_WAIT_MIN,
    M.ENERGY_KWH,
    M.DRIVER_SPEND,
    M.PERKS_GIVEN,
    M.FREE_SESSIONS,
)


def _summary_table(title: str, groups: Mapping[str, Any], metrics: Sequence[Metric]) -> Table:
    columns = ("", *(info(m).axis for m in metrics))
    rows = tuple(
        (Cell(name), *(_value_cell(g.get(info(m).key), m) for m in metrics))
        for name, g in groups.items()
    )
    return Table(title, columns, rows, note="The numbers of summary.json (shares in %).")


def _value_cell(value: float | None, metric: Metric) -> Cell:
    if value is None:
        return Cell("")
    return Cell(info(metric).text(value), float(value))


def _get(group: Mapping[str, Any], metric: Metric) -> float:
    value = group.get(info(metric).key)
    return math.nan if value is None else float(value)
