"""What a run writes down as it goes: session records, port-state intervals, power segments."""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING

from simulator.model.records import (
    LimitedLeg,
    Outcome,
    PortInterval,
    PortState,
    PowerSegment,
    Records,
    SessionRecord,
)

if TYPE_CHECKING:
    from simulator.model import partnership
    from simulator.model.curve import Profile
    from simulator.model.port import ChargePoint
    from simulator.model.visit import Visit

__all__ = ["Recorder"]

_NO_BILL = (0.0, 0.0, 0.0, 0.0, "", 0.0)
# Records are built with every field given, in order: tuple.__new__ skips the NamedTuple's
# Python-level __new__ (one frame per record, the hottest allocations of a run).
_new = tuple.__new__
_ARRIVAL = itemgetter(SessionRecord._fields.index("arrival_s"))


class Recorder:
    """The ground truth of one run, appended to in virtual-time order."""

    __slots__ = ("intervals", "limited", "segments", "sessions")

    def __init__(self) -> None:
        self.sessions: list[SessionRecord] = []
        self.intervals: list[PortInterval] = []
        self.segments: list[PowerSegment] = []
        self.limited: list[LimitedLeg] = []

    # --- port states --------------------------------------------------------------------

    def set_state(self, port: ChargePoint, state: PortState, now: float) -> None:
        """The port is in `state` from `now` (a port that is down stays down)."""
        if port.down:
            state = PortState.DOWN
        if state is port.state:
            return
        if now > port.state_since_s:
            interval = (port.id, port.state, port.state_since_s, now)
            self.intervals.append(_new(PortInterval, interval))
        port.state_since_s = now
        port.state = state

    def close_interval(self, port: ChargePoint, now: float) -> None:
        """End the port's current interval at `now` (the end of the run)."""
        if now > port.state_since_s:
            self.intervals.append(PortInterval(port.id, port.state, port.state_since_s, now))
        port.state_since_s = now

    # --- power --------------------------------------------------------------------------

    def charge(
        self,
        port_id: str,
        profile: Profile,
        start_s: float,
        end_s: float,
        soc_from: float,
        soc_to: float,
        energy_kwh: float,
    ) -> None:
        """The power a charge of `energy_kwh` drew from `soc_from` to `soc_to`, as linear
        pieces of the curve."""
        if profile.flat_kw is not None:
            if energy_kwh > 0:
                kw = profile.flat_kw
                segment = (port_id, start_s, end_s, energy_kwh, kw, kw)
                self.segments.append(_new(PowerSegment, segment))
            return
        append = self.segments.append
        t = start_s
        for hours, energy, kw0, kw1 in profile.segments(soc_from, soc_to):
            end = t + hours * 3600.0
            append(_new(PowerSegment, (port_id, t, end, energy, kw0, kw1)))
            t = end

    def limited_leg(self, leg: LimitedLeg) -> None:
        """A leg of a charge held below the port's rating, and what the limit took."""
        self.limited.append(leg)

    # --- sessions -----------------------------------------------------------------------

    def turned_away(self, visit: Visit, reason: str) -> None:
        """A driver who never got a port (no access, queue full, balked)."""
        self.session(visit, Outcome.TURNED_AWAY, reason, depart_s=visit.arrival_s)

    def session(
        self,
        visit: Visit,
        outcome: Outcome,
        reason: str,
        *,
        wait_s: float = 0.0,
        start_s: float = 0.0,
        charge_end_s: float = 0.0,
        depart_s: float = 0.0,
        soc_end: float | None = None,
        bill: partnership.Bill | None = None,
    ) -> None:
        """The one record of a visit, whatever became of it."""
        s = visit.site
        terms = visit.terms
        vehicle = visit.vehicle
        # every field, in order
        fields = (
            visit.arrival_s,
            vehicle.id,
            vehicle.brand,
            visit.driver,
            outcome,
            reason,
            s.network if s is not None else "",
            s.id if s is not None else "",
            visit.port_id,
            terms.partner if terms is not None else False,
            wait_s,
            start_s,
            charge_end_s,
            depart_s,
            visit.soc_start,
            visit.soc_start if soc_end is None else soc_end,
            visit.energy_kwh,
            *(bill[:6] if bill is not None else _NO_BILL),
            visit.free,
            terms.refused if terms is not None else False,
            visit.adapter_kw,
        )
        self.sessions.append(_new(SessionRecord, fields))

    def records(self, horizon_s: float, warmup_s: float) -> Records:
        return Records(
            horizon_s=horizon_s,
            warmup_s=warmup_s,
            sessions=tuple(sorted(self.sessions, key=_ARRIVAL)),
            intervals=tuple(self.intervals),
            segments=tuple(self.segments),
            limited=tuple(self.limited),
        )
