"""The OCPP engine's door into the model, stepped by hand as the lockstep steps it, with no
event loop and no wire: handovers in issue order, answers at the instant asked, the central
system's calls by charge point number."""

from __future__ import annotations

from pathlib import Path

from simulator import runner
from simulator.model.requests import (
    Authorize,
    AuthReply,
    AuthStatus,
    StartReply,
    StartTransaction,
    StopReason,
    StopTransaction,
)
from simulator.model.world import World
from simulator.ocpp.model_adapter import Handover, ModelAdapter
from tests.ocpp.helpers import small_world


class Central:
    """Answers every request the model waits on at once, every tag accepted, transactions
    numbered from 1; keeps every handover."""

    def __init__(self) -> None:
        self.handed: list[Handover] = []
        self.transactions = 0

    def take(self, adapter: ModelAdapter) -> list[Handover]:
        handed = adapter.take_handovers()
        for h in handed:
            self.handed.append(h)
            if h.answer is None:
                continue
            if isinstance(h.request, StartTransaction):
                self.transactions += 1
                h.answer(StartReply(AuthStatus.ACCEPTED, self.transactions))
            else:
                h.answer(AuthReply(AuthStatus.ACCEPTED))
        return handed


def step_until(adapter: ModelAdapter, central: Central, done: object, world: World) -> None:
    assert callable(done)
    while not done():
        assert adapter.next_event_s() < world.horizon_s, "it never happened"
        assert adapter.step()
        central.take(adapter)


def test_answered_at_the_instant_asked_the_model_gives_the_fast_engines_sessions(
    tmp_path: Path,
) -> None:
    world = small_world(tmp_path, days=1.0, failures=True)
    adapter, central = ModelAdapter(world), Central()
    while adapter.next_event_s() < world.horizon_s:
        assert adapter.step()
        central.take(adapter)
    adapter.run_until(world.horizon_s)
    assert adapter.now_s == world.horizon_s
    assert adapter.finish().sessions == runner.run_fast(world).sessions
    kinds = {type(h.request) for h in central.handed}
    assert {Authorize, StartTransaction, StopTransaction} <= kinds
    # the model waits on Authorize and StartTransaction only
    assert {type(h.request) for h in central.handed if h.answer is not None} == {
        Authorize,
        StartTransaction,
    }
    assert all(0 <= h.charge_point < len(world.ports) for h in central.handed)


def first_charge(tmp_path: Path) -> tuple[World, ModelAdapter, Central, int]:
    """Stepped until the first transaction's answer has reached the model: it charges."""
    world = small_world(tmp_path, days=1.0)
    adapter, central = ModelAdapter(world), Central()
    step_until(adapter, central, lambda: central.transactions == 1, world)
    [start] = [h for h in central.handed if isinstance(h.request, StartTransaction)]
    index = start.charge_point
    step_until(adapter, central, lambda: adapter.settled(index), world)
    return world, adapter, central, index


def stops_handed(adapter: ModelAdapter, central: Central, world: World) -> list[Handover]:
    """Step until the model hands over a StopTransaction."""
    seen = len(central.handed)

    def stops() -> list[Handover]:
        return [h for h in central.handed[seen:] if isinstance(h.request, StopTransaction)]

    step_until(adapter, central, stops, world)
    return stops()


def test_a_remote_stop_stops_the_transaction_running_on_that_charge_point_only(
    tmp_path: Path,
) -> None:
    world, adapter, central, index = first_charge(tmp_path)
    other = (index + 1) % len(world.ports)
    assert not adapter.remote_stop(other, 1)  # not that charge point's transaction
    assert not adapter.remote_stop(index, 2)  # not the transaction running there
    assert adapter.remote_stop(index, 1)
    stops = stops_handed(adapter, central, world)
    assert [(h.charge_point, h.request.reason) for h in stops] == [(index, StopReason.REMOTE)]


def test_a_reset_is_settled_once_the_stop_it_caused_has_been_handed_over(
    tmp_path: Path,
) -> None:
    world, adapter, central, index = first_charge(tmp_path)
    assert adapter.meter_wh(index) is not None  # a session on it: the register reads
    assert adapter.reset(index, hard=False)
    assert not adapter.settled(index)  # the StopTransaction waits for the instant's flush
    stops = stops_handed(adapter, central, world)
    assert [(h.charge_point, h.request.reason) for h in stops] == [(index, StopReason.SOFT_RESET)]
    assert adapter.settled(index)
    assert adapter.meter_wh(index) is None  # the session is over: no register to read
