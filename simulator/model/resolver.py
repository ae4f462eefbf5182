"""The seam between the model and the central system: the model asks only through a resolver.

A charge point's requests go through typed methods, one per request kind. Those the physics
waits on (Authorize, StartTransaction) take a continuation `then(visit, port, status)` that
the resolver calls with the answer's status; the rest are notifications.

- `ImmediateResolver` (the fast engine) answers at once from a pure policy
  (simulator.model.authorization) and drops notifications without building them: the
  continuation runs inside the call, so the visit goes on at the same instant, in the same
  order, with no scheduling round.
- `BatchedResolver` (the OCPP engine) builds each request, collects those made during one
  instant, and hands the batch to `on_flush` once every other event of that instant has run
  (`events.Flush`). The runtime sends them and resolves each `Answer` with the reply, in issue
  order, at the same virtual instant.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from simulator.model.authorization import ProvisionedTag, authorize
from simulator.model.events import Answer, Flush
from simulator.model.metering import reading
from simulator.model.requests import (
    Authorize,
    AuthReply,
    AuthStatus,
    PortStatus,
    Request,
    SiteNeeds,
    StartReply,
    StartTransaction,
    StatusChange,
    StopReason,
    StopTransaction,
)

if TYPE_CHECKING:
    import simpy
    from simpy.events import Event

    from simulator.model.port import ChargePoint
    from simulator.model.visit import Visit

__all__ = ["BatchedResolver", "ImmediateResolver", "Outgoing", "Resolver", "Then"]

Then = Callable[["Visit", "ChargePoint", "AuthStatus | None"], None]
"""Where an answer goes: the visit and port that asked, and the status (None: no answer)."""


class Resolver(Protocol):
    """What the model may ask of the central system, and how the answers come back."""

    grid_policy_in_model: bool
    """The model applies the sites' grid limits itself (simulator.model.grid); False when the
    central system does (the built-in one): the sites report their needs (`site_needs`) and
    it sends each port its share as a TxProfile."""

    def attach(self, env: simpy.Environment) -> None:
        """Called once by the simulation with its environment, before anything is asked."""

    def status(self, port: ChargePoint, status: PortStatus, connector_id: int) -> None:
        """StatusNotification (connector 0: the whole charge point)."""

    def authorize(self, port: ChargePoint, visit: Visit, then: Then) -> None:
        """Authorize the visit's tag."""

    def start_transaction(self, port: ChargePoint, visit: Visit, then: Then) -> None:
        """StartTransaction for the visit on the port (`port.transaction` is its handle)."""

    def stop_transaction(self, port: ChargePoint, visit: Visit, reason: StopReason) -> None:
        """StopTransaction of `port.transaction` at the port's meter now."""

    def meter_values(self, port: ChargePoint, visit: Visit, context: str) -> None:
        """One reading of the port's meter now (context: Sample.Periodic, Transaction.Begin,
        Transaction.End)."""

    def site_needs(self, port: ChargePoint, needs: SiteNeeds, then: Callable[[], None]) -> None:
        """A site's report of its charging ports' needs, from its first port; `then` once the
        central system has answered (having sent the shares that changed)."""

    def pending(self, port_index: int) -> bool:
        """Requests from this port are still waiting to be handed over."""


