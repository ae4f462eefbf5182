"""Charge points that obey their charging profiles: each port's installed `ProfileSet`, and
its composite limit applied to the charge through `Charging.set_limit`.

The limit is applied when it changes: at installation or clearing, at a transaction's start
(Relative schedules start there, a RemoteStartTransaction's TxProfile is installed then) and
end (its TxProfiles end with it), and at each boundary of the composite (one SimPy timer per
port for the next change, never a tick). A port whose profiles never limited it is never
touched, so a run without profiles has the physics of one without this component.

The site's local controller's own TxProfile (id `GRID_PROFILE_ID`: the share of the site's grid
limit the central system sent, simulator.model.grid) is applied apart, through
`Charging.set_grid_share`: the port draws at most the lower of it and the other profiles'
composite, and the demand the site reports is not capped by its own last share.

Transactions are seen at the resolver seam (`ObservedResolver`): a StartTransaction answered
Accepted starts one, a StopTransaction ends it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from simulator.model.charging_profiles import (
    WEEK_S,
    ChargingProfile,
    ProfileSet,
    Purpose,
    Supply,
    Transaction,
    with_transaction,
)
from simulator.model.events import Timer
from simulator.model.metering import NOMINAL_VOLTAGE_V
from simulator.model.requests import AuthStatus, StopReason

if TYPE_CHECKING:
    import simpy
    from simpy.events import Event

    from simulator.model.port import ChargePoint
    from simulator.model.resolver import Resolver, Then
    from simulator.model.visit import Visit

__all__ = [
    "DC_SUPPLY",
    "GRID_PROFILE_ID",
    "ObservedResolver",
    "PortProfiles",
    "SetLimit",
    "SmartCharging",
]

GRID_PROFILE_ID = 7100
"""The chargingProfileId of a port's share of its site's grid limit (docs/ocpp.md)."""

SetLimit = Callable[["ChargePoint", "float | None"], None]
"""`Charging.set_limit`: from now on the port draws at most that many kW (None: no limit)."""

DC_SUPPLY = Supply(NOMINAL_VOLTAGE_V)
"""Every port of the model is a DC fast charger (NACS, CCS1, CHAdeMO) metered at the
meter's nominal voltage: its amperes are DC amperes at that voltage."""


class _State:
    __slots__ = ("applied", "by_evse", "profiles", "remote", "timer", "tx")

    def __init__(self) -> None:
        self.by_evse = False
        """Profiles name the port's one EVSE (1), not its connectors (OCPP 2.0.1)."""
        self.profiles = ProfileSet()
        self.tx: Transaction | None = None
        self.applied: float | None = None
        self.timer: Timer | None = None
        self.remote: tuple[Visit, ChargingProfile] | None = None
        """A RemoteStartTransaction's TxProfile, for the visit it started."""


