"""Metrics: pure functions of records (sessions, port-state intervals, power segments).

Nothing here knows where the records came from: the engine's ground truth and what a central
system stored go through the same functions. Only the measurement window [warm-up, horizon]
counts: sessions by their arrival, intervals and power clipped to it.

The functions return typed values, `DriverMetrics` and `PortMetrics`, whose fields are the
metrics of `simulator.reports.catalogue` (checked when the catalogue is imported). Every share
is on 0..1 here, uptime included; the catalogue scales a value for summary.json where the
document's key says so (`uptime_pct` = `uptime` x 100).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from simulator.model.records import (
    Outcome,
    PortInterval,
    PortState,
    PowerSegment,
    Records,
    SessionRecord,
)

__all__ = [
    "DAY_S",
    "PEAK_WINDOW_S",
    "WAIT_BINS_MIN",
    "DriverMetrics",
    "PortInfo",
    "PortMetrics",
    "PortUse",
    "fold",
    "hourly_occupancy",
    "in_window",
    "peak_kw",
    "peak_kw_of",
    "port_metrics",
    "port_use",
    "segment_columns",
    "session_metrics",
    "use_metrics",
    "wait_bin_labels",
    "wait_distribution",
]

DAY_S = 86_400.0
PEAK_WINDOW_S = 60.0  # peak power is the highest mean over one minute
WAIT_BINS_MIN = (0.0, 5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0)
"""Edges of the wait-time histogram; waits of exactly zero get a bar of their own."""


def wait_bin_labels() -> tuple[str, ...]:
    """no wait, 0–5, 5–10, ..., > 60 (minutes): one per share of `wait_distribution`."""
    inner = [f"{a:g}–{b:g}" for a, b in itertools.pairwise(WAIT_BINS_MIN)]
    return ("no wait", *inner, f"> {WAIT_BINS_MIN[-1]:g}")


def wait_distribution(waits_min: np.ndarray) -> list[float]:
    """Shares of these waits in each bin of `wait_bin_labels()`."""
    if not len(waits_min):
        return [0.0] * (len(WAIT_BINS_MIN) + 1)
    zero = waits_min <= 0
    # bins are (a, b]: a wait of exactly 5 min is in 0–5
    index = np.searchsorted(np.asarray(WAIT_BINS_MIN[1:]), waits_min[~zero], side="left")
    counts = np.bincount(index, minlength=len(WAIT_BINS_MIN))
    return [float(zero.sum()) / len(waits_min), *(counts / len(waits_min)).tolist()]


@dataclass(frozen=True, slots=True)
class PortInfo:
    id: str
    site: str
    network: str
    power_kw: float


@dataclass(frozen=True, slots=True)
class DriverMetrics:
    """What the drivers of a group experienced (every group: totals, networks, sites, brands,
    ports, and the partner split). See docs/outputs.md for each field."""

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
    wait_distribution: tuple[float, ...]
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


@dataclass(frozen=True, slots=True)
class PortMetrics:
    """How a group of ports was used over the window (totals, networks, sites, ports)."""

    ports: int
    occupancy_utilization: float
    dispensing_utilization: float
    energy_utilization: float
    uptime: float
    """A share of port time (0..1), like every share; summary.json shows it x 100."""
    sessions_per_port_per_day: float
    kwh_per_port_per_day: float
    dispensed_kwh: float
    peak_kw: float
    hourly_occupancy: tuple[float, ...]


def session_metrics(sessions: Sequence[SessionRecord]) -> DriverMetrics:
    """What drivers experienced: outcomes, waits, energy and money, over these arrivals."""
    # a visit's failed tries before its last (simulator.model.attempts) are not arrivals
    retried = sum(1 for s in sessions if s.outcome is Outcome.RETRIED)
    arrivals = len(sessions) - retried
    served = [s for s in sessions if s.outcome is Outcome.SERVED]
    turned_away = sum(1 for s in sessions if s.outcome is Outcome.TURNED_AWAY)
    gave_up = sum(1 for s in sessions if s.outcome is Outcome.GAVE_UP)
    on_site = sum(1 for s in sessions if s.outcome is Outcome.ON_SITE)
    # the wait of everyone who joined a site: served, gave up, or still there
    joined = [s for s in sessions if s.outcome is not Outcome.TURNED_AWAY]
    if retried:
        joined = [s for s in joined if s.outcome is not Outcome.RETRIED]
    waits_min = np.array([s.wait_s for s in joined], dtype=float) / 60.0
    charge_min = [(s.charge_end_s - s.start_s) / 60.0 for s in served]
    energy = sum(s.energy_kwh for s in sessions)
    revenue = sum(s.energy_cost + s.idle_fee + s.settlement for s in sessions)
    return DriverMetrics(
        arrivals=arrivals,
        served=len(served),
        turned_away=turned_away,
        gave_up=gave_up,
        on_site_at_end=on_site,
        turned_away_share=_share(turned_away, arrivals),
        gave_up_share=_share(gave_up, arrivals),
        p_wait=float(np.mean(waits_min > 0)) if len(joined) else 0.0,
        mean_wait_min=float(waits_min.mean()) if len(joined) else 0.0,
        p95_wait_min=float(np.percentile(waits_min, 95)) if len(joined) else 0.0,
        wait_distribution=tuple(wait_distribution(waits_min)),
        mean_charge_min=float(np.mean(charge_min)) if served else 0.0,
        mean_energy_per_session_kwh=(
            sum(s.energy_kwh for s in served) / len(served) if served else 0.0
        ),
        energy_kwh=energy,
        driver_spend=sum(s.price_paid for s in sessions),
        energy_revenue=sum(s.energy_cost for s in sessions),
        idle_fees=sum(s.idle_fee for s in sessions),
        roaming_fees=sum(s.roaming_fee for s in sessions),
        settlements=sum(s.settlement for s in sessions),
        revenue=revenue,
        perks_given=sum(s.perk_value for s in sessions),
        free_sessions=sum(1 for s in served if s.free),
    )


@dataclass(frozen=True, slots=True)
class PortUse:
    """The additive part of how a port (or a group of ports) was used over the window: a
    group's PortMetrics are folded from its ports' (`fold`), so that each port's intervals and
    segments are read once however many groups it belongs to. The peak is not additive: it is
    the group's own (`peak_kw`)."""

    ports: int
    power_kw: float
    time_in_s: tuple[float, ...]
    """Seconds in each PortState, in the enum's order."""
    energy_kwh: float
    served: int
    busy_by_hour_s: tuple[float, ...]
    """Seconds occupied (charging or not) in each hour of the day, 0-23."""
    exposure_by_hour_s: tuple[float, ...]
    """Seconds of the window in each hour of the day, times the ports."""


