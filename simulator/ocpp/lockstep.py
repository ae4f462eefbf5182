"""`Lockstep`: the OCPP engine's loop, the one place where virtual time meets the event loop.

    connect every charge point (boot, initial StatusNotification)
    while the next event is before the horizon:
        wait until the oldest unanswered message is at most max_lag behind that event
        send the heartbeats due before it (virtual time, only from idle charge points;
            paced, each at its instant)
        run the SimPy event; when the instant's flush hands over a batch:
            queue every request on its charge point's connection (in issue order)
            await the replies the model waits on; resolve them in the order they were issued
    drain the queues, disconnect

Notifications (status, meter values, stop, heartbeats) are not awaited at the instant they are
issued: the physics never waits on them, and each connection still sends them one CALL at a
time in issue order. Virtual time may run ahead of the oldest unanswered one by at most
`max_lag_s` virtual seconds (0: strict lockstep), so a backend's view of the network is never
more than that behind the model's. Replies the model does wait on (Authorize,
StartTransaction) arrive at the same virtual instant they were asked at, exactly as the fast
engine answers them, so a seed gives the same records on both, whatever the bound.

Calls the central system initiates enter the model at the current virtual instant (in paced
mode: at the virtual time the wall clock has reached), from the moment their charge point's
boot is accepted, even while the rest of the fleet is still connecting.

A Reset stops the port's running transaction and voids an authorization under way; the port
takes no new car until the charge point has booted again. The charge point reboots once
everything the Reset caused is queued and answered (`_held` until the model has handed it
all over).

The pieces: `ModelAdapter` (the model), `HeartbeatSchedule` (heartbeats in virtual time),
`Backlog` (unanswered messages, lag), `Pacer` (--pace); the `OcppClient`s are the wire, and
this class is the `Station` they call back into.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import resource
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ocppj import OCPP201, Version
from simulator.model.records import Outcome, Records
from simulator.model.requests import Reply
from simulator.model.smart_charging import PortProfiles
from simulator.model.world import DAY_S, World
from simulator.ocpp.backlog import Backlog
from simulator.ocpp.client import OcppClient
from simulator.ocpp.clock import VirtualClock
from simulator.ocpp.heartbeats import HeartbeatSchedule
from simulator.ocpp.message_log import MessageLog
from simulator.ocpp.model_adapter import Handover, ModelAdapter
from simulator.ocpp.pacing import Pacer
from simulator.ocpp.transport import BackendError, TransportConfig
from simulator.ocpp.v16 import ChargePointV16
from simulator.ocpp.wire_stats import (
    DEFAULT_MAX_LAG_S,
    LagMeter,
    Sessions,
    WireStats,
    refused_by_action,
)

if TYPE_CHECKING:
    from simulator.ocpp.v201 import ChargingStationV201

__all__ = ["BACKLOG_HIGH", "BACKLOG_LOW", "Lockstep", "Progress"]

Progress = Callable[[float, float], None]
"""Called with (virtual seconds done, virtual seconds in all)."""

BACKLOG_HIGH = 4096  # queued notifications before virtual time waits for the wire
BACKLOG_LOW = 1024
YIELD_EVERY_STEPS = 16  # let replies and central-system calls in at least this often
CONNECT_CONCURRENCY = 64  # handshakes in flight while connecting the fleet
WATCHDOG_PERIOD_S = 0.25
FILES_PER_CHARGE_POINT = 1


class Lockstep:
    """Runs one world over OCPP against a central system at `transport.url`."""

    def __init__(
        self,
        world: World,
        transport: TransportConfig,
        *,
        pace: float | None = None,
        message_log: Path | None = None,
        progress: Progress | None = None,
        max_lag_s: float | None = DEFAULT_MAX_LAG_S,
        versions: Mapping[str, Version] | None = None,
        grid_in_csms: bool = False,
    ) -> None:
        """`versions`: the OCPP version of each network's charge points, by network id
        (1.6 where none is given); `grid_in_csms`: the central system shares the sites' grid
        limits out (ModelAdapter)."""
        if max_lag_s is not None and not max_lag_s >= 0:
            raise ValueError(f"max_lag_s must be 0 or more, not {max_lag_s}")
        self.world = world
        self.transport = transport
        self.max_lag_s = max_lag_s
        self.progress = progress
        self.clock = VirtualClock(world.start)
        self.model = ModelAdapter(world, grid_in_csms=grid_in_csms)
        self._now_s = 0.0
        self._pacer = Pacer(pace) if pace is not None else None
        self._log = (
            MessageLog(message_log, self.clock, self.now_s) if message_log is not None else None
        )
        prefix = uuid.uuid4().hex[:8] + "-"  # message ids stay unique across runs on one DB
        versions = versions or {}
        station: type[ChargePointV16 | ChargingStationV201] = ChargePointV16
        if OCPP201 in versions.values():
            # imported only when a network speaks it: 2.0.1's modules and the ocpp package's
            # v201 dataclasses are about 0.3 CPU-s of a 1.6 run's imports otherwise
            from simulator.ocpp.v201 import ChargingStationV201

            station = ChargingStationV201
        self.clients: list[OcppClient] = [
            (station if versions.get(port.network) == OCPP201 else ChargePointV16)(
                i, port, self, transport, self.clock, message_log=self._log, id_prefix=prefix
            )
            for i, port in enumerate(world.ports)
        ]
        n = len(self.clients)
        self.backlog = Backlog(n)
        self.heartbeats = HeartbeatSchedule(n)
        self._drained = asyncio.Event()
        self._caught_up = asyncio.Event()
        self._ready = 0
        self._seen_ready = [False] * n
        self._all_ready = asyncio.Event()
        # resets: ports rebooting, and those whose reboot waits for the model (see reset())
        self._resetting: set[int] = set()
        self._held: set[int] = set()
        self.resets = 0
        self.reboots = 0
        self.wire: WireStats | None = None
        """What only the wire knows, once the run is over (wire.json)."""
        self._finished = False

    @property
    def messages(self) -> int:
        """Messages the charge points queued that were answered (or given up) so far."""
        return self.backlog.messages

    @property
    def lag(self) -> LagMeter:
        return self.backlog.lag

    @property
    def pacer(self) -> Pacer | None:
        """The wall-clock mapping of a paced run (None: as fast as the wire allows)."""
        return self._pacer

    # --- the run ------------------------------------------------------------------------

    async def run(self) -> Records:
        _raise_file_limit(len(self.clients) * FILES_PER_CHARGE_POINT + 256)
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with asyncio.TaskGroup() as tasks:
                gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
                for client in self.clients:
                    client.connect_gate = gate
                    client.tasks = tasks
                    tasks.create_task(client.run())
                watchdog = tasks.create_task(self._watchdog())
                if self.clients:
                    await self._all_ready.wait()
                await self._loop()
                self._finished = True
                await self._drain()
                watchdog.cancel()
                async with asyncio.TaskGroup() as closing:
                    for client in self.clients:
                        closing.create_task(client.close())
        except* BackendError as group:
            raise group.exceptions[0] from None
        finally:
            if self._log is not None:
                self._log.close()
        records = self.model.finish()
        self.wire = self._wire_stats(records, loop.time() - started)
        return records

    def _wire_stats(self, records: Records, wall_s: float) -> WireStats:
        clients = self.clients
        plugged_in = refused = 0
        for s in records.sessions:
            if s.reason.startswith("authorization_"):
                plugged_in += 1
                refused += 1
            elif s.port and s.outcome in (Outcome.SERVED, Outcome.ON_SITE):
                plugged_in += 1
        connections = sum(c.connections for c in clients)
        first = sum(1 for c in clients if c.connections)
        return WireStats(
            charge_points=len(clients),
            messages=self.messages,
            boots=sum(c.boots for c in clients),
            reconnects=max(0, connections - first - self.reboots),
            resets=self.resets,
            refused=refused_by_action([c.refused for c in clients]),
            sessions=Sessions(plugged_in=plugged_in, refused=refused),
            lag_s=self.lag.summary(self.max_lag_s),
            wall_s=wall_s,
        )

    async def _loop(self) -> None:
        model = self.model
        horizon_s = self.world.horizon_s
        heartbeats = self.heartbeats
        backlog = self.backlog
        pacer = self._pacer
        next_report_s = min(DAY_S, horizon_s)
        if pacer is not None:
            pacer.start()
        steps = 0
        max_lag_s = math.inf if self.max_lag_s is None else self.max_lag_s
        while True:
            t = model.next_event_s()
            beat_s = heartbeats.next_due_s()
            if min(t, beat_s, horizon_s) - backlog.oldest_issue_s() > max_lag_s:
                await self._catch_up(min(t, beat_s, horizon_s))
                continue  # central systems' calls may have changed the schedule: look again
            if beat_s <= t and beat_s < horizon_s:
                if pacer is not None and await pacer.until(beat_s):
                    continue  # paced, a heartbeat leaves at its instant, not before it
                await self._heartbeat()
                continue
            if t >= horizon_s:
                break
            if pacer is not None and await pacer.until(t):
                continue  # a central system's call entered the model: look again
            self._now_s = t
            if not model.step():
                break
            handed = model.take_handovers()
            if handed:
                await self._dispatch(handed)
                steps += YIELD_EVERY_STEPS
            else:
                steps += 1
            if self._held:
                self._release_settled()
            if steps >= YIELD_EVERY_STEPS:
                steps = 0
                await asyncio.sleep(0)
            if self.progress is not None and model.now_s >= next_report_s:
                self.progress(min(model.now_s, horizon_s), horizon_s)
                next_report_s = min(next_report_s + DAY_S, horizon_s)
        if model.now_s < horizon_s:
            # nothing left before it: only the clock moves, as on the fast engine
            model.run_until(horizon_s)
        self._now_s = horizon_s
        if self.progress is not None:
            self.progress(horizon_s, horizon_s)

    async def _catch_up(self, t: float) -> None:
        """Wait until virtual time may move to t: the oldest unanswered message issued at
        most max_lag_s before it."""
        assert self.max_lag_s is not None
        backlog = self.backlog
        while t - backlog.oldest_issue_s() > self.max_lag_s:
            self._caught_up.clear()
            await self._caught_up.wait()

    def _lag_limit_s(self) -> float:
        """The latest virtual time the lag bound allows now."""
        if self.max_lag_s is None:
            return math.inf
        return self.backlog.oldest_issue_s() + self.max_lag_s

    async def _dispatch(self, handed: list[Handover]) -> None:
        loop = asyncio.get_running_loop()
        clients = self.clients
        heartbeats = self.heartbeats
        waiting: list[tuple[Callable[[Reply], object], asyncio.Future[Reply]]] = []
        touched: list[OcppClient] = []
        now = self.model.now_s
        for index, request, answer in handed:
            client = clients[index]
            waiter: asyncio.Future[Reply] | None = None
            if answer is not None:
                waiter = loop.create_future()
                waiting.append((answer, waiter))
            if client.submit(request, waiter):
                heartbeats.sent(index, now)
                touched.append(client)
        for client in touched:
            await client.pump()
        if self.backlog.size > BACKLOG_HIGH:
            self._drained.clear()
            await self._drained.wait()
        if not waiting:
            return
        replies = [await waiter for _, waiter in waiting]
        for (answer, _), reply in zip(waiting, replies, strict=True):
            answer(reply)

    async def _drain(self) -> None:
        while self.backlog.size > 0:
            self._drained.clear()
            if self.backlog.size > 0:
                await self._drained.wait()

    async def _heartbeat(self) -> None:
        due = self.heartbeats.pop()
        if due is None:
            return
        index, due_s = due
        model = self.model
        if model.now_s < due_s:
            # the model's clock too (no event lies before it): a central system's call that
            # comes in while the heartbeat is out enters the model at this instant, not at the
            # last event's, so what it causes is not stamped before the call itself
            model.run_until(due_s)
        self._now_s = due_s
        client = self.clients[index]
        client.heartbeat()
        await client.pump()

    async def _watchdog(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(WATCHDOG_PERIOD_S)
            now = loop.time()
            for client in self.clients:
                await client.tick(now)

    # --- the Station the charge points see ----------------------------------------------

    def now_s(self) -> float:
        return self._now_s

    def enqueued(self, index: int) -> None:
        self.backlog.enqueued(index, self._now_s)

    def answered(self, index: int) -> None:
        backlog = self.backlog
        oldest_moved = backlog.answered(index, self._now_s)
        if backlog.size <= BACKLOG_LOW:
            self._drained.set()  # also wakes _drain() at every answer below the mark
        if oldest_moved:
            self._caught_up.set()

    def ready(self, index: int) -> None:
        if index in self._resetting:  # booted again after a Reset
            self._resetting.discard(index)
            self.reboots += 1
            if self._enter(index):
                self.model.rebooted(index)
        if not self._seen_ready[index]:
            self._seen_ready[index] = True
            self._ready += 1
            if self._ready == len(self.clients):
                self._all_ready.set()

    def heartbeat_changed(self, index: int) -> None:
        interval_s = float(self.clients[index].heartbeat_interval_s)
        self.heartbeats.changed(index, interval_s, self._now_s)

    def _enter(self, index: int) -> bool:
        """Bring the model to the current virtual instant before a central system's call
        changes it; False before the charge point's boot is accepted and once the run is
        over."""
        if self._finished or not self.clients[index].booted:
            return False
        pacer = self._pacer
        if pacer is not None:
            if pacer.sleeping:
                model = self.model
                t = min(pacer.virtual_now_s(), self._lag_limit_s())
                if model.now_s < t < model.next_event_s():
                    model.run_until(t)
                    self._now_s = t
            pacer.wake()
        return True

    def remote_start(self, index: int, id_tag: str) -> bool:
        return self._enter(index) and self.model.remote_start(index, id_tag)

    def remote_stop(self, index: int, transaction_ref: int) -> bool:
        return self._enter(index) and self.model.remote_stop(index, transaction_ref)

    def change_availability(self, index: int, operative: bool) -> str:
        if not self._enter(index):
            return "Rejected"
        return self.model.change_availability(index, operative)

    def reset(self, index: int, hard: bool) -> bool:
        """Stop the port's charge in the model now; the charge point reboots once all that
        follows from it (StopTransaction, MeterValues, statuses, the answer to an
        authorization under way) is queued: until then its reboot is held."""
        if not self._enter(index) or not self.model.reset(index, hard):
            return False
        self.resets += 1
        self._resetting.add(index)
        if not self.model.settled(index):
            self.clients[index].hold_reboot()
            self._held.add(index)
        return True

    def _release_settled(self) -> None:
        for index in [i for i in self._held if self.model.settled(i)]:
            self._held.discard(index)
            self.clients[index].release_reboot()

    def meter_wh(self, index: int) -> int | None:
        return self.model.meter_wh(index)

    def smart_charging(self, index: int) -> PortProfiles | None:
        """The port's charging profiles, the model brought to now; None before the charge
        point's boot is accepted and once the run is over."""
        return self.model.smart_charging(index) if self._enter(index) else None

    def unlock(self, index: int, connector_id: int) -> bool:  # noqa: ARG002 (one per port)
        return self._enter(index) and self.model.unlock(index)


def _raise_file_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