class SmartCharging:
    """The charging profiles of every port of a run, and the limits they impose."""

    __slots__ = ("_ports", "_shares", "env", "set_limit", "set_share", "supply")

    def __init__(
        self,
        env: simpy.Environment,
        set_limit: SetLimit,
        supply: Supply = DC_SUPPLY,
        set_share: SetLimit | None = None,
    ) -> None:
        self.env = env
        self.set_limit = set_limit
        self.set_share = set_share
        """`Charging.set_grid_share`; None: the grid's profile is one like any other."""
        self._shares: dict[int, float] = {}
        """The grid share applied (the GRID_PROFILE_ID profile's limit), by port index."""
        self.supply = supply
        self._ports: dict[int, _State] = {}

    def _of(self, port: ChargePoint) -> _State:
        state = self._ports.get(port.index)
        if state is None:
            state = self._ports[port.index] = _State()
        return state

    # --- what the central system asks -------------------------------------------------

    def profiles(self, port: ChargePoint) -> ProfileSet:
        state = self._ports.get(port.index)
        return ProfileSet() if state is None else state.profiles

    def transaction(self, port: ChargePoint) -> Transaction | None:
        """The transaction running on the port (started and not stopped), if any."""
        state = self._ports.get(port.index)
        return None if state is None else state.tx

    def install(self, port: ChargePoint, profile: ChargingProfile, by_level: bool = True) -> None:
        """Install a checked profile now (a TxProfile: on the running transaction); it
        replaces one of the same id and, `by_level` (1.6), of the same purpose and level."""
        state = self._of(port)
        if profile.purpose is Purpose.TX:
            assert state.tx is not None, "a TxProfile needs a running transaction"
            profile = with_transaction(profile, state.tx.ref)
        state.profiles = state.profiles.install(profile, by_level)
        self._apply(port, state, self.env.now)

    def clear(
        self,
        port: ChargePoint,
        profile_id: int | None = None,
        connector: int | None = None,
        purpose: Purpose | None = None,
        stack_level: int | None = None,
    ) -> int:
        """ClearChargingProfile: how many profiles it removed."""
        state = self._ports.get(port.index)
        if state is None:
            return 0
        kept = state.profiles.clear(profile_id, connector, purpose, stack_level)
        removed = len(state.profiles) - len(kept)
        if removed:
            state.profiles = kept
            self._apply(port, state, self.env.now)
        return removed

    def composite(
        self, port: ChargePoint, connector: int, duration_s: float
    ) -> list[tuple[float, float | None]]:
        """The composite schedule of `connector` from now over `duration_s`."""
        state = self._ports.get(port.index)
        profiles = ProfileSet() if state is None else state.profiles
        tx = None if state is None else state.tx
        return profiles.composite(connector, self.env.now, duration_s, tx, self.supply)

    def number_by_evse(self, port: ChargePoint) -> None:
        """From now on the port's transactions run on "connector" 1, its one EVSE: an OCPP
        2.0.1 station's profiles name EVSEs, whichever of its connectors the car uses."""
        state = self._of(port)
        state.by_evse = True
        if state.tx is not None:
            state.tx = replace(state.tx, connector=1)

    def remote_start_profile(self, port: ChargePoint, profile: ChargingProfile) -> None:
        """The TxProfile of the RemoteStartTransaction that just put a visit on the port:
        installed when that visit's transaction starts."""
        if port.visit is not None:
            self._of(port).remote = (port.visit, profile)

    # --- transactions (ObservedResolver) ----------------------------------------------

    def started(self, port: ChargePoint, visit: Visit) -> None:
        state = self._of(port)
        remote, state.remote = state.remote, None
        connector = 1 if state.by_evse else visit.connector
        state.tx = Transaction(connector, port.transaction, self.env.now)
        if remote is not None and remote[0] is visit:
            bound = replace(remote[1], connector=connector)
            state.profiles = state.profiles.install(with_transaction(bound, port.transaction))
        if state.profiles.profiles or state.applied is not None or port.index in self._shares:
            self._apply(port, state, self.env.now)

    def stopped(self, port: ChargePoint) -> None:
        state = self._ports.get(port.index)
        if state is None or state.tx is None:
            return
        ref = state.tx.ref
        state.tx = None
        state.profiles = state.profiles.without_transaction(ref)
        if state.profiles.profiles or state.applied is not None or port.index in self._shares:
            self._apply(port, state, self.env.now)

    # --- the limit ----------------------------------------------------------------------

    def _apply(self, port: ChargePoint, state: _State, at_s: float) -> None:
        """Set the port's limit to the composite's at `at_s`, and wait for its next change."""
        supply = self.supply
        profiles = state.profiles
        if self.set_share is not None and any(p.id == GRID_PROFILE_ID for p in profiles.profiles):
            grid = ProfileSet(tuple(p for p in profiles.profiles if p.id == GRID_PROFILE_ID))
            share = grid.limit_kw(0, at_s, state.tx, supply)
            profiles = profiles.clear(GRID_PROFILE_ID)
        else:
            share = None
        if share != self._shares.get(port.index) and self.set_share is not None:
            if share is None:
                del self._shares[port.index]
            else:
                self._shares[port.index] = share
            self.set_share(port, share)
        limit = profiles.limit_kw(0, at_s, state.tx, supply)
        if limit != state.applied:
            state.applied = limit
            self.set_limit(port, limit)
        state.timer = None
        next_s = state.profiles.next_change_s(0, at_s, state.tx, supply)
        if next_s is None and state.profiles.profiles:
            next_s = at_s + WEEK_S  # a change further off (validFrom weeks ahead): look again
        if next_s is not None:
            delay_s = max(0.0, next_s - self.env.now)
            state.timer = Timer(self.env, delay_s, lambda ev: self._due(port, state, ev, next_s))

    def _due(self, port: ChargePoint, state: _State, timer: Event, at_s: float) -> None:
        if state.timer is timer:  # not overtaken by a later change of the profiles
            self._apply(port, state, at_s)


