"""What a grid limit did: per site with a limit (or with legs held by charging profiles), the
limit against the site's peak power, the energy delivered against what the cars' curves
would have drawn at the ports' rating, and the charging time spent below those curves.

Pure functions of the records. Requested power is in the model's LimitedLeg stream only: a
central system's store sees delivered power, so from a store (`Records.limited` is None)
those keys are absent and the reports show n/a, never 0.

The peak is exact: within a piece of a car's curve power is linear in SoC, hence exponential
in time (dP/dt = k P / B), and a sum of exponentials is convex, so the summed power of a site
is highest at a breakpoint of one of its segments (or at the window's ends), where it is
evaluated from both sides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from simulator.model.records import LimitedLeg, PortInterval, PortState, PowerSegment, Records
from simulator.model.world import DAY_S, GridLimit
from simulator.reports.metrics import PortInfo

__all__ = [
    "REQUESTED_NA",
    "Grid",
    "GridPeriod",
    "GridSite",
    "SiteGridMeasures",
    "grid_block",
    "peak_power",
    "site_measures",
]

EVENT_S = 1e-6
"""Ends this close are one instant: a leg's pieces end where their summed hours say, which
rounding may put a hair past the event that ended the leg (and the others' new legs began)."""
REQUESTED_NA = "n/a: a central system's store sees delivered power only, not what the car asked"


@dataclass(frozen=True, slots=True)
class SiteGridMeasures:
    """One site's limit and what it did over the window (None: not known from these records)."""

    site: str
    limit: GridLimit | None
    """None: no grid limit (the site's legs were held by charging profiles)."""
    peak_kw: float
    peak_at_s: float
    limit_at_peak_kw: float | None
    delivered_kwh: float
    charging_h: float
    requested_kwh: float | None
    below_curve_h: float | None
    charges: int
    """The window's sessions (by arrival) that drew energy on the site."""
    charges_below_curve: int | None

    @property
    def peak_share_of_limit(self) -> float | None:
        lim = self.limit_at_peak_kw
        return self.peak_kw / lim if lim else None

    @property
    def delivered_mean_kw(self) -> float:
        return self.delivered_kwh / self.charging_h if self.charging_h > 0 else 0.0

    @property
    def requested_mean_kw(self) -> float | None:
        if self.requested_kwh is None:
            return None
        return self.requested_kwh / self.charging_h if self.charging_h > 0 else 0.0

    @property
    def below_curve_share(self) -> float | None:
        if self.below_curve_h is None:
            return None
        return self.below_curve_h / self.charging_h if self.charging_h > 0 else 0.0


def _kw_at(seg: PowerSegment, t: float) -> float:
    """The segment's power at `t` inside it: geometric between its ends (exponential in time)."""
    a, b = seg.start_kw, seg.end_kw
    if a == b or t <= seg.start_s:
        return a
    if t >= seg.end_s:
        return b
    if a <= 0 or b <= 0:  # not a piece of a curve (a store's reading): linear
        return a + (b - a) * (t - seg.start_s) / (seg.end_s - seg.start_s)
    return float(a * (b / a) ** ((t - seg.start_s) / (seg.end_s - seg.start_s)))


def peak_power(
    segments: Sequence[PowerSegment], window: tuple[float, float]
) -> tuple[float, float]:
    """(kW, at second) of the highest summed power of these segments in the window."""
    lo, hi = window
    segs = sorted((s for s in segments if s.end_s > lo and s.start_s < hi), key=_start)
    times = sorted({lo, hi, *(t for s in segs for t in (s.start_s, s.end_s) if lo <= t <= hi)})
    best_kw, best_s = 0.0, lo
    active: list[PowerSegment] = []
    k = 0
    for t in times:
        while k < len(segs) and segs[k].start_s <= t:
            active.append(segs[k])
            k += 1
        active = [s for s in active if s.end_s >= t - EVENT_S]
        right = sum(_kw_at(s, t) for s in active if s.end_s > t + EVENT_S)
        left = sum(_kw_at(s, t) for s in active if s.start_s < t - EVENT_S)
        kw = max(right if t < hi else 0.0, left if t > lo else 0.0)
        if kw > best_kw:
            best_kw, best_s = kw, t
    return best_kw, best_s


def _start(s: PowerSegment) -> float:
    return s.start_s


def _fraction_in(start_s: float, end_s: float, lo: float, hi: float) -> float:
    span = end_s - start_s
    if span <= 0:
        return 0.0
    return max(0.0, min(end_s, hi) - max(start_s, lo)) / span


def site_measures(
    site: str,
    limit: GridLimit | None,
    segments: Sequence[PowerSegment],
    intervals: Sequence[PortInterval],
    limited: Sequence[LimitedLeg] | None,
    charges: int,
    window: tuple[float, float],
    start_of_day_s: float = 0.0,
) -> SiteGridMeasures:
    """What the limit did on one site over the window, from its ports' records (`charges`:
    the sessions of the window that drew energy there). A leg or a segment that straddles an
    end of the window counts in proportion to its time inside."""
    lo, hi = window
    peak_kw, peak_s = peak_power(segments, window)
    delivered = sum(s.energy_kwh * _fraction_in(s.start_s, s.end_s, lo, hi) for s in segments)
    charging_s = sum(
        max(0.0, min(i.end_s, hi) - max(i.start_s, lo))
        for i in intervals
        if i.state is PortState.CHARGING
    )
    requested = below_s = None
    below_charges = None
    if limited is not None:
        requested, below_s, affected = delivered, 0.0, set()
        for leg in limited:
            f = _fraction_in(leg.start_s, leg.end_s, lo, hi)
            if f > 0:
                requested += (leg.requested_kwh - leg.energy_kwh) * f
                below_s += leg.below_curve_s * f
                if leg.below_curve_s > 0:
                    affected.add((leg.port, leg.charge_start_s))
        below_charges = len(affected)
    limit_kw = None
    if limit is not None:
        limit_kw = limit.kw_at((start_of_day_s + peak_s) % DAY_S)
    return SiteGridMeasures(
        site=site,
        limit=limit,
        peak_kw=peak_kw,
        peak_at_s=peak_s,
        limit_at_peak_kw=limit_kw,
        delivered_kwh=delivered,
        charging_h=charging_s / 3600.0,
        requested_kwh=requested,
        below_curve_h=None if below_s is None else below_s / 3600.0,
        charges=charges,
        charges_below_curve=below_charges,
    )


class GridPeriod(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts: str
    """The time of day the period starts (HH:MM); it holds until the next, every day."""
    kw: float


class GridSite(BaseModel):
    """summary.json's `grid.sites.<id>`: see docs/outputs.md for each key."""

    model_config = ConfigDict(extra="forbid")

    limit_kw: float | None = None
    """The site's grid limit, when it is one figure all day."""
    schedule: list[GridPeriod] | None = None
    """The limit by time of day, when it changes during the day."""
    policy: str | None = None
    peak_kw: float
    limit_at_peak_kw: float | None = None
    peak_share_of_limit_pct: float | None = None
    delivered_kwh: float
    requested_kwh: float | None = None
    charging_h: float
    delivered_mean_kw: float
    requested_mean_kw: float | None = None
    below_curve_h: float | None = None
    below_curve_pct: float | None = None
    charges: int
    charges_below_curve: int | None = None
    charges_below_curve_pct: float | None = None


class Grid(BaseModel):
    """summary.json's `grid`: present only for a run with a grid limit or limited legs."""

    model_config = ConfigDict(extra="forbid")

    requested: str | None = None
    """Why the requested-power keys are absent (a store-derived report), else absent."""
    sites: dict[str, GridSite]


def _hhmm(second_of_day: float) -> str:
    minutes = round(second_of_day / 60.0)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _site(x: SiteGridMeasures) -> GridSite:
    limit = x.limit
    periods = limit.periods if limit is not None else ()
    share = x.peak_share_of_limit
    below = x.below_curve_share
    affected = x.charges_below_curve
    return GridSite(
        limit_kw=periods[0][1] if len(periods) == 1 else None,
        schedule=(
            [GridPeriod(starts=_hhmm(s), kw=kw) for s, kw in periods] if len(periods) > 1 else None
        ),
        policy=limit.policy if limit is not None else None,
        peak_kw=x.peak_kw,
        limit_at_peak_kw=x.limit_at_peak_kw,
        peak_share_of_limit_pct=None if share is None else 100 * share,
        delivered_kwh=x.delivered_kwh,
        requested_kwh=x.requested_kwh,
        charging_h=x.charging_h,
        delivered_mean_kw=x.delivered_mean_kw,
        requested_mean_kw=x.requested_mean_kw,
        below_curve_h=x.below_curve_h,
        below_curve_pct=None if below is None else 100 * below,
        charges=x.charges,
        charges_below_curve=affected,
        charges_below_curve_pct=(
            None if affected is None else 100 * affected / x.charges if x.charges else 0.0
        ),
    )


def grid_block(
    records: Records,
    ports: Sequence[PortInfo],
    charges_by_site: Mapping[str, int],
    grids: Mapping[str, GridLimit],
    start_of_day_s: float = 0.0,
) -> Grid | None:
    """The `grid` block: every site with a grid limit or with limited legs, in the ports'
    order (None when there is neither)."""
    limited = records.limited
    site_of = {p.id: p.site for p in ports}
    legs_by_site: dict[str, list[LimitedLeg]] = {}
    for leg in limited or ():
        legs_by_site.setdefault(site_of.get(leg.port, ""), []).append(leg)
    sites = [s for s in dict.fromkeys(p.site for p in ports) if s in grids or s in legs_by_site]
    if not sites:
        return None
    wanted = set(sites)
    segments: dict[str, list[PowerSegment]] = {s: [] for s in sites}
    for seg in records.segments:
        site = site_of.get(seg.port)
        if site in wanted:
            segments[site].append(seg)
    intervals: dict[str, list[PortInterval]] = {s: [] for s in sites}
    for i in records.intervals:
        site = site_of.get(i.port)
        if site in wanted:
            intervals[site].append(i)
    window = (records.warmup_s, records.horizon_s)
    out = {
        s: _site(
            site_measures(
                s,
                grids.get(s),
                segments[s],
                intervals[s],
                None if limited is None else legs_by_site.get(s, []),
                charges_by_site.get(s, 0),
                window,
                start_of_day_s,
            )
        )
        for s in sites
    }
    return Grid(requested=REQUESTED_NA if limited is None else None, sites=out)
