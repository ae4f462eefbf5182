"""The driver: the one place where virtual time meets the event loop (the OCPP engine).

    connect every charge point (boot, initial StatusNotification)
    while the next event is before the horizon:
        wait until the oldest unanswered message is at most max_lag behind that event
        send the heartbeats due before it (virtual time, only from idle charge points)
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
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import heapq
import logging
import math
import os
import resource
import ssl
import uuid
from collections import deque
from collections.abc import Callable
from pathlib import Path

from simpy.core import EmptySchedule

from simulator.model.records import Outcome, Records
from simulator.model.requests import Reply
from simulator.model.resolver import BatchedResolver, Outgoing
from simulator.model.simulation import Simulation
from simulator.model.world import DAY_S, World
from simulator.ocpp.builtin_csms import BuiltinCsms
from simulator.ocpp.client import OcppClient
from simulator.ocpp.clock import VirtualClock
from simulator.ocpp.message_log import MessageLog
from simulator.ocpp.transport import BackendError, TransportConfig
from simulator.ocpp.v16 import ChargePointV16
from simulator.ocpp.wire_stats import (
    DEFAULT_MAX_LAG_S,
    LagMeter,
    Sessions,
    WireStats,
    refused_by_action,
)

LOGGER = logging.getLogger("simulator.driver")

Progress = Callable[[float, float], None]
OnWire = Callable[[WireStats], None]

BACKLOG_HIGH = 4096  # queued notifications before virtual time waits for the wire
BACKLOG_LOW = 1024
YIELD_EVERY_STEPS = 16  # let replies and central-system calls in at least this often
CONNECT_CONCURRENCY = 64  # handshakes in flight while connecting the fleet
WATCHDOG_PERIOD_S = 0.25
FILES_PER_CHARGE_POINT = 1


class Driver:
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
    ) -> None:
        if max_lag_s is not None and not max_lag_s >= 0:
            raise ValueError(f"max_lag_s must be 0 or more, not {max_lag_s}")
        self.world = world
        self.transport = transport
        self.pace = pace
        self.max_lag_s = max_lag_s
        self.progress = progress
        self.clock = VirtualClock(world.start)
        self.resolver = BatchedResolver(self._on_flush)
        self.sim = Simulation(
            world, resolver=self.resolver, meter_interval_s=world.meter_interval_s
        )
        self._batch: list[Outgoing] = []
        self._now_s = 0.0
        self._log = (
            MessageLog(message_log, self.clock, self.now_s) if message_log is not None else None
        )
        prefix = uuid.uuid4().hex[:8] + "-"  # message ids stay unique across runs on one DB
        self.clients: list[OcppClient] = [
            ChargePointV16(
                i, port, self, transport, self.clock, message_log=self._log, id_prefix=prefix
            )
            for i, port in enumerate(world.ports)
        ]
        self._backlog = 0
        self._drained = asyncio.Event()
        self._ready = 0
        self._seen_ready = [False] * len(self.clients)
        self._all_ready = asyncio.Event()
        # lag: every queued message's issue time, per connection and in issue order overall
        self._unanswered: list[deque[list[float]]] = [deque() for _ in self.clients]
        self._issued: deque[list[float]] = deque()  # [issue_s, answered]; head unanswered
        self._caught_up = asyncio.Event()
        self.lag = LagMeter()
        # resets: ports rebooting, and those whose reboot waits for the model (see reset())
        self._resetting: set[int] = set()
        self._held: set[int] = set()
        self._tasks: asyncio.TaskGroup | None = None
        self.resets = 0
        self.reboots = 0
        self.wire: WireStats | None = None
        """What only the wire knows, once the run is over (wire.json)."""
        self._heartbeats: list[tuple[float, int, int]] = []  # (due, index, generation)
        self._heartbeat_generation = [0] * len(self.clients)
        self._last_sent_s = [0.0] * len(self.clients)
        self._wake = asyncio.Event()
        self._sleeping = False
        self._wall0 = 0.0
        self._finished = False
        self.messages = 0

    # --- the run ------------------------------------------------------------------------

    async def run(self) -> Records:
        _raise_file_limit(len(self.clients) * FILES_PER_CHARGE_POINT + 256)
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with asyncio.TaskGroup() as tasks:
                self._tasks = tasks
                gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
                for client in self.clients:
                    client.connect_gate = gate
                    client.tasks = tasks
                    tasks.create_task(client.run())
                watchdog = tasks.create_task(self._watchdog())
                if self.clients:
                    await self._all_ready.wait()
                await self._lockstep()
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
        records = self.sim.finish()
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

    async def _lockstep(self) -> None:
        env = self.sim.env
        horizon_s = self.world.horizon_s
        heartbeats = self._heartbeats
        next_report_s = min(DAY_S, horizon_s)
        loop = asyncio.get_running_loop()
        self._wall0 = loop.time()
        steps = 0
        issued = self._issued
        max_lag_s = math.inf if self.max_lag_s is None else self.max_lag_s
        while True:
            t = env.peek()
            beat_s = heartbeats[0][0] if heartbeats else math.inf
            if issued and min(t, beat_s, horizon_s) - issued[0][0] > max_lag_s:
                await self._catch_up(min(t, beat_s, horizon_s))
                continue  # central systems' calls may have changed the schedule: look again
            if beat_s <= t and beat_s < horizon_s:
                await self._heartbeat(heapq.heappop(heartbeats))
                continue
            if t >= horizon_s:
                break
            if self.pace is not None and await self._pace_until(t):
                continue  # a central system's call entered the model: look again
            self._now_s = t
            try:
                env.step()
            except EmptySchedule:
                break
            if self._batch:
                batch, self._batch = self._batch, []
                await self._dispatch(batch)
                steps += YIELD_EVERY_STEPS
            else:
                steps += 1
            if self._held:
                self._release_settled()
            if steps >= YIELD_EVERY_STEPS:
                steps = 0
                await asyncio.sleep(0)
            if self.progress is not None and env.now >= next_report_s:
                self.progress(min(env.now, horizon_s), horizon_s)
                next_report_s = min(next_report_s + DAY_S, horizon_s)
        if env.now < horizon_s:
            env.run(
                until=horizon_s
            )  # nothing left before it: only the clock moves, as on the fast engine
        self._now_s = horizon_s
        if self.progress is not None:
            self.progress(horizon_s, horizon_s)

    async def _catch_up(self, t: float) -> None:
        """Wait until virtual time may move to t: the oldest unanswered message issued at
        most max_lag_s before it."""
        assert self.max_lag_s is not None
        issued = self._issued
        while issued and t - issued[0][0] > self.max_lag_s:
            self._caught_up.clear()
            await self._caught_up.wait()

    def _lag_limit_s(self) -> float:
        """The latest virtual time the lag bound allows now."""
        if self.max_lag_s is None or not self._issued:
            return math.inf
        return self._issued[0][0] + self.max_lag_s

    def _on_flush(self, batch: list[Outgoing]) -> None:
        self._batch.extend(batch)

    async def _dispatch(self, batch: list[Outgoing]) -> None:
        loop = asyncio.get_running_loop()
        clients = self.clients
        waiting: list[tuple[Outgoing, asyncio.Future[Reply]]] = []
        touched: list[OcppClient] = []
        now = self.sim.env.now
        for out in batch:
            client = clients[out.port]
            waiter: asyncio.Future[Reply] | None = None
            if out.reply is not None:
                waiter = loop.create_future()
                waiting.append((out, waiter))
            if client.submit(out.request, waiter):
                self._last_sent_s[out.port] = now
                touched.append(client)
        for client in touched:
            await client.pump()
        if self._backlog > BACKLOG_HIGH:
            self._drained.clear()
            await self._drained.wait()
        if not waiting:
            return
        replies = [await waiter for _, waiter in waiting]
        for (out, _), reply in zip(waiting, replies, strict=True):
            assert out.reply is not None
            out.reply.succeed(reply)

    async def _drain(self) -> None:
        while self._backlog > 0:
            self._drained.clear()
            if self._backlog > 0:
                await self._drained.wait()

    async def _heartbeat(self, entry: tuple[float, int, int]) -> None:
        due_s, index, generation = entry
        if generation != self._heartbeat_generation[index]:
            return
        client = self.clients[index]
        interval_s = float(client.heartbeat_interval_s)
        after_last_s = self._last_sent_s[index] + interval_s
        if after_last_s > due_s:
            # OCPP 1.6 lets a charge point skip the heartbeat after other traffic
            heapq.heappush(self._heartbeats, (after_last_s, index, generation))
            return
        self._now_s = due_s
        client.heartbeat()
        self._last_sent_s[index] = due_s
        heapq.heappush(self._heartbeats, (due_s + interval_s, index, generation))
        await client.pump()

    async def _pace_until(self, t: float) -> bool:
        """Sleep until the wall clock reaches virtual time t; True when woken early by a
        central system's call (the schedule may have changed)."""
        assert self.pace is not None
        loop = asyncio.get_running_loop()
        delay_s = self._wall0 + t / self.pace - loop.time()
        if delay_s <= 0:
            return False
        self._wake.clear()
        self._sleeping = True
        try:
            async with asyncio.timeout(delay_s):
                await self._wake.wait()
        except TimeoutError:
            return False
        finally:
            self._sleeping = False
        return True

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
        self._backlog += 1
        cell = [self._now_s, 0.0]
        self._unanswered[index].append(cell)
        self._issued.append(cell)

    def answered(self, index: int) -> None:
        self._backlog -= 1
        self.messages += 1
        if self._backlog <= BACKLOG_LOW:
            self._drained.set()  # also wakes _drain() at every answer below the mark
        cell = self._unanswered[index].popleft()  # one FIFO per connection
        cell[1] = 1.0
        self.lag.add(self._now_s - cell[0])
        issued = self._issued
        if issued[0] is cell:
            while issued and issued[0][1]:
                issued.popleft()
            self._caught_up.set()

    def ready(self, index: int) -> None:
        if index in self._resetting:  # booted again after a Reset
            self._resetting.discard(index)
            self.reboots += 1
            if self._enter(index):
                self.sim.rebooted(self.world.ports[index].id)
        if not self._seen_ready[index]:
            self._seen_ready[index] = True
            self._ready += 1
            if self._ready == len(self.clients):
                self._all_ready.set()

    def heartbeat_changed(self, index: int) -> None:
        self._heartbeat_generation[index] += 1
        interval_s = float(self.clients[index].heartbeat_interval_s)
        due_s = max(self._now_s, self._last_sent_s[index]) + interval_s
        heapq.heappush(self._heartbeats, (due_s, index, self._heartbeat_generation[index]))

    def _enter(self, index: int) -> bool:
        """Bring the model to the current virtual instant before a central system's call
        changes it; False before the charge point's boot is accepted and once the run is
        over."""
        if self._finished or not self.clients[index].booted:
            return False
        env = self.sim.env
        if self.pace is not None and self._sleeping:
            loop = asyncio.get_running_loop()
            t = min((loop.time() - self._wall0) * self.pace, self._lag_limit_s())
            if env.now < t < env.peek():
                env.run(until=t)
                self._now_s = t
        self._wake.set()
        return True

    def remote_start(self, index: int, id_tag: str) -> bool:
        return self._enter(index) and self.sim.remote_start(self.world.ports[index].id, id_tag)

    def remote_stop(self, index: int, transaction_ref: int) -> bool:
        if not self._enter(index):
            return False
        current = self.sim.transaction_on(self.world.ports[index].id)
        if transaction_ref < 0:
            transaction_ref = current
        if current != transaction_ref:
            return False
        return self.sim.remote_stop(transaction_ref)

    def change_availability(self, index: int, operative: bool) -> str:
        if not self._enter(index):
            return "Rejected"
        return self.sim.change_availability(self.world.ports[index].id, operative)

    def reset(self, index: int, hard: bool) -> bool:
        """Stop the port's charge in the model now; the charge point reboots once all that
        follows from it (StopTransaction, MeterValues, statuses, the answer to an
        authorization under way) is queued: until then its reboot is held."""
        if not self._enter(index) or not self.sim.reset(self.world.ports[index].id, hard):
            return False
        self.resets += 1
        self._resetting.add(index)
        if not self._settled(index):
            self.clients[index].hold_reboot()
            self._held.add(index)
        return True

    def _settled(self, index: int) -> bool:
        """The model has handed over everything it will send for this port's Reset."""
        if self.sim.authorizing(self.world.ports[index].id):
            return False
        return not self.resolver.pending(index)

    def _release_settled(self) -> None:
        for index in [i for i in self._held if self._settled(i)]:
            self._held.discard(index)
            self.clients[index].release_reboot()

    def meter_wh(self, index: int) -> int | None:
        reading = self.sim.meter_reading(self.world.ports[index].id)
        return None if reading is None else reading.energy_wh

    def unlock(self, index: int, connector_id: int) -> bool:
        if not self._enter(index):
            return False
        return self.sim.unlock(self.world.ports[index].id)


