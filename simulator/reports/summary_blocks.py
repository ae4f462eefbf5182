"""The summary's blocks in the industry's terms: the EV Charging Use Specification's measures
(`use_spec_block`), ChargeX's customer KPIs (`chargex_block`) and the deals' fine print
(`fine_print_block`), each from the run's records into its part of the document.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from simulator.model.records import Outcome, Records, SessionRecord
from simulator.model.world import Deal
from simulator.reports import chargex as cx
from simulator.reports import use_spec as us
from simulator.reports.document import (
    ChargeX,
    ChargeXMetrics,
    FinePrint,
    UseSpec,
    UseSpecMetrics,
)
from simulator.reports.metrics import PortInfo

__all__ = ["chargex_block", "fine_print_block", "use_spec_block"]


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
