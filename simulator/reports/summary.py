"""The summary document (summary.json): every metric per network, site, brand, port and in total.

The pydantic models are the document's schema: they name and document every key, and refuse
a metric that the models do not know. `Metrics` is checked against the metric catalogue
(`simulator.reports.catalogue`) at import, and filled from the typed values of
`simulator.reports.metrics` through it (which is where `uptime` becomes `uptime_pct`, x 100).
Floats are rounded so that the same scenario and seed give byte-identical files.
"""

from __future__ import annotations

import csv
import gc
import io
import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from simulator.model.records import Outcome, Records, SessionRecord
from simulator.model.world import Deal, GridLimit, World
from simulator.reports import chargex as cx
from simulator.reports import grid as gr
from simulator.reports import metrics as m
from simulator.reports import over_time as ot
from simulator.reports import session_columns as sc
from simulator.reports import use_spec as us
from simulator.reports.catalogue import CATALOGUE, check_fields, document_values
from simulator.reports.metrics import DriverMetrics, PortInfo, PortMetrics

__all__ = [
    "DIGITS",
    "SESSION_FIELDS",
    "Metrics",
    "Summary",
    "port_infos",
    "sessions_csv",
    "site_grids",
    "start_of_day",
    "summarize",
    "to_json",
]

DIGITS = 6


class Metrics(BaseModel):
    """What drivers experienced (all groups) and how ports were used (groups of ports)."""

    model_config = ConfigDict(extra="forbid")

    arrivals: int
    served: int
    turned_away: int
    gave_up: int
    on_site_at_end: int
    turned_away_share: float
    gave_up_share: float
    p_wait: float
    mean_wait_min: float
    p95_wait_min: float
    wait_distribution: list[float]
    """Shares of the drivers who joined a site by wait: no wait, 0–5, 5–10, 10–15, 15–20,
    20–30, 30–45, 45–60 and over 60 minutes."""
    mean_charge_min: float
    mean_energy_per_session_kwh: float
    energy_kwh: float
    driver_spend: float
    energy_revenue: float
    idle_fees: float
    roaming_fees: float
    settlements: float
    revenue: float
    perks_given: float
    free_sessions: int
    # groups of ports only
    ports: int | None = None
    occupancy_utilization: float | None = None
    dispensing_utilization: float | None = None
    energy_utilization: float | None = None
    uptime_pct: float | None = None
    sessions_per_port_per_day: float | None = None
    kwh_per_port_per_day: float | None = None
    dispensed_kwh: float | None = None
    peak_kw: float | None = None
    hourly_occupancy: list[float] | None = None
    network: str | None = None
    partner: Metrics | None = None
    non_partner: Metrics | None = None


check_fields(
    Metrics, tuple(CATALOGUE.values()), keys=True, then=("network", "partner", "non_partner")
)


def _metrics(drivers: DriverMetrics, ports: PortMetrics | None = None) -> Metrics:
    values = document_values(drivers)
    if ports is not None:
        values |= document_values(ports)
    return Metrics(**values)


class UseSpecMetrics(BaseModel):
    """The EV Charging Use Specification's measures of a group of ports (simulator.reports.
    use_spec): its metric names, hours and percent."""

    model_config = ConfigDict(extra="forbid")

    ports: int
    session_count: int
    energy_delivered_kwh: float
    time_occupied_h: float
    time_charging_h: float
    time_idle_h: float
    available_h: float
    occupied_utilization_rate_pct: float
    station_utilization_rate_pct: float
    idle_utilization_rate_pct: float
    capacity_factor_pct: float
    site_congestion_rate_pct: float | None = None
    """Sites; the mean over its sites for a network and the totals; not for a port."""


class UseSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    specification: str
    operating_hours: float
    totals: UseSpecMetrics
    networks: dict[str, UseSpecMetrics]
    sites: dict[str, UseSpecMetrics]
    ports: dict[str, UseSpecMetrics]


class ChargeXMetrics(BaseModel):
    """ChargeX's customer-focused KPIs of a group's visits (simulator.reports.chargex)."""

    model_config = ConfigDict(extra="forbid")

    visits: int
    visits_with_attempt: int
    attempts: int
    first_attempt_successes: int
    troubled_successes: int
    visits_without_charge: int
    first_attempt_success_rate_pct: float
    attempts_per_visit: float
    visits_without_charge_pct: float
    without_charge_reasons: dict[str, int]


