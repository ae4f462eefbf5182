"""The seam: the fast engine's resolver answers inside the call and carries nothing; the OCPP
engine's batches one instant's requests and hands them over at its flush."""

from __future__ import annotations

import simpy

from simulator.model.authorization import ProvisionedTag
from simulator.model.port import ChargePoint
from simulator.model.requests import (
    Authorize,
    AuthReply,
    AuthStatus,
    PortStatus,
    StatusChange,
    StopReason,
    StopTransaction,
)
from simulator.model.resolver import BatchedResolver, ImmediateResolver, Outgoing
from simulator.model.site import Site
from simulator.model.visit import Visit
from tests.model.worlds import visit, world

Answered = list[tuple[Visit, ChargePoint, AuthStatus | None]]


def a_port_and_a_visit() -> tuple[ChargePoint, Visit]:
    w = world()
    return Site(w.sites[0]).ports[0], visit(w, driver=42)


def test_the_immediate_resolver_answers_within_the_call_and_schedules_nothing() -> None:
    env = simpy.Environment()
    resolver = ImmediateResolver()
    resolver.attach(env)
    port, v = a_port_and_a_visit()
    answered: Answered = []
    resolver.authorize(port, v, lambda *a: answered.append(a))
    resolver.start_transaction(port, v, lambda *a: answered.append(a))
    resolver.status(port, PortStatus.CHARGING, 1)
    resolver.stop_transaction(port, v, StopReason.LOCAL)
    assert answered == [(v, port, AuthStatus.ACCEPTED)] * 2
    assert env.peek() == float("inf")
    assert not resolver.pending(port.index)
    assert v.tag == ""  # every tag is accepted: nobody even asked for it


def test_the_immediate_resolver_applies_a_provisioned_tag_list() -> None:
    env = simpy.Environment()
    port, v = a_port_and_a_visit()
    tags = {v.id_tag: ProvisionedTag(v.id_tag, AuthStatus.BLOCKED)}
    answered: Answered = []
    for resolver in (ImmediateResolver(tags), ImmediateResolver({}, accept_unknown=False)):
        resolver.attach(env)
        resolver.authorize(port, v, lambda *a: answered.append(a))
    assert [status for _, _, status in answered] == [AuthStatus.BLOCKED, AuthStatus.INVALID]


def test_the_batched_resolver_hands_over_one_instants_requests_at_its_end_in_issue_order() -> None:
    env = simpy.Environment()
    batches: list[list[Outgoing]] = []
    resolver = BatchedResolver(batches.append)
    resolver.attach(env)
    port, v = a_port_and_a_visit()
    env.run(until=60.0)
    resolver.status(port, PortStatus.PREPARING, 1)
    resolver.authorize(port, v, lambda *a: None)
    resolver.stop_transaction(port, v, StopReason.REMOTE)
    assert resolver.pending(port.index)
    assert not resolver.pending(port.index + 1)
    assert batches == []
    env.run(until=61.0)
    [batch] = batches
    assert [type(o.request) for o in batch] == [StatusChange, Authorize, StopTransaction]
    assert [o.reply is not None for o in batch] == [False, True, False]
    assert all(o.port == port.index and o.request.at_s == 60.0 for o in batch)
    assert batch[1].request == Authorize(v.id_tag, 60.0)
    assert not resolver.pending(port.index)


def test_a_batched_answer_reaches_the_visit_with_its_status_or_none_for_a_wrong_reply() -> None:
    env = simpy.Environment()
    batches: list[list[Outgoing]] = []
    resolver = BatchedResolver(batches.append)
    resolver.attach(env)
    port, v = a_port_and_a_visit()
    answered: Answered = []
    resolver.authorize(port, v, lambda *a: answered.append(a))
    resolver.start_transaction(port, v, lambda *a: answered.append(a))
    env.run(until=1.0)
    auth, start = batches[0]
    assert auth.reply is not None
    assert start.reply is not None
    auth.reply.succeed(AuthReply(AuthStatus.EXPIRED))
    start.reply.succeed(AuthReply(AuthStatus.ACCEPTED))  # not a StartReply: no answer
    env.run(until=2.0)
    assert answered == [(v, port, AuthStatus.EXPIRED), (v, port, None)]