class ImmediateResolver:
    """The fast engine's central system: answers at once, carries nothing.

    With no `tags`, every tag is accepted (the built-in central system run with
    --accept-unknown-tags); with a provisioned list, the authorization decision table.
    """

    __slots__ = ("_env", "accept_unknown", "tags")

    grid_policy_in_model = True

    def __init__(
        self, tags: Mapping[str, ProvisionedTag] | None = None, *, accept_unknown: bool = False
    ) -> None:
        self.tags = tags
        self.accept_unknown = accept_unknown if tags is not None else True
        self._env: simpy.Environment | None = None

    def attach(self, env: simpy.Environment) -> None:
        self._env = env

    def status(self, port: ChargePoint, status: PortStatus, connector_id: int) -> None:
        pass

    def authorize(self, port: ChargePoint, visit: Visit, then: Then) -> None:
        if self.tags is None:  # the common case, once per session: no call for the policy
            then(visit, port, AuthStatus.ACCEPTED)
        else:
            then(visit, port, self._decide(visit, starting=False))

    def start_transaction(self, port: ChargePoint, visit: Visit, then: Then) -> None:
        if self.tags is None:
            then(visit, port, AuthStatus.ACCEPTED)
        else:
            then(visit, port, self._decide(visit, starting=True))

    def stop_transaction(self, port: ChargePoint, visit: Visit, reason: StopReason) -> None:
        pass

    def meter_values(self, port: ChargePoint, visit: Visit, context: str) -> None:
        pass

    def site_needs(self, port: ChargePoint, needs: SiteNeeds, then: Callable[[], None]) -> None:  # noqa: ARG002
        then()  # never asked: this resolver leaves the grid policy in the model

    def pending(self, port_index: int) -> bool:  # noqa: ARG002 (nothing ever waits here)
        return False

    def _decide(self, visit: Visit, *, starting: bool) -> AuthStatus:
        tags = self.tags
        assert tags is not None
        assert self._env is not None
        return authorize(
            tags, visit.id_tag, self._env.now, accept_unknown=self.accept_unknown, starting=starting
        )


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A request on its way to the central system; `reply` is None for notifications."""

    port: int
    request: Request
    reply: Event | None


class BatchedResolver:
    """The OCPP engine's side of the seam: one batch per instant, handed over at the flush."""

    __slots__ = ("_env", "grid_policy_in_model", "on_flush", "outbox")

    def __init__(
        self, on_flush: Callable[[list[Outgoing]], None], *, grid_policy_in_model: bool = True
    ) -> None:
        self.grid_policy_in_model = grid_policy_in_model
        """False against the built-in central system, which applies the grid policy; True
        against any other (one that knows nothing of the sites' reports)."""
        self.on_flush = on_flush
        self.outbox: list[Outgoing] = []
        """This instant's requests, in issue order, until the flush hands them over."""
        self._env: simpy.Environment | None = None

    @property
    def env(self) -> simpy.Environment:
        assert self._env is not None, "attach() the resolver to a simulation first"
        return self._env

    def attach(self, env: simpy.Environment) -> None:
        self._env = env

    def status(self, port: ChargePoint, status: PortStatus, connector_id: int) -> None:
        self._send(port, StatusChange(status, connector_id, self.env.now), None)

    def authorize(self, port: ChargePoint, visit: Visit, then: Then) -> None:
        reply = Answer(self.env)
        self._send(port, Authorize(visit.id_tag, self.env.now), reply)
        _answer(reply, AuthReply, then, visit, port)

    def start_transaction(self, port: ChargePoint, visit: Visit, then: Then) -> None:
        start = StartTransaction(
            visit.connector, visit.id_tag, int(port.meter_wh), self.env.now, port.transaction
        )
        reply = Answer(self.env)
        self._send(port, start, reply)
        _answer(reply, StartReply, then, visit, port)

    def stop_transaction(self, port: ChargePoint, visit: Visit, reason: StopReason) -> None:
        stop = StopTransaction(
            port.transaction, visit.id_tag, int(port.meter_wh), self.env.now, reason
        )
        self._send(port, stop, None)

    def meter_values(self, port: ChargePoint, visit: Visit, context: str) -> None:
        self._send(port, reading(port, visit, self.env.now, context), None)

    def site_needs(self, port: ChargePoint, needs: SiteNeeds, then: Callable[[], None]) -> None:
        reply = Answer(self.env)
        self._send(port, needs, reply)
        assert reply.callbacks is not None
        reply.callbacks.append(lambda _: then())

    def pending(self, port_index: int) -> bool:
        return any(out.port == port_index for out in self.outbox)

    def _send(self, port: ChargePoint, request: Request, reply: Answer | None) -> None:
        if not self.outbox:
            Flush(self.env, self._flush)
        self.outbox.append(Outgoing(port.index, request, reply))

    def _flush(self, _: Event) -> None:
        batch, self.outbox = self.outbox, []
        self.on_flush(batch)


def _answer(
    reply: Answer,
    kind: type[AuthReply] | type[StartReply],
    then: Then,
    visit: Visit,
    port: ChargePoint,
) -> None:
    """Pass the reply's status on when it comes (None for anything but a `kind`)."""

    def answered(event: Event) -> None:
        value = event.value
        then(visit, port, value.status if isinstance(value, kind) else None)

    assert reply.callbacks is not None
    reply.callbacks.append(answered)