class ChargeX(BaseModel):
    model_config = ConfigDict(extra="forbid")

    definition: str
    totals: ChargeXMetrics
    networks: dict[str, ChargeXMetrics]
    sites: dict[str, ChargeXMetrics]
    brands: dict[str, ChargeXMetrics]


class Method(BaseModel):
    """How the numbers were made, as far as the same scenario and seed always give it: the
    engine, version, run time and machine vary between runs and are in method.json
    (simulator.reports.method), never here."""

    model_config = ConfigDict(extra="forbid")

    seeds: list[int]
    replications: int
    warmup_days: float
    horizon_days: float
    measured_days: float
    measured_from: str
    """Arrivals from the warm-up on; port time, energy and power clipped to the window."""
    intervals: str


class FinePrint(BaseModel):
    """A deal with fine print (deals.min_interval_min): the served sessions after the warm-up
    its perk paid for and those it refused (the driver paid)."""

    model_config = ConfigDict(extra="forbid")

    brand: str
    network: str
    min_interval_min: float
    granted: int
    refused: int


class Summary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenario: str
    seed: int
    days: float
    warmup_days: float
    totals: Metrics
    networks: dict[str, Metrics]
    sites: dict[str, Metrics]
    brands: dict[str, Metrics]
    ports: dict[str, Metrics]
    ev_charging_use_spec: UseSpec | None = None
    chargex: ChargeX | None = None
    grid: gr.Grid | None = None
    """What the sites' grid limits (and charging profiles) did: only when there were any."""
    method: Method | None = None
    network_names: dict[str, str] | None = None
    """Each network's display name (the scenario's `name`, else its id), by id."""
    day_by_day: DayByDay | None = None
    perk_fine_print: list[FinePrint] | None = None
    """Only in a run with a deal that has fine print."""


class DayMetrics(BaseModel):
    """A group of ports day by day (simulator.reports.over_time): one entry a day."""

    model_config = ConfigDict(extra="forbid")

    occupancy: list[float]
    mean_waiting: list[float]
    max_waiting: list[int]