_STATES = tuple(PortState)
_BUSY = (PortState.CHARGING, PortState.OCCUPIED)


def port_use(
    port: PortInfo,
    intervals: Sequence[PortInterval],
    segments: Iterable[PowerSegment],
    served_starts: int,
    window: tuple[float, float],
) -> PortUse:
    """One port's use over the window, from its own intervals and segments."""
    start, end = window
    time_in = dict.fromkeys(_STATES, 0.0)
    for i in intervals:
        time_in[i.state] += _overlap(i.start_s, i.end_s, start, end)
    busy, exposure = _hourly_parts(1, [i for i in intervals if i.state in _BUSY], window)
    return PortUse(
        ports=1,
        power_kw=port.power_kw,
        time_in_s=tuple(time_in.values()),
        energy_kwh=sum(_clipped_energy(s, start, end) for s in segments),
        served=served_starts,
        busy_by_hour_s=busy,
        exposure_by_hour_s=exposure,
    )


def fold(uses: Sequence[PortUse]) -> PortUse:
    """A group's use: the sum of its ports'."""
    return PortUse(
        ports=sum(u.ports for u in uses),
        power_kw=sum(u.power_kw for u in uses),
        time_in_s=tuple(map(sum, zip(*(u.time_in_s for u in uses), strict=True)))
        if uses
        else (0.0,) * len(_STATES),
        energy_kwh=sum(u.energy_kwh for u in uses),
        served=sum(u.served for u in uses),
        busy_by_hour_s=_sum24([u.busy_by_hour_s for u in uses]),
        exposure_by_hour_s=_sum24([u.exposure_by_hour_s for u in uses]),
    )


