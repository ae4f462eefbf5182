"""The model's hooks for the central system's calls (OCPP engine seam), in virtual time with no
event loop: a Reset stops the running charge, voids an authorization under way and holds the
port until the reboot; a remote stop that overtakes the start's answer still stops it."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from simulator.model.records import Outcome
from simulator.model.requests import (
    Authorize,
    AuthReply,
    AuthStatus,
    StartReply,
    StartTransaction,
    StopReason,
    StopTransaction,
)
from simulator.model.resolver import BatchedResolver, Outgoing
from simulator.model.simulation import Simulation
from tests.ocpp.helpers import small_world


class Central:
    """Answers the model's requests the way the driver does: at the instant they were asked,
    every tag accepted; the first request of kind `hold` on port `hold_port` is kept
    unanswered."""

    def __init__(self, hold_port: int | None = None, hold: type = Authorize) -> None:
        self.sent: list[Outgoing] = []
        self.held: Outgoing | None = None
        self.hold_port = hold_port
        self.hold = hold
        self.transactions = 0

    def flush(self, batch: list[Outgoing]) -> None:
        for out in batch:
            self.sent.append(out)
            if out.reply is None:
                continue
            if (
                self.hold_port == out.port
                and self.held is None
                and isinstance(out.request, self.hold)
            ):
                self.held = out
                continue
            self.answer(out)

    def answer(self, out: Outgoing) -> None:
        assert out.reply is not None
        if isinstance(out.request, StartTransaction):
            self.transactions += 1
            out.reply.succeed(StartReply(AuthStatus.ACCEPTED, self.transactions))
        else:
            out.reply.succeed(AuthReply(AuthStatus.ACCEPTED))


def simulation(
    tmp_path: Path, hold_port: int | None = None, hold: type = Authorize
) -> tuple[Simulation, Central]:
    world = small_world(tmp_path, days=1.0, rate_per_h=6.0)
    central = Central(hold_port, hold)
    sim = Simulation(
        world, resolver=BatchedResolver(central.flush), meter_interval_s=world.meter_interval_s
    )
    return sim, central


def step_until(sim: Simulation, condition: object, limit_s: float = 86400.0) -> None:
    assert callable(condition)
    while not condition():
        assert sim.env.peek() < limit_s, "the condition never held"
        sim.env.step()


def test_a_reset_stops_the_running_charge_and_the_port_waits_for_the_reboot(
    tmp_path: Path,
) -> None:
    sim, central = simulation(tmp_path)
    step_until(sim, lambda: any(p.charging for p in sim.ports))
    port = next(p for p in sim.ports if p.charging)
    visit = port.visit
    assert visit is not None
    assert sim.reset(port.id, hard=True)
    assert not port.charging
    assert port.visit is None
    assert port not in port.site.free
    sim.env.run(until=sim.env.now + 1.0)  # the instant's flush
    stops = [o.request for o in central.sent if isinstance(o.request, StopTransaction)]
    assert stops[-1].reason is StopReason.HARD_RESET
    assert not sim.remote_start(port.id, "APP1")  # busy rebooting
    before = len(central.sent)
    sim.env.run(until=sim.env.now + 4 * 3600.0)
    assert not [o for o in central.sent[before:] if o.port == port.index and o.reply]
    sim.rebooted(port.id)
    assert port in port.site.free or port.visit is not None
    records = sim.finish()
    [session] = [s for s in records.sessions if s.driver == visit.driver and s.port == port.id]
    assert (session.outcome, session.reason) == (Outcome.SERVED, "HardReset")


def test_an_idle_port_reset_takes_no_car_until_the_reboot_and_is_then_free_once(
    tmp_path: Path,
) -> None:
    sim, _ = simulation(tmp_path)
    port = sim.ports[0]
    assert port.visit is None
    assert port in port.site.free
    assert sim.reset(port.id, hard=True)
    assert port not in port.site.free
    sim.env.run(until=3600.0)  # drivers arrive meanwhile: none may take the rebooting port
    assert port.visit is None
    sim.rebooted(port.id)
    assert port.site.free.count(port) + (port.visit is not None) == 1
    records = sim.finish()
    on_port = sorted((s.start_s, s.depart_s) for s in records.sessions if s.port == port.id)
    for (_, depart_s), (start_s, _) in itertools.pairwise(on_port):
        assert start_s >= depart_s  # one visit at a time


@pytest.mark.parametrize("in_flight", [Authorize, StartTransaction])
def test_an_authorization_under_way_at_a_reset_never_becomes_a_session(
    tmp_path: Path, in_flight: type
) -> None:
    sim, central = simulation(tmp_path, hold_port=3, hold=in_flight)
    step_until(sim, lambda: central.held is not None)
    held = central.held
    assert held is not None
    port = sim.ports[held.port]
    assert sim.authorizing(port.id)
    assert sim.reset(port.id, hard=False)
    assert sim.authorizing(port.id)  # the answer is still to come
    central.answer(held)  # the central system accepts the tag, too late
    sim.env.run(until=sim.env.now + 1.0)
    assert not sim.authorizing(port.id)
    assert port.visit is None
    later = [o.request for o in central.sent if o.port == held.port]
    later = [r for r in later if r.at_s >= held.request.at_s]
    assert not [r for r in later if isinstance(r, StartTransaction) and r is not held.request]
    stops = [r for r in later if isinstance(r, StopTransaction)]
    if in_flight is StartTransaction:  # the central system opened it: the reset closes it
        assert [s.reason for s in stops] == [StopReason.SOFT_RESET]
    else:
        assert not stops
    sim.rebooted(port.id)
    records = sim.finish()
    [cut] = [s for s in records.sessions if s.reason == "reset"]
    assert (cut.port, cut.outcome, cut.arrival_s <= held.request.at_s) == (
        port.id,
        Outcome.TURNED_AWAY,
        True,
    )


def test_a_remote_stop_that_overtakes_the_answer_to_its_start_stops_the_charge_as_it_starts(
    tmp_path: Path,
) -> None:
    sim, central = simulation(tmp_path, hold_port=3, hold=StartTransaction)
    step_until(sim, lambda: central.held is not None)
    held = central.held
    assert held is not None
    assert isinstance(held.request, StartTransaction)
    port = sim.ports[held.port]
    # the central system has numbered the transaction and asks to stop it at once
    assert sim.remote_stop(held.request.transaction_ref)
    central.answer(held)
    sim.env.run(until=sim.env.now + 1.0)
    assert not port.charging
    stops = [o.request for o in central.sent if isinstance(o.request, StopTransaction)]
    assert [s.reason for s in stops if s.transaction_ref == held.request.transaction_ref] == [
        StopReason.REMOTE
    ]
    records = sim.finish()
    [session] = [s for s in records.sessions if s.port == port.id and s.reason == "Remote"]
    assert session.outcome is Outcome.SERVED
    assert session.energy_kwh == 0.0