class DayByDay(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: list[float]
    """Each day's start, in days from the end of the warm-up (the last may be partial)."""
    totals: DayMetrics
    networks: dict[str, DayMetrics]


MEASURED_FROM = (
    "arrivals after the warm-up, port time and energy clipped to the window; use-spec "
    "sessions by plug-in time"
)
ONE_RUN_INTERVALS = "none: one run (chargenet compare and sweep give 95% intervals)"


def _use_spec_metrics(x: us.UseSpecMeasures) -> UseSpecMetrics:
    return UseSpecMetrics(
        ports=x.ports,
        session_count=x.session_count,
        energy_delivered_kwh=x.energy_delivered_kwh,
        time_occupied_h=x.time_occupied_h,
        time_charging_h=x.time_charging_h,
        time_idle_h=x.time_idle_h,
        available_h=x.available_h,
        occupied_utilization_rate_pct=100 * x.occupied_utilization_rate,
        station_utilization_rate_pct=100 * x.station_utilization_rate,
        idle_utilization_rate_pct=100 * x.idle_utilization_rate,
        capacity_factor_pct=100 * x.capacity_factor,
        site_congestion_rate_pct=(
            None if x.site_congestion_rate is None else 100 * x.site_congestion_rate
        ),
    )


def _chargex_metrics(x: cx.ChargeXMeasures) -> ChargeXMetrics:
    return ChargeXMetrics(
        visits=x.visits,
        visits_with_attempt=x.visits_with_attempt,
        attempts=x.attempts,
        first_attempt_successes=x.first_attempt_successes,
        troubled_successes=x.troubled_successes,
        visits_without_charge=x.visits_without_charge,
        first_attempt_success_rate_pct=100 * x.first_attempt_success_rate,
        attempts_per_visit=x.attempts_per_visit,
        visits_without_charge_pct=100 * x.visits_without_charge_share,
        without_charge_reasons=dict(x.without_charge_reasons),
    )


def use_spec_block(
    records: Records, ports: Sequence[PortInfo], window: tuple[float, float]
) -> UseSpec:
    columns = us.spec_columns(records.sessions, records.segments, window)
    congestion = us.site_rates(ports, columns, window)
    by_port = columns.rows_by_port()
    nothing = np.empty(0, dtype=np.intp)

    def of(group: Sequence[PortInfo], rate: float | None) -> UseSpecMetrics:
        rows = [by_port.get(p.id, nothing) for p in group]
        group_rows = np.concatenate(rows) if rows else nothing
        return _use_spec_metrics(
            us.group_measures(group, columns, group_rows, window, congestion=rate)
        )

    def sites_of(group: Sequence[PortInfo]) -> list[float]:
        return [congestion[site] for site in dict.fromkeys(p.site for p in group)]

    networks = {}
    for n in dict.fromkeys(p.network for p in ports):
        group = [p for p in ports if p.network == n]
        networks[n] = of(group, us.mean(sites_of(group)))
    return UseSpec(
        specification=us.SPECIFICATION,
        operating_hours=us.OPERATING_HOURS,
        totals=of(ports, us.mean(sites_of(ports))),
        networks=networks,
        sites={
            site: of([p for p in ports if p.site == site], rate)
            for site, rate in congestion.items()
        },
        ports={p.id: of([p], None) for p in ports},
    )


def chargex_block(sessions: Sequence[SessionRecord], ports: Sequence[PortInfo]) -> ChargeX:
    totals, networks, sites, brands = cx.grouped(sessions)
    nothing = cx.measures(())

    def each(
        measured: Mapping[str, cx.ChargeXMeasures], ids: Iterable[str]
    ) -> dict[str, ChargeXMetrics]:
        return {i: _chargex_metrics(measured.get(i, nothing)) for i in ids}

    return ChargeX(
        definition=cx.DEFINITION,
        totals=_chargex_metrics(totals),
        networks=each(networks, dict.fromkeys(p.network for p in ports)),
        sites=each(sites, dict.fromkeys(p.site for p in ports)),
        brands=each(brands, sorted({s.brand for s in sessions})),
    )


def fine_print_block(
    sessions: Sequence[SessionRecord], deals: Sequence[Deal]
) -> list[FinePrint] | None:
    """Each fine-printed deal's granted and refused sessions (None: no deal has fine print)."""
    printed = [d for d in deals if d.min_interval_s is not None]
    if not printed:
        return None
    out = []
    for d in printed:
        at = [
            s
            for s in sessions
            if s.outcome is Outcome.SERVED and s.brand == d.brand and s.network == d.network
        ]
        assert d.min_interval_s is not None
        out.append(
            FinePrint(
                brand=d.brand,
                network=d.network,
                min_interval_min=d.min_interval_s / 60.0,
                granted=sum(1 for s in at if s.free and not s.perk_refused),
                refused=sum(1 for s in at if s.perk_refused),
            )
        )
    return out


def summarize(
    records: Records,
    ports: Sequence[PortInfo],
    *,
    scenario: str,
    seed: int,
    network_names: Mapping[str, str] | None = None,
    deals: Sequence[Deal] = (),
    grids: Mapping[str, GridLimit] | None = None,
    start_of_day_s: float = 0.0,
) -> Summary:
    """The summary of a run's records; `deals` (the world's) give the fine print's block;
    `grids`: the sites' grid limits by site id, whose schedules start at `start_of_day_s`
    (the time of day at t = 0)."""
    # the cyclic collector would walk every record again and again, the more the longer the
    # run (a quarter of a 280-day summary's CPU, docs/benchmarks.md); the summary's garbage goes
    # by reference count, and a cycle, if any, waits for the next collection
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _summarize(
            records,
            ports,
            scenario=scenario,
            seed=seed,
            network_names=network_names,
            deals=deals,
            grids=grids,
            start_of_day_s=start_of_day_s,
        )
    finally:
        if was_enabled:
            gc.enable()


def _summarize(
    records: Records,
    ports: Sequence[PortInfo],
    *,
    scenario: str,
    seed: int,
    network_names: Mapping[str, str] | None,
    deals: Sequence[Deal],
    grids: Mapping[str, GridLimit] | None,
    start_of_day_s: float,
) -> Summary:
    window = (records.warmup_s, records.horizon_s)
    sessions = m.in_window(records)
    by_site: dict[str, list[SessionRecord]] = defaultdict(list)
    by_port: dict[str, list[SessionRecord]] = defaultdict(list)
    # each group's sessions as row numbers into the columns, read from the records once
    rows: dict[tuple[str, str], list[int]] = defaultdict(list)
    for row, s in enumerate(sessions):
        rows["brand", s.brand].append(row)
        if s.network:
            by_site[s.site].append(s)
            rows["network", s.network].append(row)
            rows["site", s.site].append(row)
        if s.port:
            by_port[s.port].append(s)
            rows["port", s.port].append(row)
    columns = sc.columns(sessions)

    def drivers(group_rows: Sequence[int] | np.ndarray) -> DriverMetrics:
        return sc.driver_metrics(columns, np.asarray(group_rows, dtype=np.intp))

    # index intervals and segments by port once
    intervals = defaultdict(list)
    for i in records.intervals:
        intervals[i.port].append(i)
    segments = defaultdict(list)
    for seg in records.segments:
        segments[seg.port].append(seg)

    # each port's use once; a group's is folded from its ports' (its peak is its own)
    uses = {
        p.id: m.port_use(
            p,
            intervals.get(p.id, ()),
            segments.get(p.id, ()),
            sum(1 for s in by_port.get(p.id, ()) if s.outcome is Outcome.SERVED),
            window,
        )
        for p in ports
    }

    seg_columns = {p.id: m.segment_columns(segments.get(p.id, ())) for p in ports}

    def of_ports(group: Sequence[PortInfo], group_rows: Sequence[int] | np.ndarray) -> Metrics:
        peak = m.peak_kw_of(
            np.hstack([seg_columns[p.id] for p in group] or [np.empty((3, 0))]), window
        )
        use = uses[group[0].id] if len(group) == 1 else m.fold([uses[p.id] for p in group])
        return _metrics(drivers(group_rows), m.use_metrics(use, peak, window))

    def with_partners(metrics: Metrics, group_rows: Sequence[int] | np.ndarray) -> Metrics:
        at = np.asarray(group_rows, dtype=np.intp)
        partner = columns.partner[at]
        metrics.partner = _metrics(drivers(at[partner]))
        metrics.non_partner = _metrics(drivers(at[~partner]))
        return metrics

    network_ids = sorted({p.network for p in ports}, key=[p.network for p in ports].index)
    site_ids = sorted({p.site for p in ports}, key=[p.site for p in ports].index)
    networks = {
        n: with_partners(
            of_ports([p for p in ports if p.network == n], rows["network", n]),
            rows["network", n],
        )
        for n in network_ids
    }
    sites = {}
    for site_id in site_ids:
        group = [p for p in ports if p.site == site_id]
        metrics = of_ports(group, rows["site", site_id])
        metrics.network = group[0].network
        sites[site_id] = metrics
    summary = Summary(
        scenario=scenario,
        seed=seed,
        days=(records.horizon_s - records.warmup_s) / m.DAY_S,
        warmup_days=records.warmup_s / m.DAY_S,
        totals=with_partners(of_ports(ports, range(len(sessions))), range(len(sessions))),
        networks=networks,
        sites=sites,
        brands={
            b: _metrics(drivers(rows["brand", b]))
            for b in sorted(key for kind, key in rows if kind == "brand")
        },
        ports={p.id: of_ports([p], rows["port", p.id]) for p in ports},
        ev_charging_use_spec=use_spec_block(records, ports, window),
        chargex=chargex_block(sessions, ports),
        grid=gr.grid_block(
            records,
            ports,
            {site: sum(1 for s in group if s.energy_kwh > 0) for site, group in by_site.items()},
            grids or {},
            start_of_day_s,
        ),
        method=Method(
            seeds=[seed],
            replications=1,
            warmup_days=records.warmup_s / m.DAY_S,
            horizon_days=records.horizon_s / m.DAY_S,
            measured_days=(records.horizon_s - records.warmup_s) / m.DAY_S,
            measured_from=MEASURED_FROM,
            intervals=ONE_RUN_INTERVALS,
        ),
        network_names=None if network_names is None else dict(network_names),
        day_by_day=_day_by_day(records, ports, network_ids, window),
        perk_fine_print=fine_print_block(sessions, deals),
    )
    return summary


def _day_by_day(
    records: Records,
    ports: Sequence[PortInfo],
    networks: Sequence[str],
    window: tuple[float, float],
) -> DayByDay:
    def of(ids: set[str], sessions: Sequence[SessionRecord]) -> DayMetrics:
        intervals = [i for i in records.intervals if i.port in ids]
        view = ot.day_by_day(len(ids), intervals, sessions, window)
        return DayMetrics(
            occupancy=list(view.occupancy),
            mean_waiting=list(view.mean_waiting),
            max_waiting=list(view.max_waiting),
        )

    return DayByDay(
        days=[(t - window[0]) / m.DAY_S for t in ot.day_edges(window)[:-1]],
        totals=of({p.id for p in ports}, records.sessions),
        networks={
            n: of(
                {p.id for p in ports if p.network == n},
                [s for s in records.sessions if s.network == n],
            )
            for n in networks
        },
    )


def to_json(summary: Summary, unseen: Collection[str] = ()) -> str:
    """The byte-stable text of summary.json; `unseen` metrics (keys) are null in every group:
    what a central system's store cannot tell (simulator.ocpp.store_reader.UNSEEN)."""
    data = _round(summary.model_dump(exclude_none=True))
    if unseen:
        groups = [data["totals"]]
        groups += [
            g for scope in ("networks", "sites", "brands", "ports") for g in data[scope].values()
        ]
        days = data.get("day_by_day")
        if days is not None:
            groups += [days["totals"], *days["networks"].values()]
        for group in groups:
            for g in (group, group.get("partner"), group.get("non_partner")):
                if g is not None:
                    g.update((key, None) for key in unseen if key in g)
    return json.dumps(data, indent=2) + "\n"


SESSION_FIELDS: tuple[str, ...] = (
    "arrival_s",
    "vehicle",
    "brand",
    "driver",
    "outcome",
    "reason",
    "network",
    "site",
    "port",
    "partner",
    "free",
    "perk_refused",
    "adapter_kw",
    "wait_s",
    "start_s",
    "charge_end_s",
    "depart_s",
    "soc_start",
    "soc_end",
    "energy_kwh",
    "energy_cost",
    "idle_fee",
    "roaming_fee",
    "settlement",
    "paid_by",
    "perk_value",
    "price_paid",
)
"""The columns of sessions.csv, in order: every field of SessionRecord, and what it computes."""
_COMPUTED_FIELDS = ("price_paid",)
if sorted(SESSION_FIELDS) != sorted((*SessionRecord._fields, *_COMPUTED_FIELDS)):
    raise TypeError("SESSION_FIELDS does not hold every field of SessionRecord exactly once")
START_S = SESSION_FIELDS.index("start_s")
CHARGE_END_S = SESSION_FIELDS.index("charge_end_s")


def sessions_csv(records: Records) -> str:
    """One row per arrival; an empty field where a time has no value (see docs/outputs.md)."""
    fields = SESSION_FIELDS
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(fields)
    for s in records.sessions:
        row = [_cell(getattr(s, f)) for f in fields]
        # the record holds 0.0 where a time has no value; the file says so with an empty field
        if not s.port:  # never plugged in: turned away, gave up, still waiting
            row[START_S] = ""
        if s.outcome is not Outcome.SERVED:  # no charge, or not over when the run ended
            row[CHARGE_END_S] = ""
        writer.writerow(row)
    return out.getvalue()


def _cell(value: object) -> object:
    if isinstance(value, float):
        return round(value, DIGITS)
    if isinstance(value, bool):
        return int(value)
    return value


def _round(value: Any) -> Any:
    if isinstance(value, float):
        r = round(value, DIGITS)
        return 0.0 if r == 0 else r
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v) for v in value]
    return value


def port_infos(world: World) -> list[PortInfo]:
    """The ports of a built world, as the metrics see them."""
    return [PortInfo(p.id, p.site, p.network, p.power_kw) for p in world.ports]


def site_grids(world: World) -> dict[str, GridLimit]:
    """The grid limits of a built world's sites, by site id."""
    return {s.id: s.grid for s in world.sites if s.grid is not None}


def start_of_day(world: World) -> float:
    """The time of day at t = 0, in seconds: where the grid schedules start."""
    start = world.start
    return start.hour * 3600.0 + start.minute * 60.0 + start.second