def _sum24(rows: Sequence[tuple[float, ...]]) -> tuple[float, ...]:
    return tuple(map(sum, zip(*rows, strict=True))) if rows else (0.0,) * 24


def use_metrics(use: PortUse, peak: float, window: tuple[float, float]) -> PortMetrics:
    """A group's PortMetrics from its folded use and its own peak."""
    start, end = window
    span_s = end - start
    n = use.ports
    time_in = dict(zip(_STATES, use.time_in_s, strict=True))
    capacity_kwh = use.power_kw * span_s / 3600.0
    port_s = n * span_s
    days = span_s / DAY_S
    energy = use.energy_kwh
    # an empty window (no ports, or a horizon at or before the warm-up) measures nothing: 0
    return PortMetrics(
        ports=n,
        occupancy_utilization=_ratio(
            time_in[PortState.CHARGING] + time_in[PortState.OCCUPIED], port_s
        ),
        dispensing_utilization=_ratio(time_in[PortState.CHARGING], port_s),
        energy_utilization=_ratio(energy, capacity_kwh),
        uptime=_ratio(port_s - time_in[PortState.DOWN], port_s),
        sessions_per_port_per_day=use.served / n / days if port_s > 0 else 0.0,
        kwh_per_port_per_day=energy / n / days if port_s > 0 else 0.0,
        dispensed_kwh=energy,
        peak_kw=peak,
        hourly_occupancy=tuple(
            b / e if e else 0.0
            for b, e in zip(use.busy_by_hour_s, use.exposure_by_hour_s, strict=True)
        ),
    )


def port_metrics(
    ports: Sequence[PortInfo],
    intervals: Sequence[PortInterval],
    segments: Iterable[PowerSegment],
    served_starts: int,
    window: tuple[float, float],
) -> PortMetrics:
    """How the ports were used over the window: utilization, uptime, energy, peak power and
    the hourly occupancy profile (each port's use folded: `port_use`, `fold`, `use_metrics`)."""
    ids = {p.id for p in ports}
    own_intervals: dict[str, list[PortInterval]] = {p.id: [] for p in ports}
    for i in intervals:
        if i.port in ids:
            own_intervals[i.port].append(i)
    segs = [s for s in segments if s.port in ids]
    own_segments: dict[str, list[PowerSegment]] = {p.id: [] for p in ports}
    for seg in segs:
        own_segments[seg.port].append(seg)
    uses = [port_use(p, own_intervals[p.id], own_segments[p.id], 0, window) for p in ports]
    use = dataclasses.replace(fold(uses), served=served_starts)
    return use_metrics(use, peak_kw(segs, window), window)


def peak_kw(segments: Sequence[PowerSegment], window: tuple[float, float]) -> float:
    """The highest one-minute mean of the summed power (how demand is metered)."""
    return peak_kw_of(segment_columns(segments), window)


def segment_columns(segments: Sequence[PowerSegment]) -> np.ndarray:
    """The segments' (start_s, end_s, energy_kwh) as three rows: a group's peak from its
    ports' columns joined (`peak_kw_of`), each segment read from its record once."""
    return np.array(
        [
            [x.start_s for x in segments],
            [x.end_s for x in segments],
            [x.energy_kwh for x in segments],
        ],
        dtype=float,
    ).reshape(3, len(segments))


