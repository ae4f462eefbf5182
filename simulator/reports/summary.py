"""The summary document (summary.json): every metric per network, site, brand, port and in total,
computed from a run's records (`summarize`), and the files written from it (`to_json`,
`sessions_csv`). The document's schema is simulator.reports.document; its blocks in the
industry's terms are simulator.reports.summary_blocks. Floats are rounded so that the same
scenario and seed give byte-identical files.
"""

from __future__ import annotations

import csv
import gc
import io
import json
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np

from simulator.model.records import Outcome, Records, SessionRecord
from simulator.model.world import Deal, GridLimit, World
from simulator.reports import grid as gr
from simulator.reports import metrics as m
from simulator.reports import over_time as ot
from simulator.reports import session_columns as sc
from simulator.reports.document import (
    DIGITS,
    MEASURED_FROM,
    ONE_RUN_INTERVALS,
    DayByDay,
    DayMetrics,
    Method,
    Metrics,
    Summary,
    metrics_from,
)
from simulator.reports.metrics import DriverMetrics, PortInfo
from simulator.reports.summary_blocks import chargex_block, fine_print_block, use_spec_block

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
        return metrics_from(drivers(group_rows), m.use_metrics(use, peak, window))

    def with_partners(metrics: Metrics, group_rows: Sequence[int] | np.ndarray) -> Metrics:
        at = np.asarray(group_rows, dtype=np.intp)
        partner = columns.partner[at]
        metrics.partner = metrics_from(drivers(at[partner]))
        metrics.non_partner = metrics_from(drivers(at[~partner]))
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
            b: metrics_from(drivers(rows["brand", b]))
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
