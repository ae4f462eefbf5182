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
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from simulator.reports.catalogue import Metric, info
from simulator.reports.charts import Bars, Lines, Series
from simulator.reports.day_views import over_time_sections
from simulator.reports.document import Method, Summary
from simulator.reports.grid_view import grid_sections
from simulator.reports.method import RunMethod, method_lines
from simulator.reports.metrics import wait_bin_labels
from simulator.reports.names import display_names
from simulator.reports.page import Cell, Page, Section, Table
from simulator.reports.summary import to_json

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
NA = "n/a"
"""A metric the numbers' source cannot tell (not 0: it was not measured)."""
ALL = "all"
M = Metric


# --- a run --------------------------------------------------------------------------------


def run_page(summary: Summary, run: RunMethod | None = None, unseen: Collection[str] = ()) -> Page:
    """The run report; `run` adds the run's engine, version, run time and machine to its
    method section; `unseen` metrics (keys) are n/a (a central system's store)."""
    data: dict[str, Any] = json.loads(to_json(summary, unseen))
    network_label, site_label = display_names(data)
    networks: dict[str, Any] = {network_label[n]: g for n, g in data["networks"].items()}
    groups = {**networks, ALL: data["totals"]}
    sites: dict[str, Any] = {label: data["sites"][s] for s, label in site_label.items()}
    brands: dict[str, Any] = data["brands"]
    labels = wait_bin_labels()
    shares = tuple(data["totals"][info(M.WAIT_DISTRIBUTION).key] or (math.nan,) * len(labels))

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

    sections: tuple[Section, ...] = (
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
    sections += over_time_sections(data, network_label)
    sections += vocabulary_sections(data)
    sections += grid_sections(data)
    sections += (method_section(summary.method, run),)
    return Page(
        title=f"{data['scenario']}: run report",
        kind="run",
        facts=(
            ("scenario", data["scenario"]),
            ("seed", str(data["seed"])),
            ("measured days", f"{data['days']:g}"),
            ("warm-up days", f"{data['warmup_days']:g}"),
            ("arrivals", _count(data["totals"][info(M.ARRIVALS).key])),
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
    rows = tuple((Cell(name), *(_value_cell(g, m) for m in metrics)) for name, g in groups.items())
    return Table(title, columns, rows, note="The numbers of summary.json (shares in %).")


def _value_cell(group: Mapping[str, Any], metric: Metric) -> Cell:
    """A metric of a group: n/a where it is null (its source cannot tell it), empty where the
    group has no such metric (a brand's ports)."""
    key = info(metric).key
    value = group.get(key)
    if value is None:
        return Cell(NA if key in group else "")
    return Cell(info(metric).text(value), float(value))


def _count(value: int | None) -> str:
    return NA if value is None else f"{value:,}"


def _get(group: Mapping[str, Any], metric: Metric) -> float:
    value = group.get(info(metric).key)
    return math.nan if value is None else float(value)


# --- the industry's vocabulary and the method ----------------------------------------------

USE_SPEC_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("ports", "Port Count", ""),
    ("session_count", "Session Count", ""),
    ("energy_delivered_kwh", "Energy Delivered (kWh)", "kwh"),
    ("time_occupied_h", "Time Occupied (h)", "h"),
    ("time_charging_h", "Time Charging (h)", "h"),
    ("time_idle_h", "Time Idle (h)", "h"),
    ("occupied_utilization_rate_pct", "Occupied Utilization Rate", "%"),
    ("station_utilization_rate_pct", "Station Utilization Rate", "%"),
    ("idle_utilization_rate_pct", "Idle Utilization Rate", "%"),
    ("capacity_factor_pct", "Capacity Factor", "%"),
    ("site_congestion_rate_pct", "Site Congestion Rate", "%"),
)
"""summary.json key, the EV Charging Use Specification's name, unit."""

CHARGEX_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("visits", "visits", ""),
    ("attempts", "charge attempts", ""),
    ("first_attempt_success_rate_pct", "first-attempt success rate", "%"),
    ("attempts_per_visit", "attempts per visit", "x"),
    ("troubled_successes", "troubled successes", ""),
    ("visits_without_charge", "visits without a charge", ""),
    ("visits_without_charge_pct", "visits without a charge (%)", "%"),
)


VISITS_WITHOUT_CHARGE = "Visits without a charge, by reason (all)"


def vocabulary_sections(data: Mapping[str, Any]) -> tuple[Section, ...]:
    """The EV Charging Use Specification's and ChargeX's measures, under their own names."""
    out: list[Section] = []
    network_label, site_label = display_names(data)
    spec = data.get("ev_charging_use_spec")
    if spec is not None:
        groups = {
            **{network_label.get(n, n): g for n, g in spec["networks"].items()},
            ALL: spec["totals"],
        }
        spec_sites = {site_label[s]: spec["sites"][s] for s in site_label if s in spec["sites"]}
        out.append(
            Section(
                "EV Charging Use Specification",
                f"{spec['specification']}: sessions by plug-in time, over the stations' open "
                f"hours ({spec['operating_hours']:g} h a day). Occupied and Station "
                "Utilization Rate differ from occupancy and dispensing above: they sum the "
                "sessions' durations, not the port time in the window (docs/outputs.md).",
                tables=(
                    _named_table("Use Specification by network", groups, USE_SPEC_COLUMNS),
                    _named_table("Use Specification by site", spec_sites, USE_SPEC_COLUMNS),
                ),
            )
        )
    kpis = data.get("chargex")
    if kpis is not None:
        groups = {
            **{network_label.get(n, n): g for n, g in kpis["networks"].items()},
            ALL: kpis["totals"],
        }
        out.append(
            Section(
                "ChargeX customer KPIs",
                f"{kpis['definition']}. First-attempt success rate and attempts per visit are "
                "over the visits that plugged in; the model has no handshake, payment or "
                "communication failures yet, so every visit that plugs in makes one attempt.",
                tables=(
                    _named_table("ChargeX by network", groups, CHARGEX_COLUMNS),
                    _named_table("ChargeX by brand", kpis["brands"], CHARGEX_COLUMNS),
                    _reasons_table(kpis["totals"].get("without_charge_reasons", {})),
                ),
            )
        )
    return tuple(out)


def method_section(method: Method | None, run: RunMethod | None) -> Section:
    return lines_section(
        method_lines(method, run),
        "How these numbers were made. A single run gives no interval; chargenet compare and "
        "sweep replicate with seeds S, S + 1, ... and give 95% t intervals.",
    )


def lines_section(lines: Sequence[tuple[str, str]], intro: str) -> Section:
    """A method section of (label, text) lines (the experiment reports' too)."""
    rows = tuple((Cell(label), Cell(text)) for label, text in lines)
    return Section("Method", intro, tables=(Table("Method", ("", "value"), rows),))


def _named_table(
    title: str, groups: Mapping[str, Any], columns: Sequence[tuple[str, str, str]]
) -> Table:
    rows = tuple(
        (Cell(name), *(_plain_cell(g.get(key), unit) for key, _, unit in columns))
        for name, g in groups.items()
    )
    return Table(
        title,
        ("", *(label for _, label, _ in columns)),
        rows,
        note="The numbers of summary.json; an empty cell is not defined for the group.",
    )


def _reasons_table(reasons: Mapping[str, int]) -> Table:
    rows = tuple((Cell(reason), Cell(str(n), float(n))) for reason, n in reasons.items())
    return Table(VISITS_WITHOUT_CHARGE, ("reason", "visits"), rows)


def _plain_cell(value: float | None, unit: str) -> Cell:
    if value is None:
        return Cell("")
    if unit == "%":
        return Cell(f"{value:.1f}%", float(value))
    if unit == "":
        return Cell(f"{value:,.0f}", float(value))
    if unit == "x":
        return Cell(f"{value:.2f}", float(value))
    return Cell(f"{value:,.1f}", float(value))