def _raise_file_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def ssl_context(ca_file: Path | None) -> ssl.SSLContext | None:
    """Verify the central system's certificate against `ca_file` (or the system's CAs)."""
    if ca_file is None:
        return None
    context = ssl.create_default_context(cafile=os.fspath(ca_file))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


async def run_ocpp_async(
    world: World,
    *,
    csms_url: str | None = None,
    pace: float | None = None,
    message_log: Path | None = None,
    progress: Progress | None = None,
    csms_db: Path | None = None,
    password: str | None = None,
    ca_file: Path | None = None,
    transport: TransportConfig | None = None,
    max_lag_s: float | None = DEFAULT_MAX_LAG_S,
    on_wire: OnWire | None = None,
) -> Records:
    """Run `world` over OCPP 1.6J. With no `csms_url` the built-in central system runs as
    its own process for the run (its store at `csms_db`, or a temporary file), with every id
    tag accepted, as the fast engine does. `transport` overrides the connection settings
    (timeouts, back-off, buffers); its URL is replaced by the built-in one's. `max_lag_s`
    bounds how far virtual time runs ahead of the oldest unanswered message (None: no
    bound). `on_wire` gets the run's wire statistics (wire.json) when it is over."""

    async def drive(config: TransportConfig) -> Records:
        driver = Driver(
            world,
            config,
            pace=pace,
            message_log=message_log,
            progress=progress,
            max_lag_s=max_lag_s,
        )
        records = await driver.run()
        if on_wire is not None and driver.wire is not None:
            on_wire(driver.wire)
        return records

    if csms_url is None:
        async with BuiltinCsms(db=csms_db, password=password) as csms:
            if transport is None:
                config = TransportConfig(csms.ws_url, password=password)
            else:
                config = dataclasses.replace(transport, url=csms.ws_url, password=password)
            return await drive(config)
    config = transport or TransportConfig(
        csms_url, password=password, ssl_context=ssl_context(ca_file)
    )
    return await drive(config)


def run_ocpp(
    world: World,
    *,
    csms_url: str | None = None,
    pace: float | None = None,
    message_log: Path | None = None,
    progress: Progress | None = None,
    csms_db: Path | None = None,
    password: str | None = None,
    ca_file: Path | None = None,
    transport: TransportConfig | None = None,
    max_lag_s: float | None = DEFAULT_MAX_LAG_S,
    on_wire: OnWire | None = None,
) -> Records:
    """`run_ocpp_async` on a fresh event loop."""
    return asyncio.run(
        run_ocpp_async(
            world,
            csms_url=csms_url,
            pace=pace,
            message_log=message_log,
            progress=progress,
            csms_db=csms_db,
            password=password,
            ca_file=ca_file,
            transport=transport,
            max_lag_s=max_lag_s,
            on_wire=on_wire,
        )
    )