def peak_kw_of(columns: np.ndarray, window: tuple[float, float]) -> float:
    """`peak_kw` of the segments in these columns (`segment_columns`)."""
    start, end = window
    if not columns.shape[1] or end <= start:
        return 0.0
    edges = np.arange(start, end + PEAK_WINDOW_S, PEAK_WINDOW_S)
    s, e, energy = columns
    rate = energy / np.maximum(e - s, 1e-9)
    energy_kwh = np.diff(_integral(s, e, rate, edges))
    return float(energy_kwh.max() * 3600.0 / PEAK_WINDOW_S)


def hourly_occupancy(
    ports: Sequence[PortInfo], intervals: Iterable[PortInterval], window: tuple[float, float]
) -> list[float]:
    """Mean share of ports occupied in each hour of the day (0-23), over the window."""
    ids = {p.id for p in ports}
    busy = [i for i in intervals if i.port in ids and i.state in _BUSY]
    if not busy or not ports:
        return [0.0] * 24
    per_hour, exposure = _hourly_parts(len(ports), busy, window)
    return [b / e if e else 0.0 for b, e in zip(per_hour, exposure, strict=True)]


def _hourly_parts(
    n: int, busy: Sequence[PortInterval], window: tuple[float, float]
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(seconds occupied, seconds of window x n ports) in each hour of the day, 0-23."""
    start, end = window
    edges = np.arange(start - start % 3600.0, end + 3600.0, 3600.0)
    lo = np.maximum(edges[:-1], start)
    hi = np.minimum(edges[1:], end)
    hours = ((edges[:-1] % DAY_S) // 3600).astype(int)
    exposure = np.bincount(hours, weights=np.maximum(hi - lo, 0.0) * n, minlength=24)
    if not busy:
        return (0.0,) * 24, tuple(exposure.tolist())
    s = np.array([i.start_s for i in busy])
    e = np.array([i.end_s for i in busy])
    per_hour_s = np.diff(_integral(s, e, np.ones_like(s), edges))
    occupied = np.bincount(hours, weights=per_hour_s, minlength=24)
    return tuple(occupied.tolist()), tuple(exposure.tolist())


def _integral(
    starts: np.ndarray, ends: np.ndarray, rate: np.ndarray, grid: np.ndarray
) -> np.ndarray:
    """Cumulative integral up to each grid point (sorted) of the sum of rate_i on [start_i, end_i).

    sum_i rate_i * (max(g - s_i, 0) - max(g - e_i, 0)), each term by sorting and prefix sums.
    """
    return _ramp(starts, rate, grid) - _ramp(ends, rate, grid)


def _ramp(points: np.ndarray, rate: np.ndarray, grid: np.ndarray) -> np.ndarray:
    order = np.argsort(points, kind="stable")
    p = points[order]
    r = rate[order]
    cum_r = np.concatenate(([0.0], np.cumsum(r)))
    cum_rp = np.concatenate(([0.0], np.cumsum(r * p)))
    # k[j] = #{p <= grid[j]} (searchsorted(p, grid, "right")) for a sorted grid, counted by
    # placing each point on the grid: O(points log grid + grid), not O(grid log points), which
    # grew with the horizon for the one-minute grid of every group's peak
    first = np.searchsorted(grid, p, side="left")
    k = np.cumsum(np.bincount(first, minlength=len(grid) + 1)[: len(grid)])
    return np.asarray(grid * cum_r[k] - cum_rp[k])


def _overlap(a: float, b: float, lo: float, hi: float) -> float:
    return max(0.0, min(b, hi) - max(a, lo))


def _clipped_energy(s: PowerSegment, lo: float, hi: float) -> float:
    if s.start_s >= lo and s.end_s <= hi:
        return s.energy_kwh
    span = s.end_s - s.start_s
    return s.energy_kwh * _overlap(s.start_s, s.end_s, lo, hi) / span if span > 0 else 0.0


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _ratio(part: float, whole: float) -> float:
    """part / whole, 0 over nothing (an empty window or group)."""
    return part / whole if whole > 0 else 0.0


def in_window(records: Records) -> list[SessionRecord]:
    return [s for s in records.sessions if s.arrival_s >= records.warmup_s]
