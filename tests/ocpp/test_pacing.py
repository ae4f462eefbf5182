"""The pacer (--pace): sleeping until the wall clock reaches a virtual time, woken early by a
central system's call."""

from __future__ import annotations

import asyncio

from simulator.ocpp.pacing import Pacer
from tests.ocpp.helpers import WAIT_S

PACE = 10.0
FAR_S = 1e6  # a virtual time the wall clock does not reach during a test


async def test_a_virtual_time_the_wall_clock_has_passed_needs_no_sleep() -> None:
    pacer = Pacer(PACE)
    pacer.start()
    assert await pacer.until(-1.0) is False
    assert not pacer.sleeping


async def test_a_wake_ends_the_sleep_early_and_says_so() -> None:
    pacer = Pacer(PACE)
    pacer.start()
    sleeping = asyncio.Event()

    async def wake_once_asleep() -> None:
        while not pacer.sleeping:
            await asyncio.sleep(0)
        sleeping.set()
        pacer.wake()

    async with asyncio.timeout(WAIT_S), asyncio.TaskGroup() as tasks:
        waker = tasks.create_task(wake_once_asleep())
        woken = await pacer.until(FAR_S)
    assert woken is True
    assert sleeping.is_set()
    assert waker.done()
    assert not pacer.sleeping
    assert 0.0 <= pacer.virtual_now_s() < FAR_S


async def test_a_wake_before_the_sleep_does_not_cut_the_next_one_short() -> None:
    pacer = Pacer(PACE)
    pacer.start()
    pacer.wake()  # a call that entered while the loop was busy, not asleep
    # the sleep that follows runs to its time: here a little past the start
    async with asyncio.timeout(WAIT_S):
        assert await pacer.until(pacer.virtual_now_s() + 0.01 * PACE) is False
