"""The model's event types, in virtual time: a flush closes its instant, a timer calls back."""

from __future__ import annotations

import pytest
import simpy

from simulator.model.events import Answer, Flush, Timer, then


def test_a_flush_fires_after_every_other_event_of_its_instant_even_those_made_later() -> None:
    env = simpy.Environment()
    order: list[str] = []
    env.timeout(1.0).callbacks.append(lambda _: order.append("earlier instant"))
    Flush(env, lambda _: order.append("flush"))
    env.timeout(0.0).callbacks.append(lambda _: order.append("timeout"))
    urgent = env.event()
    urgent.callbacks.append(lambda _: order.append("event"))
    urgent.succeed()
    env.run()
    assert order == ["timeout", "event", "flush", "earlier instant"]


def test_a_flush_is_processed_at_the_instant_it_was_made() -> None:
    env = simpy.Environment()
    env.run(until=7.5)
    seen: list[float] = []
    Flush(env, lambda _: seen.append(env.now))
    env.run()
    assert seen == [7.5]


def test_a_timer_calls_its_callback_once_its_delay_has_passed() -> None:
    env = simpy.Environment()
    seen: list[float] = []
    timer = Timer(env, 90.0, lambda ev: seen.append(env.now))
    env.run(until=89.0)
    assert seen == []
    assert not timer.processed
    env.run()
    assert seen == [90.0]


def test_an_answer_runs_what_waits_on_it_when_the_runtime_resolves_it() -> None:
    env = simpy.Environment()
    answer = Answer(env)
    got: list[object] = []
    then(answer, lambda ev: got.append(ev.value))
    env.run()
    assert got == []  # nobody answered: nothing happens, virtual time does not wait
    answer.succeed("reply")
    env.run()
    assert got == ["reply"]


def test_then_refuses_an_event_already_processed() -> None:
    env = simpy.Environment()
    done = env.timeout(0.0)
    env.run()
    with pytest.raises(AssertionError):
        then(done, lambda _: None)
