"""The EV Charging Use Specification v1.0 (Atlas Public Policy): its utilization measures,
computed as its Reporting Metrics Reference defines them, as pure functions of the records.

The specification measures sessions, not port states (docs/outputs.md says how this differs
from chargenet's own `occupancy_utilization`):

- a *session* is one plug-in to plug-out on one port; it belongs to the reporting period in
  which it plugged in (its validation's "Date Outside Reporting Period" error), and records the
  validation flags as errors are left out: a session of zero energy or zero length (here: an
  authorization refused at the port);
- *Time Occupied* sums `session_duration` (plug-in to plug-out), *Time Charging* sums
  `charging_duration` (the time energy was flowing: the session's power segments that carry
  energy), *Time Idle* is their difference;
- every rate divides by the *available time*, the stations' open hours over the period
  (chargenet's sites are open around the clock: 24 hours a day per port, outages included);
- *Capacity Factor* is Energy Delivered over power rating x available hours;
- *Site Congestion Rate* is the time all ports of a site are occupied at once over the site's
  available time; defined per site only, and averaged over the sites of a larger group.

A session still plugged in when the run ends counts until the end of the run. Shares are on
0..1 here, like every share in simulator/reports; summary.json holds them in % (`_pct` keys),
as the specification expresses them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from simulator.model.records import PowerSegment, SessionRecord
from simulator.reports.metrics import PortInfo

__all__ = [
    "OPERATING_HOURS",
    "SPECIFICATION",
    "SpecColumns",
    "SpecSession",
    "UseSpecMeasures",
    "charging_durations",
    "group_measures",
    "measures",
    "site_congestion",
    "site_rates",
    "spec_columns",
    "spec_sessions",
]

SPECIFICATION = "EV Charging Use Specification v1.0 (Atlas Public Policy)"
OPERATING_HOURS = 24.0
"""Open hours per day of every chargenet station (the specification's `operating_hours`)."""


@dataclass(frozen=True, slots=True)
class SpecSession:
    """One session as the specification records it (times in seconds of the run)."""

    port: str
    plug_start_s: float
    plug_end_s: float
    charging_duration_s: float
    energy_kwh: float

    @property
    def session_duration_s(self) -> float:
        return self.plug_end_s - self.plug_start_s


@dataclass(frozen=True, slots=True)
class UseSpecMeasures:
    """The specification's measures over a group of ports (a port, a site, a network, all)."""

    ports: int
    session_count: int
    energy_delivered_kwh: float
    time_occupied_h: float
    time_charging_h: float
    time_idle_h: float
    available_h: float
    occupied_utilization_rate: float
    station_utilization_rate: float
    idle_utilization_rate: float
    capacity_factor: float
    site_congestion_rate: float | None
    """Sites, and the mean over the sites of a larger group; None for a single port."""


def charging_durations(
    sessions: Iterable[SessionRecord], segments: Iterable[PowerSegment]
) -> dict[int, float]:
    """Seconds energy flowed during each plugged-in session (by its index in `sessions`):
    its port's power segments that carry energy, clipped to plug-in .. plug-out."""
    plugged = [(k, s) for k, s in enumerate(sessions) if s.port]
    charging = _charging_s(
        [s.port for _, s in plugged],
        np.array([s.start_s for _, s in plugged], dtype=float),
        np.array([s.depart_s for _, s in plugged], dtype=float),
        segments,
    )
    return {k: float(c) for (k, _), c in zip(plugged, charging, strict=True)}


def _charging_s(
    ports: Sequence[str], starts: np.ndarray, departs: np.ndarray, segments: Iterable[PowerSegment]
) -> np.ndarray:
    """`charging_durations` of sessions given as columns: a port holds one session at a time,
    so each segment with energy belongs to its port's last session plugged in at or before
    it starts, clipped to that session; each session's seconds add in segment start order."""
    code = {port: c for c, port in enumerate(dict.fromkeys(ports))}
    session_code = np.array([code[p] for p in ports], dtype=np.intp)
    seg_code, seg_start, seg_end = [], [], []
    for seg in segments:
        c = code.get(seg.port)
        if c is not None and seg.energy_kwh > 0:
            seg_code.append(c)
            seg_start.append(seg.start_s)
            seg_end.append(seg.end_s)
    seg_codes = np.array(seg_code, dtype=np.intp)
    seg_starts = np.array(seg_start, dtype=float)
    seg_ends = np.array(seg_end, dtype=float)
    owner = np.full(len(seg_codes), -1, dtype=np.intp)
    by_session = np.lexsort((starts, session_code))  # stable: by port, then plug-in
    by_segment = np.lexsort((seg_starts, seg_codes))
    s_bounds = np.searchsorted(session_code[by_session], np.arange(len(code) + 1))
    g_bounds = np.searchsorted(seg_codes[by_segment], np.arange(len(code) + 1))
    for c in range(len(code)):
        mine = by_segment[g_bounds[c] : g_bounds[c + 1]]
        theirs = by_session[s_bounds[c] : s_bounds[c + 1]]
        at = np.searchsorted(starts[theirs], seg_starts[mine], side="right") - 1
        owner[mine] = np.where(at >= 0, theirs[np.maximum(at, 0)], -1)
    order = by_segment[owner[by_segment] >= 0]  # segments in port, then start order
    k = owner[order]
    seconds = np.maximum(
        0.0, np.minimum(seg_ends[order], departs[k]) - np.maximum(seg_starts[order], starts[k])
    )
    return np.bincount(k, weights=seconds, minlength=len(ports)).astype(float)


@dataclass(frozen=True, slots=True)
class SpecColumns:
    """`spec_sessions` as columns, in the same order (what the summary reads: each record
    once, in the order it was made, whatever the groups it counts in)."""

    ports: tuple[str, ...]
    plug_start_s: np.ndarray
    plug_end_s: np.ndarray
    charging_duration_s: np.ndarray
    energy_kwh: np.ndarray

    @classmethod
    def of(cls, sessions: Sequence[SpecSession]) -> SpecColumns:
        def column(values: Iterable[float]) -> np.ndarray:
            return np.fromiter(values, dtype=float, count=len(sessions))

        return cls(
            tuple(s.port for s in sessions),
            column(s.plug_start_s for s in sessions),
            column(s.plug_end_s for s in sessions),
            column(s.charging_duration_s for s in sessions),
            column(s.energy_kwh for s in sessions),
        )

    def rows_by_port(self) -> dict[str, np.ndarray]:
        """Each port's rows, in order."""
        rows: dict[str, list[int]] = defaultdict(list)
        for row, port in enumerate(self.ports):
            rows[port].append(row)
        return {port: np.array(r, dtype=np.intp) for port, r in rows.items()}

    def sessions(self) -> list[SpecSession]:
        return [
            SpecSession(port, float(a), float(b), float(c), float(e))
            for port, a, b, c, e in zip(
                self.ports,
                self.plug_start_s,
                self.plug_end_s,
                self.charging_duration_s,
                self.energy_kwh,
                strict=True,
            )
        ]


def spec_columns(
    sessions: Sequence[SessionRecord],
    segments: Iterable[PowerSegment],
    window: tuple[float, float],
) -> SpecColumns:
    """The sessions the specification reports over the window: plugged in within it, with
    energy and length (its validation's errors left out)."""
    start, end = window
    plugged = [
        s for s in sessions if s.port and start <= s.start_s < end and s.depart_s > s.start_s
    ]
    ports = [s.port for s in plugged]
    starts = np.array([s.start_s for s in plugged], dtype=float)
    departs = np.array([s.depart_s for s in plugged], dtype=float)
    energy = np.array([s.energy_kwh for s in plugged], dtype=float)
    charging = _charging_s(ports, starts, departs, segments)
    keep = energy > 0
    return SpecColumns(
        tuple(p for p, k in zip(ports, keep, strict=True) if k),
        starts[keep],
        departs[keep],
        charging[keep],
        energy[keep],
    )


def spec_sessions(
    sessions: Sequence[SessionRecord],
    segments: Iterable[PowerSegment],
    window: tuple[float, float],
) -> list[SpecSession]:
    """`spec_columns` as one record a session."""
    return spec_columns(sessions, segments, window).sessions()


def site_congestion(
    sessions: Iterable[SpecSession], ports: int, window: tuple[float, float]
) -> float:
    """Share of the window during which every one of a site's `ports` held a session."""
    rows = list(sessions)
    return _congestion(
        np.array([s.plug_start_s for s in rows], dtype=float),
        np.array([s.plug_end_s for s in rows], dtype=float),
        ports,
        window,
    )


def _congestion(
    plug_start_s: np.ndarray, plug_end_s: np.ndarray, ports: int, window: tuple[float, float]
) -> float:
    start, end = window
    if ports <= 0 or end <= start:
        return 0.0
    a, b = np.maximum(plug_start_s, start), np.minimum(plug_end_s, end)
    inside = b > a
    times = np.concatenate((a[inside], b[inside]))
    steps = np.concatenate((np.ones(inside.sum(), np.intp), -np.ones(inside.sum(), np.intp)))
    order = np.lexsort((steps, times))  # at one instant an end comes first: touching is not
    times, steps = times[order], steps[order]  # overlap
    busy_before = np.cumsum(steps) - steps
    since = np.concatenate(([start], times[:-1]))
    full = np.where(busy_before >= ports, times - since, 0.0)
    return _sum(full) / (end - start)


def measures(
    ports: Sequence[PortInfo],
    sessions: Sequence[SpecSession],
    window: tuple[float, float],
    *,
    congestion: float | None = None,
) -> UseSpecMeasures:
    """The measures of these ports from their sessions; `congestion` is the group's Site
    Congestion Rate (`site_congestion` for a site, the mean over its sites for more)."""
    ids = {p.id for p in ports}
    columns = SpecColumns.of([s for s in sessions if s.port in ids])
    return group_measures(
        ports, columns, np.arange(len(columns.ports)), window, congestion=congestion
    )


def group_measures(
    ports: Sequence[PortInfo],
    columns: SpecColumns,
    rows: np.ndarray,
    window: tuple[float, float],
    *,
    congestion: float | None = None,
) -> UseSpecMeasures:
    """`measures` of the group whose sessions are these `rows` of `columns` (in order: each
    sum adds them one after the other, as `sum()` would)."""
    span_h = max(window[1] - window[0], 0.0) / 3600.0
    plug_start = columns.plug_start_s[rows]
    occupied_h = _sum(columns.plug_end_s[rows] - plug_start) / 3600.0
    charging_h = _sum(columns.charging_duration_s[rows]) / 3600.0
    idle_h = occupied_h - charging_h
    energy = _sum(columns.energy_kwh[rows])
    available_h = len(ports) * span_h * OPERATING_HOURS / 24.0
    capacity_kwh = sum(p.power_kw for p in ports) * span_h * OPERATING_HOURS / 24.0
    return UseSpecMeasures(
        ports=len(ports),
        session_count=len(rows),
        energy_delivered_kwh=energy,
        time_occupied_h=occupied_h,
        time_charging_h=charging_h,
        time_idle_h=idle_h,
        available_h=available_h,
        occupied_utilization_rate=_ratio(occupied_h, available_h),
        station_utilization_rate=_ratio(charging_h, available_h),
        idle_utilization_rate=_ratio(idle_h, available_h),
        capacity_factor=_ratio(energy, capacity_kwh),
        site_congestion_rate=congestion,
    )


def site_rates(
    ports: Sequence[PortInfo], columns: SpecColumns, window: tuple[float, float]
) -> dict[str, float]:
    """Every site's congestion rate, in the order its ports come."""
    by_site: dict[str, list[PortInfo]] = defaultdict(list)
    for p in ports:
        by_site[p.site].append(p)
    port_site = {p.id: p.site for p in ports}
    rows: dict[str, list[int]] = defaultdict(list)
    for row, port in enumerate(columns.ports):
        if port in port_site:
            rows[port_site[port]].append(row)
    out = {}
    for site, group in by_site.items():
        at = np.array(rows[site], dtype=np.intp)
        out[site] = _congestion(
            columns.plug_start_s[at], columns.plug_end_s[at], len(group), window
        )
    return out


def _sum(values: np.ndarray) -> float:
    """The values added one after the other from the first (`sum()`'s order; np.sum pairs)."""
    return float(np.cumsum(values)[-1]) if len(values) else 0.0


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole > 0 else 0.0
