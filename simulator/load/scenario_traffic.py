"""`run_scenario_load`: a scenario's fleet and drivers against a central system, in wall-clock
time at `speed` x real time, measured as the synthetic fleet is (docs/load.md, "Traffic from a
scenario").

The traffic is the OCPP engine's: a `Lockstep` over the scenario's world, paced (`Pacer`) so
that virtual time t is due at wall time t0 + t / speed. Every port of the world is one charge
point; they all connect at once (boots, the status of every connector), then the drivers
arrive: authorizations, transactions, meter values, statuses, and heartbeats from the idle
ones, the real mix.

Latency counts from each CALL's *intended* send time: the wall instant the pacer maps the
virtual time it was issued at to, not when the lockstep got round to issuing it nor when its
connection was free to send it. When a backend stalls, the lockstep waits for the answers the
model needs (Authorize, StartTransaction) and every connection queues behind its unanswered
CALL; what was due meanwhile still counts from when it was due (coordinated omission
corrected). Boots and the statuses that follow them, before the pacer starts, count from when
they were queued. The service time (from the actual send) is kept beside it, the closed-loop
view. Both go into the `Recorder` the synthetic fleet uses, so load.json, windows.csv, the
report, --slo and the live view read them unchanged.

The model never waits on notifications' answers (no lag bound: a charge point keeps metering
and queueing while its backend is slow, as a real one does). The virtual horizon is the run's
duration times `speed`, or the scenario's own days when those are shorter (load.json "plan"
says which). The run ends when the model reaches it and the queues are drained; earlier at the
hard bound (`max_duration_s`, default the duration + 60 s) or when a charge point's CALLs went
unanswered `silence_limit` times in a row: then `LoadResult.stopped` says why in one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ocpp.messages import CallError, CallResult

from ocppj import OCPP16, OCPP201, Version, check_version, warm_up
from simulator import scenario as sc
from simulator.errors import UserError
from simulator.load.options import LoadOptions
from simulator.load.ramp import BOOT_STORM, Ramp
from simulator.load.recorder import Recorder
from simulator.load.result import MIXED, LoadResult, WindowStats
from simulator.model.world import DAY_S, World
from simulator.ocpp.client import OcppClient, Pending
from simulator.ocpp.lockstep import Lockstep
from simulator.ocpp.transport import BackendError, TransportConfig

__all__ = ["CallMeter", "ScenarioHorizon", "run_scenario_load", "scenario_horizon"]

_HTTP_STATUS = re.compile(r"\(HTTP (\d{3})")
_LABELS = {OCPP16: "1.6", OCPP201: "2.0.1"}


class ScenarioHorizon:
    """How far the scenario runs in virtual time, and what decided it."""

    __slots__ = ("source", "virtual_s")

    def __init__(self, virtual_s: float, source: str) -> None:
        self.virtual_s = virtual_s
        self.source = source
        """"duration" (the run's duration x speed) or "scenario" (its own days, shorter)."""


def scenario_horizon(scenario_days: float, duration_s: float, speed: float) -> ScenarioHorizon:
    """The virtual horizon of a run of `duration_s` wall seconds at `speed` (0: no duration
    given, the scenario's days)."""
    own_s = scenario_days * DAY_S
    wanted_s = duration_s * speed if duration_s > 0 else math.inf
    if wanted_s < own_s:
        return ScenarioHorizon(wanted_s, "duration")
    return ScenarioHorizon(own_s, "scenario")


def failure_cause(message: str) -> str:
    """The short key a failed handshake is counted under (load.json connections.failed)."""
    status = _HTTP_STATUS.search(message)
    if status is not None:
        return f"HTTP {status.group(1)}"
    for needle, cause in (
        ("connection refused", "refused"),
        ("handshake within", "handshake timeout"),
        ("TLS", "TLS"),
        ("subprotocol", "no subprotocol"),
        ("broke off", "handshake broken off"),
    ):
        if needle in message:
            return cause
    return "other"


class CallMeter:
    """The `CallObserver` of a scenario run: each CALL's intended time, its send and its end,
    into a `Recorder`. One outstanding CALL per charge point (OCPP-J), so a charge point's
    index keys what is in flight."""

    def __init__(self, lockstep: Lockstep, recorder: Recorder) -> None:
        self._lockstep = lockstep
        self._recorder = recorder
        self._loop = asyncio.get_running_loop()
        self._intended: dict[tuple[int, str], float] = {}
        """(charge point, message id) -> loop time it was due; kept until it is settled (a
        resend after a reconnect still counts from the first intended time)."""
        self._inflight: dict[int, tuple[str, str, float, float]] = {}
        """charge point -> (message id, action, intended, sent) of its CALL on the wire."""
        self._free_at: dict[int, float] = {}
        """charge point -> loop time its connection last became free to send."""

    def queued(self, client: OcppClient, pending: Pending) -> None:
        now = self._loop.time()
        pacer = self._lockstep.pacer
        if pacer is not None and pacer.started:
            intended = min(now, pacer.wall_time(self._lockstep.now_s()))
        else:
            intended = now  # fleet still connecting: virtual time has not started
        self._intended[client.index, pending.message_id] = intended

    def sent(self, client: OcppClient, pending: Pending, sent_at: float) -> None:
        index = client.index
        key = (index, pending.message_id)
        intended = self._intended.get(key)
        if intended is None:  # a boot, or a refused transaction message's retry
            intended = min(sent_at, pending.not_before) if pending.not_before else sent_at
            self._intended[key] = intended
        self._inflight[index] = (pending.message_id, pending.action, intended, sent_at)
        free_at = self._free_at.get(index, intended)
        self._recorder.sent(pending.action, max(0.0, sent_at - max(intended, free_at)))

    def settled(self, client: OcppClient, pending: Pending, frame: CallResult | CallError) -> None:
        index = client.index
        flight = self._inflight.pop(index, None)
        if flight is None or flight[0] != pending.message_id:
            return
        now = self._loop.time()
        self._free_at[index] = now
        self._intended.pop((index, pending.message_id), None)
        _, action, intended, sent_at = flight
        if isinstance(frame, CallResult):
            self._recorder.answered(action, now - intended, now - sent_at)
        else:
            self._recorder.errored(action, frame.error_code)

    def unanswered(self, client: OcppClient, pending: Pending, timed_out: bool) -> None:
        index = client.index
        flight = self._inflight.pop(index, None)
        if flight is None or flight[0] != pending.message_id:
            return
        self._free_at[index] = self._loop.time()
        if timed_out:
            self._recorder.timed_out(flight[1])
        else:
            self._recorder.lost(flight[1])

    def connection(self, client: OcppClient, handshake_s: float | None, error: str) -> None:
        recorder = self._recorder
        recorder.attempt()
        if handshake_s is None:
            recorder.failed(failure_cause(error))
        else:
            recorder.opened(handshake_s, reconnect=client.connections > 0)
            self._free_at[client.index] = self._loop.time()

    def closed(self, client: OcppClient) -> None:
        self._recorder.closed(dropped=not client.closing)


def _transport(options: LoadOptions) -> TransportConfig:
    return TransportConfig(
        options.url,
        password=options.password,
        ssl_context=options.ssl_context,
        open_timeout_s=options.connect_timeout_s,
        response_timeout_s=options.timeout_s,
        call_attempts=options.silence_limit,
        close_timeout_s=options.close_timeout_s,
        backoff_initial_s=options.backoff_initial_s,
        backoff_max_s=options.backoff_max_s,
    )


def scenario_world(options: LoadOptions) -> tuple[World, ScenarioHorizon]:
    """The world the run drives (a ScenarioError names a bad file) and its horizon."""
    world, horizon, _ = _scenario_run(options)
    return world, horizon


def _scenario_run(options: LoadOptions) -> tuple[World, ScenarioHorizon, dict[str, Version]]:
    """`scenario_world`, and each network's OCPP version (its `ocpp` key, or `options.ocpp`
    for every network, as `chargenet run --ocpp`)."""
    assert options.scenario is not None
    scenario = sc.load(options.scenario)
    horizon = scenario_horizon(scenario.simulation.days, options.ramp.duration_s, options.speed)
    versions = {k: check_version(v) for k, v in sc.ocpp_versions(scenario, options.ocpp).items()}
    return sc.world(scenario, days=horizon.virtual_s / DAY_S), horizon, versions


async def run_scenario_load(
    options: LoadOptions, on_window: Callable[[WindowStats], None] | None = None
) -> LoadResult:
    """Drive `options.scenario` against `options.url` at `options.speed`; the measurement."""
    if options.scenario is None:
        raise ValueError("run_scenario_load needs options.scenario")
    world, horizon, versions = _scenario_run(options)
    spoken = {versions.get(port.network, OCPP16) for port in world.ports}
    for version in spoken:
        warm_up(version)  # compiled now, not inside the first CALLs' latency
    recorder = Recorder()
    lockstep = Lockstep(
        world, _transport(options), pace=options.speed, max_lag_s=None, versions=versions
    )
    meter = CallMeter(lockstep, recorder)
    for client in lockstep.clients:
        client.observer = meter
    fleet = len(lockstep.clients)
    loop = asyncio.get_running_loop()
    window_ends = [0.0]
    started_at = datetime.now(UTC)
    t0 = loop.time()

    def roll(end_s: float) -> None:
        stats = recorder.roll(window_ends[-1], end_s, fleet)
        window_ends.append(end_s)
        if on_window is not None:
            on_window(stats)

    async def roll_windows() -> None:
        k = 1
        while True:
            end_s = k * options.window_s
            await asyncio.sleep(max(0.0, t0 + end_s - loop.time()))
            roll(end_s)
            k += 1

    stopped: str | None = None
    limit_s = options.hard_limit_s
    window_task = asyncio.create_task(roll_windows())
    try:
        async with asyncio.timeout(limit_s):
            await lockstep.run()
    except TimeoutError:
        stopped = (
            f"the run reached its hard bound of {limit_s:g} s (max_duration_s) at virtual "
            f"{lockstep.now_s():.0f} s of {horizon.virtual_s:.0f} s: the central system "
            "did not keep up"
        )
        await _close_all(lockstep, options.close_timeout_s)
    except BackendError as error:
        if recorder.connections.opened == 0:
            raise UserError(str(error)) from None
        stopped = str(error)
        await _close_all(lockstep, options.close_timeout_s)
    finally:
        window_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await window_task
    now_s = loop.time() - t0
    if now_s - window_ends[-1] > 1e-3 or len(window_ends) == 1:
        roll(now_s)
    return recorder.result(
        target=options.url,
        started_at=started_at,
        duration_s=now_s,
        ramp=Ramp.parse(f"{BOOT_STORM}:{fleet}").held_until(now_s).describe(),
        plan=traffic_plan(options, world, horizon),
        stopped=stopped,
        ocpp=_LABELS[spoken.pop()] if len(spoken) == 1 else MIXED,
    )


def traffic_plan(options: LoadOptions, world: World, horizon: ScenarioHorizon) -> dict[str, Any]:
    """load.json "plan" of scenario traffic: what drove the run, in place of a message plan."""
    assert options.scenario is not None
    return {
        "traffic": "scenario",
        "scenario": str(options.scenario),
        "name": world.name,
        "speed": options.speed,
        "charge_points": len(world.ports),
        "virtual_horizon_s": round(horizon.virtual_s, 3),
        "horizon_from": horizon.source,
        "meter_interval_s": world.meter_interval_s,
    }


async def _close_all(lockstep: Lockstep, close_timeout_s: float) -> None:
    """Close what a stopped run left open (bounded: a dead backend does not answer closes)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(close_timeout_s + 1.0), asyncio.TaskGroup() as closing:
            for client in lockstep.clients:
                closing.create_task(client.close())
