"""What a central system may ask of the model's charge points, by port id: the model's side of
RemoteStart/RemoteStopTransaction, ChangeAvailability, Reset, UnlockConnector and a triggered
MeterValues. Each takes effect at the current virtual instant."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from simulator.model import metering, partnership
from simulator.model.requests import MeterSample, PortStatus, StopReason
from simulator.model.visit import Visit

if TYPE_CHECKING:
    import simpy

    from simulator.model.accounts import Accounts
    from simulator.model.charging import Charging
    from simulator.model.port import Availability, ChargePoint
    from simulator.model.streams import Streams
    from simulator.model.world import World

__all__ = ["OPERATOR_STREAM", "Commands"]

OPERATOR_STREAM = "operator"
"""The random stream of app-started drivers: their draws move no one else's."""


class Commands:
    """The central system's commands, applied to the running model."""

    __slots__ = (
        "accounts",
        "availability",
        "charging",
        "env",
        "ports",
        "present",
        "streams",
        "world",
    )

    def __init__(
        self,
        env: simpy.Environment,
        world: World,
        streams: Streams,
        ports: dict[str, ChargePoint],
        charging: Charging,
        availability: Availability,
        accounts: Accounts,
        present: dict[int, Visit],
    ) -> None:
        self.env = env
        self.world = world
        self.streams = streams
        self.ports = ports
        self.charging = charging
        self.availability = availability
        self.accounts = accounts
        self.present = present

    def remote_start(self, port_id: str, id_tag: str) -> bool:
        """An app-started session: a driver already at the port plugs in now. False when the
        port is unknown, busy, down or rebooting, or no vehicle of the world fits it."""
        port = self.ports.get(port_id)
        if port is None or port.down or port.visit is not None or port.rebooting:
            return False
        usable = [v for v in self.world.vehicles if not v.connectors.isdisjoint(port.connectors)]
        if not usable:
            return False
        rng = self.streams[OPERATOR_STREAM]
        drivers = self.world.drivers
        visit = Visit()
        visit.arrival_s = self.env.now
        visit.vehicle = usable[0]
        visit.driver = -1
        visit.tag = id_tag
        visit.key = (visit.vehicle.index, False)
        visit.connectors = visit.vehicle.connectors
        visit.soc_start = drivers.arrival_soc.sample(rng)
        visit.soc_target = max(drivers.target_soc.sample(rng), visit.soc_start)
        visit.idle_s = 0.0
        visit.patience_s = math.inf
        visit.site = port.site
        visit.terms = self.accounts.terms(visit, port.network)
        visit.free = partnership.is_free(visit.terms, 0.0)
        port.site.on_site += 1
        self.present[id(visit)] = visit
        self.charging.plug_in(port, visit)
        return True

    def remote_stop(self, transaction_ref: int) -> bool:
        """Stop that transaction's charge; one whose StartTransaction answer is still on its
        way to the model (the central system knows it) stops the moment it starts."""
        for port in self.ports.values():
            if port.transaction != transaction_ref:
                continue
            if port.charging:
                return self.charging.stop_charging(port, StopReason.REMOTE)
            visit = port.visit
            if visit is not None and visit.profile is None and port.voided is not visit:
                port.stop_on_start = True
                return True
        return False

    def unlock(self, port_id: str) -> bool:
        """UnlockConnector: the charge on the port stops (reason UnlockCommand) and the driver
        leaves; False when nothing charges there."""
        port = self.ports.get(port_id)
        return port is not None and self.charging.stop_charging(port, StopReason.UNLOCK_COMMAND)

    def change_availability(self, port_id: str, operative: bool) -> str:
        """Accepted, or Scheduled when a car is on the port (applied as it leaves), or
        Rejected for an unknown port."""
        port = self.ports.get(port_id)
        if port is None:
            return "Rejected"
        if operative:
            if port.down and port.down_status is PortStatus.UNAVAILABLE:
                self.availability.bring_up(port)
            return "Accepted"
        if port.down:
            return "Accepted"
        if port.visit is not None:
            port.unavailable_after_visit = True
            return "Scheduled"
        self.availability.take_down(port, StopReason.OTHER, PortStatus.UNAVAILABLE)
        return "Accepted"

    def reset(self, port_id: str, hard: bool) -> bool:
        """A Reset: the running charge ends (SoftReset/HardReset), an authorization under way
        is void (its driver is turned away when the answer comes), and the port takes no new
        car until `rebooted` (the charge point has booted again)."""
        port = self.ports.get(port_id)
        if port is None:
            return False
        if port.rebooting:
            return True
        port.rebooting = True
        port.reset_reason = StopReason.HARD_RESET if hard else StopReason.SOFT_RESET
        visit = port.visit
        if visit is None and not port.down:
            port.site.free.remove(port)  # an idle port takes no car until it has rebooted
        if visit is not None and visit.profile is None:
            port.voided = visit
        self.charging.stop_charging(port, port.reset_reason)
        return True

    def rebooted(self, port_id: str) -> None:
        """The charge point is back after a Reset: the port serves again."""
        port = self.ports.get(port_id)
        if port is None or not port.rebooting:
            return
        port.rebooting = False
        if port.visit is None and not port.down:
            self.availability.offer(port)

    def authorizing(self, port_id: str) -> bool:
        """A visit on the port waits for the answer to its Authorize or StartTransaction."""
        port = self.ports.get(port_id)
        return port is not None and port.authorizing

    def transaction_on(self, port_id: str) -> int:
        """The model's handle of the port's latest transaction (0: none yet, or no such port)."""
        port = self.ports.get(port_id)
        return 0 if port is None else port.transaction

    def meter_reading(self, port_id: str) -> MeterSample | None:
        """The port's meter now (a triggered MeterValues): None while no visit is on it."""
        port = self.ports.get(port_id)
        if port is None or port.visit is None:
            return None
        return metering.reading(port, port.visit, self.env.now, "Trigger")
