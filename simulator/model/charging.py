"""A session on a port: plug in, authorize, start, charge along the curve, stop, depart.

The session is a chain of callbacks (see simulator.model.events): each step runs at the
instant its cause occurs, the answers of the central system arrive through the resolver, and
the energy and power of the charge are booked when it ends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from simulator.model import legs, metering
from simulator.model.curve import Profile
from simulator.model.events import Timer
from simulator.model.grid import before_start
from simulator.model.legs import NEVER, plan, soc_now
from simulator.model.records import Outcome, PortState
from simulator.model.requests import AuthStatus, PortStatus, StopReason

if TYPE_CHECKING:
    import simpy
    from simpy.events import Event

    from simulator.model.accounts import Accounts
    from simulator.model.port import ChargePoint
    from simulator.model.recorder import Recorder
    from simulator.model.resolver import Resolver
    from simulator.model.visit import Visit

__all__ = ["Charging"]

# a driver who reached the target or the cap lingers; any other stop sends them away
_LINGER = (StopReason.LOCAL, StopReason.OTHER)
_REASON = {r: r.value for r in StopReason}  # an enum's .value is a Python-level descriptor


class Charging:
    """Every session of a run. `release` is wired to what frees a port once a visit left."""

    __slots__ = (
        "_next_transaction",
        "_on_authorized",
        "_on_started",
        "_profiles",
        "_set_state",
        "_start",
        "_status",
        "_stop",
        "accounts",
        "authorize",
        "env",
        "meter_interval_s",
        "present",
        "recorder",
        "release",
        "resolver",
    )

    def __init__(
        self,
        env: simpy.Environment,
        recorder: Recorder,
        accounts: Accounts,
        resolver: Resolver,
        present: dict[int, Visit],
        meter_interval_s: float | None,
    ) -> None:
        self.env = env
        self.recorder = recorder
        self.accounts = accounts
        self.resolver = resolver
        self.present = present
        """The visits on site, by id(visit): what is left to record at the horizon."""
        self.meter_interval_s = meter_interval_s
        self.release: Callable[[ChargePoint], None] = _unwired
        # bound once: these run several times per session
        self._status = resolver.status
        self.authorize = resolver.authorize  # or attempts.Tries in front of it
        self._start = resolver.start_transaction
        self._stop = resolver.stop_transaction
        self._set_state = recorder.set_state
        self._on_authorized = self._authorized
        self._on_started = self._started
        self._next_transaction = 0
        self._profiles: dict[tuple[int, int], Profile] = {}

    # --- plugging in --------------------------------------------------------------------

    def plug_in(self, port: ChargePoint, visit: Visit) -> None:
        """The visit takes the free port, plugs in and presents its tag: the session gets its
        handle, and the port is occupied while the tag is authorized (for no time at all
        when the answer comes at once)."""
        now = self.env.now
        port.site.free.remove(port)
        port.visit = visit
        visit.port = port
        visit.port_id = port.id
        visit.soc_now = visit.soc_start  # what a meter reads until the charge begins
        self._set_state(port, PortState.OCCUPIED, now)
        visit.wait_s = now - visit.arrival_s
        self._next_transaction += 1
        port.transaction = self._next_transaction
        visit.connector = connector = port.connector_of(visit)
        visit.adapter_kw = legs.adapter_cap_kw(visit, port)
        self._status(port, PortStatus.PREPARING, connector)
        self.authorize(port, visit, self._on_authorized)

    def _authorized(self, visit: Visit, port: ChargePoint, status: AuthStatus | None) -> None:
        if port.voided is visit:
            port.voided = None
            self._refused(visit, port, None, "reset")
            return
        if status is not AuthStatus.ACCEPTED:
            self._refused(visit, port, status)
            return
        self._start(port, visit, self._on_started)

    def _started(self, visit: Visit, port: ChargePoint, status: AuthStatus | None) -> None:
        stop_now, port.stop_on_start = port.stop_on_start, False
        if port.voided is visit:  # started by the central system, stopped by the Reset
            port.voided = None
            if status is AuthStatus.ACCEPTED:
                self._stop(port, visit, port.reset_reason)
            self._refused(visit, port, None, "reset")
            return
        if status is not AuthStatus.ACCEPTED:
            self._stop(port, visit, StopReason.DE_AUTHORIZED)
            self._refused(visit, port, status)
            return
        visit.target_soc = min(visit.soc_target, visit.vehicle.curve.max_soc)
        # the site's shares, this car's included, before it starts
        before_start(port.site.grid, self._start_charging, visit, port, stop_now)

    def _refused(
        self, visit: Visit, port: ChargePoint, status: AuthStatus | None, reason: str = ""
    ) -> None:
        self._status(port, PortStatus.FINISHING, visit.connector)
        now = self.env.now
        self.leave(visit, port, now)
        reason = reason or f"authorization_{(status or AuthStatus.INVALID).value.lower()}"
        self.recorder.session(
            visit,
            Outcome.TURNED_AWAY,
            reason,
            wait_s=visit.wait_s,
            start_s=visit.arrival_s + visit.wait_s,  # plugged in, then refused
            depart_s=now,
        )

    # --- charging -----------------------------------------------------------------------

    def _start_charging(self, visit: Visit, port: ChargePoint, stop_now: bool) -> None:
        if not _may_start(self, visit, port):
            return
        env = self.env
        target = visit.target_soc
        kw = visit.leg_kw = legs.session_kw(port, visit)
        prof = visit.profile = legs.profile_for(self._profiles, visit.vehicle, port, kw)
        # legs.plan inlined: the hot path of every session
        duration_s = prof.hours_between(visit.soc_start, target) * 3600.0
        reason = StopReason.LOCAL
        soc_end = target
        deal = visit.terms.deal if visit.terms is not None else None
        if visit.free and deal is not None:
            cap_s = deal.session_cap_s
            if cap_s is not None and cap_s < duration_s:
                duration_s, reason = cap_s, StopReason.OTHER
                soc_end = prof.soc_after(visit.soc_start, cap_s / 3600.0)
        port.charging = True
        now = port.charge_start_s = visit.leg_start_s = env.now
        visit.soc_now = visit.leg_soc = visit.soc_start
        self._set_state(port, PortState.CHARGING, now)
        self._status(port, PortStatus.CHARGING, visit.connector)
        interval_s = self.meter_interval_s
        if interval_s is not None:
            self.resolver.meter_values(port, visit, "Transaction.Begin")
            env.process(metering.periodic(env, self.resolver, port, visit, interval_s))
        if duration_s == NEVER:  # held at zero power by a limit
            visit.charge_timer = None
        else:
            visit.charge_timer = Timer(
                env, duration_s, lambda ev: self._charge_timer(visit, port, ev, reason, soc_end)
            )
        if stop_now:
            self.stop_charging(port, StopReason.REMOTE)

    def set_limit(self, port: ChargePoint, limit_kw: float | None) -> None:
        """From now on the port draws at most `limit_kw` (None: no limit beyond its rating).

        The limit stays on the port for the sessions that follow. A charge under way ends its
        leg now (booking its power) and goes on at the new limit, its timer replaced by the time
        left to its target (a free session's cap still counts from the charge's start)."""
        port.profile_kw = legs.checked_kw(limit_kw, "power limit")
        self._limit_changed(port)

    def set_grid_share(self, port: ChargePoint, share_kw: float | None) -> None:
        """From now on the port's share of its site's grid limit is `share_kw`: the port draws
        at most the lower of it and its charging profiles' limit (set_limit)."""
        port.grid_kw = legs.checked_kw(share_kw, "grid share")
        self._limit_changed(port)

    def _limit_changed(self, port: ChargePoint) -> None:
        port.limit_kw = legs.lower_kw(port.profile_kw, port.grid_kw)
        visit = port.visit
        if not port.charging or visit is None or visit.profile is None:
            return
        kw = legs.session_kw(port, visit)
        if kw == visit.leg_kw:  # the same profile: nothing changes
            return
        now = self.env.now
        soc = soc_now(visit, now)
        legs.book_leg(self.recorder, port, visit, soc, now, self._profiles)
        prof = visit.profile = legs.profile_for(self._profiles, visit.vehicle, port, kw)
        visit.leg_start_s, visit.leg_soc, visit.leg_kw = now, soc, kw
        cap = legs.cap_s(visit)
        cap_left_s = None if cap is None else port.charge_start_s + cap - now
        duration_s, reason, soc_end = plan(prof, soc, visit.target_soc, cap_left_s)
        visit.charge_timer = (
            None  # held at zero power
            if duration_s == NEVER
            else Timer(
                self.env, duration_s, lambda e: self._charge_timer(visit, port, e, reason, soc_end)
            )
        )

    def _charge_timer(
        self, visit: Visit, port: ChargePoint, timer: Event, reason: StopReason, soc_end: float
    ) -> None:
        if visit.charge_timer is timer:  # not overtaken by a stop
            self._stop_charging(visit, port, reason, soc_end)

    def stop_charging(self, port: ChargePoint, cause: StopReason) -> bool:
        """End the charge on a port now (failure, remote stop, reset, unlock); the visit
        leaves. False when nothing charges there."""
        visit = port.visit
        if not port.charging or visit is None or visit.profile is None:
            return False
        self._stop_charging(visit, port, cause, soc_now(visit, self.env.now))
        return True

    def _stop_charging(
        self, visit: Visit, port: ChargePoint, reason: StopReason, soc_end: float
    ) -> None:
        visit.charge_timer = None
        env = self.env
        now = env.now
        self._end_charge(port, visit, soc_end, now)
        grid = port.site.grid
        if grid is not None:  # the others share what this car leaves
            grid.rebalance()
        if self.meter_interval_s is not None:
            self.resolver.meter_values(port, visit, "Transaction.End")
        self._stop(port, visit, reason)
        self._status(port, PortStatus.FINISHING, visit.connector)
        idle_s = visit.idle_s if reason in _LINGER else 0.0
        if idle_s > 0:
            Timer(env, idle_s, lambda _: self._depart(visit, port, reason, idle_s, now))
        else:
            self._depart(visit, port, reason, idle_s, now)

    def _end_charge(self, port: ChargePoint, visit: Visit, soc_end: float, now: float) -> None:
        """Book the energy and power of the charge that ended at `now` (or stopped at the
        horizon)."""
        legs.book_leg(self.recorder, port, visit, soc_end, now, self._profiles)
        battery_kwh = visit.vehicle.battery_kwh
        energy = max(0.0, soc_end - visit.soc_start) * battery_kwh
        visit.energy_kwh = energy
        visit.soc_now = soc_end
        port.meter_wh += energy * 1000.0
        port.charging = False
        self._set_state(port, PortState.OCCUPIED, now)

    # --- leaving ------------------------------------------------------------------------

    def _depart(
        self,
        visit: Visit,
        port: ChargePoint,
        reason: StopReason,
        idle_s: float,
        charge_end_s: float,
    ) -> None:
        now = self.env.now
        self.leave(visit, port, now)
        bill = self.accounts.bill(visit, port.network, idle_s)
        self.recorder.session(
            visit,
            Outcome.SERVED,
            _REASON[reason],
            wait_s=visit.wait_s,
            start_s=visit.arrival_s + visit.wait_s,
            charge_end_s=charge_end_s,
            depart_s=now,
            soc_end=visit.soc_now,
            bill=bill,
        )

    def leave(self, visit: Visit, port: ChargePoint, now: float) -> None:
        """The visit unplugs and leaves the site at `now`; the port is released."""
        del self.present[id(visit)]
        visit.done = True
        site = port.site
        site.on_site -= 1
        site.occupancy_total_s += now - visit.arrival_s - visit.wait_s
        site.occupancy_n += 1
        port.visit = None
        visit.port = None
        self.release(port)

    def close(self, visit: Visit, now: float) -> None:
        """Record a visit still on site at the end of the run."""
        port = visit.port
        record = self.recorder.session
        if port is None:
            record(visit, Outcome.ON_SITE, "waiting", wait_s=now - visit.arrival_s, depart_s=now)
            return
        if port.charging and visit.profile is not None:
            self._end_charge(port, visit, soc_now(visit, now), self.env.now)
            reason = "charging"
        else:
            reason = "plugged_in"
        record(
            visit,
            Outcome.ON_SITE,
            reason,
            wait_s=visit.wait_s,
            start_s=visit.arrival_s + visit.wait_s,
            depart_s=now,
            soc_end=visit.soc_now if visit.energy_kwh else visit.soc_start,
        )


def _unwired(_: ChargePoint) -> None:
    raise RuntimeError("Charging.release is not wired to the ports")


def _may_start(charging: Charging, visit: Visit, port: ChargePoint) -> bool:
    """The visit may start charging: still on the port and not voided by a Reset (else turned
    away) while its site's report was out (over OCPP the start waits for the answer)."""
    if port.visit is not visit:
        return False
    if port.voided is visit:
        port.voided = None
        charging._stop(port, visit, port.reset_reason)  # noqa: SLF001 (this module's class)
        charging._refused(visit, port, None, "reset")  # noqa: SLF001
        return False
    return True
