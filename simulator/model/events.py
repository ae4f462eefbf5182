"""The model's own SimPy event types: the hot paths are chains of callbacks behind these.

A visit is a chain of event callbacks rather than a generator process: the same SimPy events
at the same instants, without a process's start and end events per visit, which is a third of
the engine's time on a busy site. These types keep that chain readable and keep it off
SimPy's internals.
"""

from __future__ import annotations

from collections.abc import Callable

import simpy
from simpy.events import NORMAL, Event, EventPriority, Timeout

__all__ = ["FLUSH_PRIORITY", "Answer", "Flush", "Timer", "then"]

# SimPy sorts events by (time, priority, id); URGENT is 0 and NORMAL 1. The flush runs after
# every other event due at the same instant.
FLUSH_PRIORITY = EventPriority(2)

Callback = Callable[[Event], None]


class Flush(Event):
    """Fires once every other event of the current instant has run, then calls `callback`.

    Triggered in its constructor at FLUSH_PRIORITY, as SimPy's own `Initialize` is at URGENT.
    """

    def __init__(self, env: simpy.Environment, callback: Callback) -> None:
        super().__init__(env)
        self.callbacks.append(callback)
        self._ok = True
        self._value = None
        env.schedule(self, FLUSH_PRIORITY)


class Timer(Timeout):
    """A timeout that calls `callback` when it fires (one link of a visit's chain).

    Initialized inline, as SimPy's own `Timeout` is: two of these per session.
    """

    def __init__(self, env: simpy.Environment, delay_s: float, callback: Callback) -> None:
        if delay_s < 0:
            raise ValueError(f"negative delay {delay_s}")
        self.env = env
        self.callbacks = [callback]
        self._value = None
        self._delay = delay_s
        self._ok = True
        env.schedule(self, NORMAL, delay_s)


class Answer(Event):
    """The central system's answer to a request the model waits on: the runtime resolves it
    with `succeed(reply)` (a `requests.Reply`)."""


def then(event: Event, callback: Callback) -> None:
    """Run `callback` when `event` is processed."""
    callbacks = event.callbacks
    assert callbacks is not None, "the event was already processed"
    callbacks.append(callback)