class PortProfiles:
    """One port's side of `SmartCharging`: what a charge point's smart-charging handlers
    ask of the model."""

    __slots__ = ("port", "smart")

    def __init__(self, smart: SmartCharging, port: ChargePoint) -> None:
        self.smart = smart
        self.port = port

    @property
    def profiles(self) -> ProfileSet:
        return self.smart.profiles(self.port)

    @property
    def transaction(self) -> Transaction | None:
        return self.smart.transaction(self.port)

    @property
    def supply(self) -> Supply:
        return self.smart.supply

    @property
    def grid_share_apart(self) -> bool:
        """The `GRID_PROFILE_ID` profile is the site's grid share, applied apart."""
        return self.smart.set_share is not None

    @property
    def rating_kw(self) -> float:
        """The port's rated power: the limit where no profile sets one."""
        return self.port.power_kw

    def install(self, profile: ChargingProfile, by_level: bool = True) -> None:
        self.smart.install(self.port, profile, by_level)

    def clear(
        self,
        profile_id: int | None = None,
        connector: int | None = None,
        purpose: Purpose | None = None,
        stack_level: int | None = None,
    ) -> int:
        return self.smart.clear(self.port, profile_id, connector, purpose, stack_level)

    def composite(self, connector: int, duration_s: float) -> list[tuple[float, float | None]]:
        return self.smart.composite(self.port, connector, duration_s)

    def remote_start_profile(self, profile: ChargingProfile) -> None:
        self.smart.remote_start_profile(self.port, profile)

    def number_by_evse(self) -> None:
        self.smart.number_by_evse(self.port)


class ObservedResolver:
    """A resolver that tells `SmartCharging` when transactions start and stop; every other
    request goes straight to `inner` (its bound methods, at no cost)."""

    __slots__ = (
        "_inner",
        "attach",
        "authorize",
        "grid_policy_in_model",
        "meter_values",
        "pending",
        "site_needs",
        "smart",
        "status",
    )

    def __init__(self, inner: Resolver) -> None:
        self._inner = inner
        self.smart: SmartCharging | None = None
        """Set once the simulation (and its Charging) exists."""
        self.attach = inner.attach
        self.status = inner.status
        self.authorize = inner.authorize
        self.meter_values = inner.meter_values
        self.pending = inner.pending
        self.site_needs = inner.site_needs
        self.grid_policy_in_model = inner.grid_policy_in_model

    def start_transaction(self, port: ChargePoint, visit: Visit, then: Then) -> None:
        smart = self.smart

        def answered(v: Visit, p: ChargePoint, status: AuthStatus | None) -> None:
            if smart is not None and status is AuthStatus.ACCEPTED and p.voided is not v:
                smart.started(p, v)
            then(v, p, status)

        self._inner.start_transaction(port, visit, answered)

    def stop_transaction(self, port: ChargePoint, visit: Visit, reason: StopReason) -> None:
        self._inner.stop_transaction(port, visit, reason)
        if self.smart is not None:
            self.smart.stopped(port)
