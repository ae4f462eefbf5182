"""The model's charge point: one port's state, and whether it serves (a visit leaving,
failures and the operator taking it down, bringing it back)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Never

from simulator.model.records import PortState
from simulator.model.requests import PortStatus, StopReason

if TYPE_CHECKING:
    import simpy

    from simulator.model.recorder import Recorder
    from simulator.model.resolver import Resolver
    from simulator.model.site import Site
    from simulator.model.visit import Visit
    from simulator.model.world import Port

__all__ = ["Availability", "ChargePoint"]


class ChargePoint:
    """One port of a site: its static facts (copied from the world's `Port`) and its state."""

    __slots__ = (
        "charge_start_s",
        "charging",
        "connector_by_key",
        "connector_ids",
        "connectors",
        "down",
        "down_status",
        "grid_kw",
        "id",
        "index",
        "limit_kw",
        "meter_wh",
        "network",
        "power_kw",
        "profile_kw",
        "rebooting",
        "reset_reason",
        "site",
        "state",
        "state_since_s",
        "stop_on_start",
        "transaction",
        "unavailable_after_visit",
        "visit",
        "voided",
    )

    def __init__(self, port: Port, site: Site) -> None:
        self.id = port.id
        self.index = port.index
        self.network = port.network
        self.power_kw = port.power_kw
        self.limit_kw: float | None = None
        """The most the port may draw beyond its rating: the lower of its two sources below
        (None: neither limits it)."""
        self.profile_kw: float | None = None
        """The limit of the charging profiles the central system set (Charging.set_limit)."""
        self.grid_kw: float | None = None
        """The port's share of its site's grid limit (Charging.set_grid_share)."""
        self.connectors = port.connectors
        self.connector_ids = {c: i + 1 for i, c in enumerate(port.connectors)}
        self.connector_by_key: dict[tuple[int, bool], int] = {}
        """`connector_for`, cached by the visit's key (what decides where a car fits)."""
        self.site = site
        self.visit: Visit | None = None
        self.charging = False
        self.down = False
        self.down_status = PortStatus.FAULTED
        self.unavailable_after_visit = False
        self.rebooting = False
        """After a Reset, until the charge point has booted again."""
        self.reset_reason = StopReason.SOFT_RESET
        self.voided: Visit | None = None
        """A visit whose authorization a Reset cut short."""
        self.stop_on_start = False
        """A remote stop came while the start was being answered."""
        self.state = PortState.AVAILABLE
        self.state_since_s = 0.0
        self.meter_wh = 0.0
        self.charge_start_s = 0.0
        self.transaction = 0
        """The model's handle of the port's latest transaction (0: none yet)."""

    def fits(self, visit: Visit) -> bool:
        """The car can plug into this port."""
        return not visit.connectors.isdisjoint(self.connectors)

    def connector_for(self, visit: Visit) -> int:
        """The connector the car plugs into: the first of the port's that fits."""
        ids = self.connector_ids
        return min(ids[c] for c in visit.connectors if c in ids)

    def connector_of(self, visit: Visit) -> int:
        """`connector_for`, kept by the car's connector key (the same answer every time)."""
        connector = self.connector_by_key.get(visit.key)
        if connector is None:
            connector = self.connector_by_key[visit.key] = self.connector_for(visit)
        return connector

    @property
    def authorizing(self) -> bool:
        """A visit on the port waits for the answer to its Authorize or StartTransaction."""
        return self.visit is not None and self.visit.profile is None


class Availability:
    """Which ports serve. Wired to the sessions: `plug_in` gives a free port to a waiting
    visit, `stop_charging` ends a charge when its port goes down."""

    __slots__ = (
        "_set_state",
        "_status",
        "env",
        "plug_in",
        "recorder",
        "resolver",
        "stop_charging",
    )

    def __init__(self, env: simpy.Environment, recorder: Recorder, resolver: Resolver) -> None:
        self.env = env
        self.recorder = recorder
        self.resolver = resolver
        self.plug_in: Callable[[ChargePoint, Visit], None] = _unwired
        self.stop_charging: Callable[[ChargePoint, StopReason], bool] = _unwired
        self._status = resolver.status
        self._set_state = recorder.set_state

    def release(self, port: ChargePoint) -> None:
        """A port with no visit: down if it should be, else give it to the first compatible
        visit waiting, or free it."""
        if port.unavailable_after_visit:
            port.unavailable_after_visit = False
            port.down = True
            port.down_status = PortStatus.UNAVAILABLE
        if port.down:
            self._set_state(port, PortState.DOWN, self.env.now)
            self._status(port, port.down_status, 0)
            return
        self._status(port, PortStatus.AVAILABLE, 0)
        if port.rebooting:  # back in service once the charge point has booted again
            self._set_state(port, PortState.AVAILABLE, self.env.now)
            return
        self.offer(port)

    def offer(self, port: ChargePoint) -> None:
        """A free port: give it to the first compatible visit waiting, or make it free."""
        site = port.site
        site.free.append(port)
        for visit in site.queue:
            if not visit.connectors.isdisjoint(port.connectors):
                site.queue.remove(visit)
                self.plug_in(port, visit)
                return
        self._set_state(port, PortState.AVAILABLE, self.env.now)

    def take_down(
        self,
        port: ChargePoint,
        cause: StopReason = StopReason.POWER_LOSS,
        status: PortStatus = PortStatus.FAULTED,
    ) -> None:
        """The port stops serving: a failure (Faulted) or an operator's order (Unavailable)."""
        if port.down:
            return
        port.down = True
        port.down_status = status
        if port.visit is None:
            if not port.rebooting:  # a rebooting port is not among the free ones
                port.site.free.remove(port)
            self._status(port, status, 0)
        elif port.charging:
            self.stop_charging(port, cause)  # the visit leaves; the port then reports its status
        else:
            self._status(port, status, 0)  # a car still plugged in, not charging
        self._set_state(port, PortState.DOWN, self.env.now)

    def bring_up(self, port: ChargePoint) -> None:
        """The port serves again (repaired, or made operative)."""
        if not port.down:
            return
        port.down = False
        visit = port.visit
        if visit is None:
            self.release(port)
        else:
            self._set_state(port, PortState.OCCUPIED, self.env.now)
            self._status(port, PortStatus.FINISHING, visit.connector)


def _unwired(*_: object) -> Never:
    raise RuntimeError("Availability is not wired to the sessions")
