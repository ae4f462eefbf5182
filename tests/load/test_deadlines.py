"""`Deadlines`: the run's one wheel of answer deadlines cancels exactly the tasks still
waiting when their deadline has passed, and says which cancellations were its own."""

from __future__ import annotations

import asyncio
import contextlib

from simulator.load.fleet import Deadlines

TICK_S = 0.01
BOUND_S = 30.0  # only a broken wheel waits this long


async def _waiter(deadlines: Deadlines, at: float, release: asyncio.Event) -> str:
    """Wait for `release` under the deadline `at`, as a charge point waits for its answer."""
    task = asyncio.current_task()
    assert task is not None
    slot = deadlines.watch(at, task)
    try:
        await release.wait()
    except asyncio.CancelledError:
        if deadlines.fired(task) and task.uncancel() == 0:
            return "timed out"
        raise
    finally:
        deadlines.unwatch(slot, task)
    return "answered"


async def test_a_waiter_past_its_deadline_is_cancelled_and_told_it_was_the_deadline() -> None:
    loop = asyncio.get_running_loop()
    deadlines = Deadlines(loop, TICK_S)
    ticker = asyncio.create_task(deadlines.run())
    try:
        never = asyncio.Event()
        started = loop.time()
        async with asyncio.timeout(BOUND_S):
            outcome = await _waiter(deadlines, started + 0.05, never)
        assert outcome == "timed out"
        assert loop.time() >= started + 0.05  # never before its deadline
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker


async def test_an_answer_before_the_deadline_is_not_cancelled_later() -> None:
    loop = asyncio.get_running_loop()
    deadlines = Deadlines(loop, TICK_S)
    ticker = asyncio.create_task(deadlines.run())
    try:
        release = asyncio.Event()
        release.set()
        outcome = await _waiter(deadlines, loop.time() + 0.05, release)
        assert outcome == "answered"
        # The task goes on waiting past the old deadline: the wheel must leave it alone.
        later = asyncio.Event()
        loop.call_later(0.2, later.set)
        async with asyncio.timeout(BOUND_S):
            await later.wait()
        assert not deadlines.fired(asyncio.current_task())  # type: ignore[arg-type]
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker


async def test_a_run_cancelled_while_waiting_stays_cancelled_even_past_the_deadline() -> None:
    loop = asyncio.get_running_loop()
    deadlines = Deadlines(loop, TICK_S)
    ticker = asyncio.create_task(deadlines.run())
    try:
        never = asyncio.Event()
        waiter = asyncio.create_task(_waiter(deadlines, loop.time() + 0.05, never))
        await asyncio.sleep(0)
        waiter.cancel()  # the run stopping: not the deadline's cancellation
        done, _ = await asyncio.wait({waiter}, timeout=BOUND_S)
        assert done == {waiter}
        assert waiter.cancelled()
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker


async def test_deadlines_fire_in_order_and_only_for_those_still_waiting() -> None:
    loop = asyncio.get_running_loop()
    deadlines = Deadlines(loop, TICK_S)
    ticker = asyncio.create_task(deadlines.run())
    try:
        now = loop.time()
        events = [asyncio.Event() for _ in range(4)]
        waiters = [
            asyncio.create_task(_waiter(deadlines, now + 0.05 * (k + 1), events[k]))
            for k in range(4)
        ]
        await asyncio.sleep(0)
        events[1].set()
        events[3].set()
        async with asyncio.timeout(BOUND_S):
            outcomes = await asyncio.gather(*waiters)
        assert outcomes == ["timed out", "answered", "timed out", "answered"]
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
