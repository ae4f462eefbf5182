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

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from simulator.model.records import PowerSegment, SessionRecord
from simulator.reports.metrics import PortInfo

__all__ = [
    "OPERATING_HOURS",
    "SPECIFICATION",
    "SpecSession",
    "UseSpecMeasures",
    "charging_durations",
    "measures",
    "site_congestion",
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
    by_port: dict[str, list[PowerSegment]] = defaultdict(list)
    for seg in segments:
        if seg.energy_kwh > 0:
            by_port[seg.port].append(seg)
    starts: dict[str, list[float]] = {}
    for port, segs in by_port.items():
        segs.sort(key=lambda s: s.start_s)
        starts[port] = [s.start_s for s in segs]
    out: dict[int, float] = {}
    for k, s in enumerate(sessions):
        if not s.port:
            continue
        segs = by_port.get(s.port, [])
        # a port holds one session at a time: the segments inside its plug-in are its own
        first = max(bisect.bisect_right(starts.get(s.port, []), s.start_s) - 1, 0)
        total = 0.0
        for j in range(first, len(segs)):  # by index: a slice would copy the port's rest
            seg = segs[j]
            if seg.start_s >= s.depart_s:
                break
            total += max(0.0, min(seg.end_s, s.depart_s) - max(seg.start_s, s.start_s))
        out[k] = total
    return out


def spec_sessions(
    sessions: Sequence[SessionRecord],
    segments: Iterable[PowerSegment],
    window: tuple[float, float],
) -> list[SpecSession]:
    """The sessions the specification reports over the window: plugged in within it, with
    energy and length (its validation's errors left out)."""
    start, end = window
    plugged = [
        s for s in sessions if s.port and start <= s.start_s < end and s.depart_s > s.start_s
    ]
    charging = charging_durations(plugged, segments)
    return [
        SpecSession(s.port, s.start_s, s.depart_s, charging[k], s.energy_kwh)
        for k, s in enumerate(plugged)
        if s.energy_kwh > 0
    ]


def site_congestion(
    sessions: Iterable[SpecSession], ports: int, window: tuple[float, float]
) -> float:
    """Share of the window during which every one of a site's `ports` held a session."""
    start, end = window
    if ports <= 0 or end <= start:
        return 0.0
    events: list[tuple[float, int]] = []
    for s in sessions:
        a, b = max(s.plug_start_s, start), min(s.plug_end_s, end)
        if b > a:
            events += [(a, 1), (b, -1)]
    events.sort()  # at one instant an end (-1) comes before a start: touching is not overlap
    busy = 0
    full_s = 0.0
    since = start
    for t, step in events:
        if busy >= ports:
            full_s += t - since
        busy += step
        since = t
    return full_s / (end - start)


def measures(
    ports: Sequence[PortInfo],
    sessions: Sequence[SpecSession],
    window: tuple[float, float],
    *,
    congestion: float | None = None,
) -> UseSpecMeasures:
    """The measures of these ports from their sessions; `congestion` is the group's Site
    Congestion Rate (`site_congestion` for a site, the mean over its sites for more)."""
    span_h = max(window[1] - window[0], 0.0) / 3600.0
    ids = {p.id for p in ports}
    mine = [s for s in sessions if s.port in ids]
    occupied_h = sum(s.session_duration_s for s in mine) / 3600.0
    charging_h = sum(s.charging_duration_s for s in mine) / 3600.0
    idle_h = occupied_h - charging_h
    energy = sum(s.energy_kwh for s in mine)
    available_h = len(ports) * span_h * OPERATING_HOURS / 24.0
    capacity_kwh = sum(p.power_kw for p in ports) * span_h * OPERATING_HOURS / 24.0
    return UseSpecMeasures(
        ports=len(ports),
        session_count=len(mine),
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
    ports: Sequence[PortInfo], sessions: Sequence[SpecSession], window: tuple[float, float]
) -> dict[str, float]:
    """Every site's congestion rate, in the order its ports come."""
    by_site: dict[str, list[PortInfo]] = defaultdict(list)
    for p in ports:
        by_site[p.site].append(p)
    port_site = {p.id: p.site for p in ports}
    sessions_of: Mapping[str, list[SpecSession]] = defaultdict(list)
    for s in sessions:
        if s.port in port_site:
            sessions_of[port_site[s.port]].append(s)
    return {
        site: site_congestion(sessions_of[site], len(group), window)
        for site, group in by_site.items()
    }


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole > 0 else 0.0
