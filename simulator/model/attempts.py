"""Failed charge attempts: a try on a port can fail before any energy flows, and the driver then
tries again on the same port, moves to another free one, or leaves.

Three causes, one draw per try from the port's own stream (`stream_name`), mutually exclusive:
- `handshake`: the car and the charger never agree (plug-in, cable check, EV communication);
  the port shows Preparing, then Available when the driver unplugs, with no Authorize sent;
- `payment`: the charger's own card reader or app payment fails, so no id tag is presented
  (not a tag the backend refuses, which is an Authorize answered Invalid); on the wire the same
  Preparing -> Available with no Authorize;
- `communication`: the charger loses its backend mid-start: the Authorize is answered, the
  StartTransaction is never sent, and the port goes back to Available.

Each failed try takes `failed_try_s` on the port, then is written down as a session record of
its own (its port, start and end, a `<cause>_failed` reason): `Outcome.RETRIED` when the driver
tries again, `Outcome.TURNED_AWAY` when it was their last. A scenario with no attempts section
builds none of this and draws nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from simulator.model.choice import free_port
from simulator.model.events import Timer
from simulator.model.records import Outcome
from simulator.model.requests import AuthStatus, PortStatus

if TYPE_CHECKING:
    import random

    import simpy

    from simulator.model.charging import Charging
    from simulator.model.port import ChargePoint
    from simulator.model.streams import Streams
    from simulator.model.visit import Visit
    from simulator.model.world import World

__all__ = [
    "AfterFailure",
    "AttemptRules",
    "Cause",
    "Tries",
    "attempt_rules",
    "reason_of",
    "stream_name",
]

Then = Callable[["Visit", "ChargePoint", AuthStatus | None], None]


class Cause(StrEnum):
    HANDSHAKE = "handshake"
    PAYMENT = "payment"
    COMMUNICATION = "communication"


class AfterFailure(StrEnum):
    RETRY = "retry"  # plug in again on the same port
    MOVE = "move"  # another free port of the site that fits, else the same port again
    LEAVE = "leave"  # give up after the first failure


@dataclass(frozen=True, slots=True)
class AttemptRules:
    """Per-try failure probabilities by cause, and what the driver does after a failure."""

    handshake: float = 0.0
    payment: float = 0.0
    communication: float = 0.0
    after_failure: AfterFailure = AfterFailure.RETRY
    retries: int = 1
    """How many times a driver tries again after a failure (at most retries + 1 tries)."""
    give_up_share: float = 0.0
    """The chance that a driver leaves after a failed try though a retry is left (drawn from
    the port's stream only when above 0)."""
    failed_try_s: float = 120.0

    def cause(self, u: float) -> Cause | None:
        """The cause of a try's failure for a uniform draw `u` (None: it does not fail)."""
        if u < self.handshake:
            return Cause.HANDSHAKE
        if u < self.handshake + self.payment:
            return Cause.PAYMENT
        if u < self.handshake + self.payment + self.communication:
            return Cause.COMMUNICATION
        return None


def stream_name(port_id: str) -> str:
    """The random stream of a port's tries: its own, as its failures have theirs."""
    return f"attempts:{port_id}"


def attempt_rules(world: World) -> dict[str, AttemptRules]:
    """The rules of each network's tries, by network id: its own, else the world's (a network
    with neither is absent: its tries always go ahead)."""
    out = {}
    for n in world.networks:
        rules = n.attempts if n.attempts is not None else world.attempts
        if rules is not None:
            out[n.id] = rules
    return out


def reason_of(cause: Cause) -> str:
    """The stop/outcome reason of a try that failed by `cause` (docs/outputs.md)."""
    return f"{cause.value}_failed"


class Tries:
    """Stands in front of the resolver's authorize: decides each try's fate as the car plugs
    in, and handles a failed one."""

    __slots__ = ("_rngs", "authorize", "charging", "env", "rules", "streams")

    def __init__(
        self,
        env: simpy.Environment,
        rules: dict[str, AttemptRules],
        streams: Streams,
        charging: Charging,
    ) -> None:
        self.env = env
        self.rules = rules
        """By network id (`attempt_rules`)."""
        self.streams = streams
        self.charging = charging
        self.authorize = charging.authorize
        """What a try that goes ahead presents its tag to (the resolver's authorize)."""
        self._rngs: dict[str, random.Random] = {}

    def begin(self, port: ChargePoint, visit: Visit, then: Then) -> None:
        """A car plugged in and presents its tag: the try goes ahead or fails by a cause."""
        rules = self.rules.get(port.network)
        if rules is None:  # a network whose tries always go ahead: nothing drawn
            self.authorize(port, visit, then)
            return
        visit.tries += 1
        rng = self._rngs.get(port.id)
        if rng is None:
            rng = self._rngs[port.id] = self.streams[stream_name(port.id)]
        cause = rules.cause(rng.random())
        if cause is None:
            self.authorize(port, visit, then)
        elif cause is Cause.COMMUNICATION:
            self.authorize(port, visit, lambda v, p, s: self._answered(v, p, s, then))
        else:
            self._fail_later(port, visit, cause, then)

    def _answered(
        self, visit: Visit, port: ChargePoint, status: AuthStatus | None, then: Then
    ) -> None:
        if status is AuthStatus.ACCEPTED and port.voided is not visit:
            self._fail_later(port, visit, Cause.COMMUNICATION, then)
        else:  # refused or reset: as any try
            then(visit, port, status)

    def _fail_later(self, port: ChargePoint, visit: Visit, cause: Cause, then: Then) -> None:
        delay_s = self.rules[port.network].failed_try_s
        Timer(self.env, delay_s, lambda _: self._failed(port, visit, cause, then))

    def _failed(self, port: ChargePoint, visit: Visit, cause: Cause, then: Then) -> None:
        if port.voided is visit:  # a Reset cut the try short: as any authorization
            then(visit, port, None)
            return
        charging = self.charging
        rules = self.rules[port.network]
        now = self.env.now
        last = (
            visit.tries > rules.retries
            or rules.after_failure is AfterFailure.LEAVE
            or (rules.give_up_share > 0 and self._rngs[port.id].random() < rules.give_up_share)
        )
        target = None if last else self._next_port(port, visit, rules)
        if target is None:
            last = True
        charging.recorder.session(
            visit,
            Outcome.TURNED_AWAY if last else Outcome.RETRIED,
            reason_of(cause),
            wait_s=visit.wait_s,
            start_s=visit.arrival_s + visit.wait_s,
            depart_s=now,
        )
        if last:
            charging.leave(visit, port, now)
            return
        port.visit = None
        visit.port = None
        if target is port:  # unplug, plug in again
            charging.resolver.status(port, PortStatus.AVAILABLE, 0)
            port.site.free.append(port)
        else:
            charging.release(port)
        assert target is not None
        charging.plug_in(target, visit)

    def _next_port(
        self, port: ChargePoint, visit: Visit, rules: AttemptRules
    ) -> ChargePoint | None:
        """Where the driver tries again (None: nowhere, they leave)."""
        here_ok = not (port.down or port.unavailable_after_visit or port.rebooting)
        if rules.after_failure is AfterFailure.MOVE:
            other = free_port(port.site, visit)
            if other is not None:
                return other
        return port if here_ok else None
