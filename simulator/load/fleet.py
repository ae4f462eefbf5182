"""`run_load`: a synthetic fleet against a central system, following a ramp; the measurement.

The fleet is charge points `<id_prefix>-000000` upwards; a shard `k` of `K` runs the ids
`i` with `i % K == k` (the ramp's targets are the whole fleet's, so shards add up to it). Each
charge point is one task in the run's TaskGroup, connected in the intervals the ramp gives it
(`Ramp.intervals`). A window task rolls the statistics every `window_s` and hands each window
to `on_window`.

The run ends when the ramp does and every charge point has closed; earlier when a charge
point's CALLs went unanswered `silence_limit` times in a row (the central system went
silent), or at the hard bound `max_duration_s`: then `LoadResult.stopped` says why in one
line naming the charge point. When no charge point ever connected and an attempt failed for
a reason retrying cannot mend (nothing listens, HTTP 401/404, TLS, no common subprotocol),
`run_load` raises a UserError naming it instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ocppj import warm_up
from simulator.errors import UserError
from simulator.load.charge_point import ConnectFailure, LoadChargePoint
from simulator.load.dialect import dialect
from simulator.load.options import LoadOptions
from simulator.load.plan import is_active
from simulator.load.recorder import Recorder
from simulator.load.result import LoadResult, WindowStats

__all__ = ["Deadlines", "Fleet", "charge_point_id", "run_load", "shard_target"]

DEADLINE_TICK_S = 0.05
"""How late past its `timeout_s` a CALL is counted a timeout, at most (plus the loop's lag)."""


def charge_point_id(prefix: str, index: int) -> str:
    return f"{prefix}-{index:06d}"


def shard_target(target: int, shard: int, shards: int) -> int:
    """How many of the fleet's first `target` ids belong to `shard`."""
    if target <= shard:
        return 0
    return (target - shard + shards - 1) // shards


class Deadlines:
    """The answer deadlines of a run's CALLs, on a wheel of `tick_s` slots: one ticker task
    for the run instead of a timer per CALL (a timer costs more than the rest of a CALL's
    bookkeeping). A CALL still waiting when its slot comes gets its task cancelled; the task
    asks `fired` whether the cancellation was the deadline's. A deadline fires at most one
    tick (plus the loop's own lateness) after it passed."""

    __slots__ = ("_buckets", "_fired", "_loop", "_next", "tick_s")

    def __init__(self, loop: asyncio.AbstractEventLoop, tick_s: float) -> None:
        self._loop = loop
        self.tick_s = tick_s
        self._buckets: dict[int, set[asyncio.Task[None]]] = {}
        self._fired: set[asyncio.Task[None]] = set()
        self._next = math.ceil(loop.time() / tick_s)

    def watch(self, at: float, task: asyncio.Task[Any]) -> int:
        """Cancel `task` once `at` has passed, unless unwatched first; returns its slot."""
        slot = max(self._next, math.ceil(at / self.tick_s))
        bucket = self._buckets.get(slot)
        if bucket is None:
            bucket = self._buckets[slot] = set()
        bucket.add(task)
        return slot

    def unwatch(self, slot: int, task: asyncio.Task[Any]) -> None:
        bucket = self._buckets.get(slot)
        if bucket is not None:
            bucket.discard(task)

    def fired(self, task: asyncio.Task[Any]) -> bool:
        """Whether the deadline cancelled `task` (once: the answer is taken)."""
        if task in self._fired:
            self._fired.discard(task)
            return True
        return False

    async def run(self) -> None:
        loop = self._loop
        while True:
            await asyncio.sleep(self.tick_s)
            now_slot = math.floor(loop.time() / self.tick_s)
            while self._next <= now_slot:
                for task in self._buckets.pop(self._next, ()):
                    self._fired.add(task)
                    task.cancel()
                self._next += 1


class Fleet:
    """What the charge points of one run share: options, clock, recorder, the stop."""

    def __init__(self, options: LoadOptions, recorder: Recorder) -> None:
        self.options = options
        self.recorder = recorder
        self.loop = asyncio.get_running_loop()
        self.t0 = self.loop.time()
        self.stopped = asyncio.Event()
        self.stop_reason: str | None = None
        self.fatal: str | None = None
        self._ever_connected = False
        self.dialect = dialect(options.ocpp or "1.6")
        self.deadlines = Deadlines(self.loop, min(DEADLINE_TICK_S, options.timeout_s / 10.0))

    def stop(self, reason: str) -> None:
        """End the run (the first reason given is the one reported)."""
        if self.stop_reason is None:
            self.stop_reason = reason
        self.stopped.set()

    def connect_failed(self, charge_point_id: str, failure: ConnectFailure) -> None:
        if failure.fatal and not self._ever_connected:
            self.fatal = f"charge point {charge_point_id}: {failure}"
            self.stop(self.fatal)

    def connect_succeeded(self) -> None:
        self._ever_connected = True

    def target_at(self, t_s: float) -> int:
        """This shard's share of the ramp's target `t_s` into the run."""
        options = self.options
        return shard_target(options.ramp.target_at(t_s), options.shard, options.shards)


async def run_load(
    options: LoadOptions, on_window: Callable[[WindowStats], None] | None = None
) -> LoadResult:
    """Run the load `options` describe; `on_window` gets each window as it closes."""
    if options.scenario is not None:  # a scenario's fleet and drivers, paced: its own module
        from simulator.load.scenario_traffic import run_scenario_load

        return await run_scenario_load(options, on_window)
    recorder = Recorder()
    fleet = Fleet(options, recorder)
    warm_up(fleet.dialect.version)  # compiled now, not inside the first CALLs' latency
    ramp = options.ramp
    plan = options.plan
    members = []
    for index in range(options.shard, ramp.peak, options.shards):
        spans = ramp.intervals(index)
        if spans:
            cp = LoadChargePoint(
                fleet,
                index,
                charge_point_id(options.id_prefix, index),
                is_active(index, plan.active_share),
            )
            members.append((cp, spans))
    window_ends: list[float] = [0.0]
    # Time 0 of the ramp: now, with every charge point built (a big fleet takes a while).
    started_at = datetime.now(UTC)
    fleet.t0 = fleet.loop.time()

    async def roll_windows() -> None:
        k = 1
        while True:
            end_s = k * options.window_s
            await asyncio.sleep(max(0.0, fleet.t0 + end_s - fleet.loop.time()))
            _roll(fleet, window_ends, end_s, on_window)
            k += 1

    async def charge_points() -> None:
        async with asyncio.TaskGroup() as group:
            for cp, spans in members:
                group.create_task(cp.run(spans))

    async with asyncio.TaskGroup() as run:
        fleet_task = run.create_task(charge_points())
        stop_task = run.create_task(fleet.stopped.wait())
        window_task = run.create_task(roll_windows())
        deadline_task = run.create_task(fleet.deadlines.run())
        deadline_s = options.hard_limit_s
        remaining_s = fleet.t0 + deadline_s - fleet.loop.time()
        await asyncio.wait(
            {fleet_task, stop_task},
            timeout=max(0.0, remaining_s),
            return_when=asyncio.FIRST_COMPLETED,
        )
        if not fleet_task.done() and not fleet.stopped.is_set():
            fleet.stop(
                f"the run reached its hard bound of {deadline_s:g} s (max_duration_s) with "
                "charge points still busy"
            )
        for task in (fleet_task, stop_task, window_task, deadline_task):
            task.cancel()
        for task in (fleet_task, stop_task, window_task, deadline_task):
            with contextlib.suppress(asyncio.CancelledError):
                await task
    now_s = fleet.loop.time() - fleet.t0
    if now_s - window_ends[-1] > 1e-3 or len(window_ends) == 1:
        _roll(fleet, window_ends, now_s, on_window)
    if fleet.fatal is not None:
        raise UserError(fleet.fatal)
    return recorder.result(
        target=options.url,
        started_at=started_at,
        duration_s=now_s,
        ramp=ramp.describe(),
        plan=plan.to_json(),
        ocpp=fleet.dialect.label,
        stopped=fleet.stop_reason if fleet.stop_reason != fleet.fatal else None,
    )


def _roll(
    fleet: Fleet,
    window_ends: list[float],
    end_s: float,
    on_window: Callable[[WindowStats], None] | None,
) -> None:
    stats = fleet.recorder.roll(window_ends[-1], end_s, fleet.target_at(end_s))
    window_ends.append(end_s)
    if on_window is not None:
        on_window(stats)
