"""`Pacer`: virtual time at `pace` times the wall clock (--pace), for backends that judge
timestamps against their own clock.

The lockstep sleeps until the wall clock reaches the next event's virtual time; a central
system's call wakes it early, since the call may have changed the schedule. Never
`simpy.rt.RealtimeEnvironment`: it blocks the event loop in `time.sleep`.
"""

from __future__ import annotations

import asyncio

__all__ = ["Pacer"]


class Pacer:
    """Maps virtual seconds to the event loop's clock from `start()` on."""

    __slots__ = ("_wake", "_wall0", "pace", "sleeping", "started")

    def __init__(self, pace: float) -> None:
        self.pace = pace
        self._wall0 = 0.0
        self._wake = asyncio.Event()
        self.sleeping = False
        """The lockstep waits for the wall clock (virtual time is behind it)."""
        self.started = False

    def start(self) -> None:
        """Virtual time 0 is now."""
        self._wall0 = asyncio.get_running_loop().time()
        self.started = True

    def wall_time(self, t: float) -> float:
        """The loop time virtual time t is due at (its intended instant)."""
        return self._wall0 + t / self.pace

    def virtual_now_s(self) -> float:
        """The virtual time the wall clock has reached."""
        return (asyncio.get_running_loop().time() - self._wall0) * self.pace

    def wake(self) -> None:
        """End a sleep early (a central system's call entered the model)."""
        self._wake.set()

    async def until(self, t: float) -> bool:
        """Sleep until the wall clock reaches virtual time t; True when woken early."""
        delay_s = self._wall0 + t / self.pace - asyncio.get_running_loop().time()
        if delay_s <= 0:
            return False
        self._wake.clear()
        self.sleeping = True
        try:
            async with asyncio.timeout(delay_s):
                await self._wake.wait()
        except TimeoutError:
            return False
        finally:
            self.sleeping = False
        return True
