"""The lockstep (`Lockstep`, through `run_ocpp_async`) against third-party-style backends
(the stock `ocpp` package's ChargePoint on 127.0.0.1): calls right after the boot, Reset in
the order the spec gives, an authorization cut short by a Reset, and the bound on the lag
between model and wire."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action, RegistrationStatus
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from simulator import runner
from simulator import scenario as sc
from simulator.model.records import Outcome, PortState, Records
from simulator.model.world import World
from simulator.ocpp.clock import seconds_since
from simulator.ocpp.engine import OcppRunOptions, run_ocpp_async
from simulator.ocpp.wire_stats import WireStats
from simulator.reports.summary import to_json
from tests.ocpp.helpers import WAIT_S, small_world


def summary_text(world: World, records: Records) -> str:
    return to_json(runner.summarize_world(world, records))


class Backend(ChargePoint):
    """A third-party-style central system: accepts everything, numbers transactions, and
    records what it got in order (`events`). Subclasses add the calls it makes."""

    answer_delay_s = 0.0
    heartbeat_interval_s = 600

    def __init__(self, cp_id: str, ws: ServerConnection, shared: Shared) -> None:
        super().__init__(cp_id, ws)
        self.shared = shared
        self.tasks: list[asyncio.Task[Any]] = []

    def event(self, *what: Any) -> None:
        self.shared.events.append((self.id, *what))

    async def slow(self) -> None:
        if self.answer_delay_s:
            await asyncio.sleep(self.answer_delay_s)

    @on(Action.boot_notification)
    async def on_boot(self, **_: Any) -> call_result.BootNotification:
        await self.slow()
        self.event("boot")
        return call_result.BootNotification(
            current_time=datetime.now(UTC).isoformat(),
            interval=self.heartbeat_interval_s,
            status=RegistrationStatus.accepted,
        )

    @on(Action.heartbeat)
    async def on_heartbeat(self) -> call_result.Heartbeat:
        await self.slow()
        return call_result.Heartbeat(current_time=datetime.now(UTC).isoformat())

    @on(Action.status_notification)
    async def on_status(self, connector_id: int, status: str, **_: Any) -> Any:
        await self.slow()
        self.event("status", connector_id, status)
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, id_tag: str) -> call_result.Authorize:
        await self.slow()
        self.event("authorize", id_tag)
        return call_result.Authorize(id_tag_info={"status": "Accepted"})

    @on(Action.start_transaction)
    async def on_start(self, id_tag: str, **_: Any) -> call_result.StartTransaction:
        await self.slow()
        self.shared.transactions += 1
        self.event("start", id_tag, self.shared.transactions)
        return call_result.StartTransaction(
            transaction_id=self.shared.transactions, id_tag_info={"status": "Accepted"}
        )

    @on(Action.stop_transaction)
    async def on_stop(self, transaction_id: int, reason: str = "", **_: Any) -> Any:
        await self.slow()
        self.event("stop", transaction_id, reason)
        return call_result.StopTransaction()

    @on(Action.meter_values)
    async def on_meter_values(self, meter_value: list[dict[str, Any]], **_: Any) -> Any:
        await self.slow()
        self.event("meter_values", meter_value[0]["sampled_value"][0].get("context"))
        return call_result.MeterValues()

    async def make(self, request: Any) -> Any:
        """A call of the backend's own; the outcome goes to the events."""
        try:
            result = await self.call(request, suppress=False)
        except Exception as error:  # a failed call is what the tests look for
            self.event("call_failed", type(request).__name__, repr(error))
            return None
        self.event("call_result", type(request).__name__, result.status)
        return result


class Shared:
    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []
        self.done: set[str] = set()  # what the backend did once already
        self.transactions = 0
        self.sessions: list[Backend] = []


@contextlib.asynccontextmanager
async def backend(kind: type[Backend]) -> AsyncIterator[tuple[str, Shared]]:
    shared = Shared()

    async def handle(ws: ServerConnection) -> None:
        assert ws.request is not None
        session = kind(ws.request.path.rsplit("/", 1)[-1], ws, shared)
        shared.sessions.append(session)
        with contextlib.suppress(ConnectionClosed):
            await session.start()
        session.event("closed")

    async with serve(handle, "127.0.0.1", 0, subprotocols=["ocpp1.6"]) as server:  # type: ignore[list-item]
        yield f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}", shared
        for session in shared.sessions:  # the backend's own calls are over by now
            for task in session.tasks:
                async with asyncio.timeout(WAIT_S):
                    await task


def events_of(shared: Shared, cp: str, kind: str) -> list[tuple[Any, ...]]:
    return [e[1:] for e in shared.events if e[0] == cp and e[1] == kind]


# --- calls right after the boot -------------------------------------------------------------

AFTER_BOOT: dict[str, Callable[[], Any]] = {
    "n-03": lambda: call.ChangeAvailability(connector_id=0, type="Inoperative"),
    "n-02": lambda: call.RemoteStartTransaction(id_tag="APP0001"),
    "s-01": lambda: call.Reset(type="Soft"),
}


class EagerBackend(Backend):
    """Sends its call the moment it has answered a charge point's first boot."""

    @after(Action.boot_notification)
    def after_boot(self, **_: Any) -> None:
        make = AFTER_BOOT.get(self.id)
        if make is None or self.id in self.shared.done:
            return
        self.shared.done.add(self.id)
        self.tasks.append(asyncio.create_task(self.make(make())))


async def test_calls_sent_right_after_each_boot_are_accepted_and_take_effect(
    tmp_path: Path,
) -> None:
    world = small_world(tmp_path, days=0.5)
    async with backend(EagerBackend) as (url, shared):
        records = await run_ocpp_async(world, OcppRunOptions(csms_url=url))
    for cp, make in AFTER_BOOT.items():
        assert events_of(shared, cp, "call_result") == [
            ("call_result", type(make()).__name__, "Accepted")
        ]
    # ChangeAvailability: the port was out of service from the start and served nobody
    assert not [s for s in records.sessions if s.port == "n-03"]
    assert {i.state for i in records.intervals if i.port == "n-03"} == {PortState.DOWN}
    # RemoteStartTransaction: the app's session began at once on that port
    [app] = [s for s in records.sessions if s.driver == -1]
    assert (app.port, app.start_s, app.outcome) == ("n-02", 0.0, Outcome.SERVED)
    assert events_of(shared, "n-02", "authorize")[0] == ("authorize", "APP0001")
    # Reset: the charge point booted again and its port went on serving drivers
    assert len(events_of(shared, "s-01", "boot")) == 2
    assert [s for s in records.sessions if s.port == "s-01" and s.outcome is Outcome.SERVED]


# --- Reset while a transaction runs ---------------------------------------------------------


class ResettingBackend(Backend):
    """Resets the first charge point whose transaction reports a periodic meter value."""

    @after(Action.meter_values)
    def after_meter_values(self, meter_value: list[dict[str, Any]], **_: Any) -> None:
        context = meter_value[0]["sampled_value"][0].get("context")
        if context != "Sample.Periodic" or "reset" in self.shared.done:
            return
        self.shared.done.add("reset")
        self.event("reset_sent")
        self.tasks.append(asyncio.create_task(self.make(call.Reset(type="Soft"))))


def frames(log: Path) -> list[tuple[str, str, list[Any]]]:
    lines = log.read_text(encoding="utf-8").splitlines()
    return [(e["cp"], e["dir"], json.loads(e["frame"])) for e in map(json.loads, lines)]


async def test_a_reset_flushes_the_stopped_transaction_then_answers_then_reboots(
    tmp_path: Path,
) -> None:
    world = small_world(tmp_path, days=0.5, meter_interval_s=120.0)
    log = tmp_path / "frames.jsonl"
    async with backend(ResettingBackend) as (url, shared):
        records = await run_ocpp_async(world, OcppRunOptions(csms_url=url, message_log=log))
    [(cp, *_)] = [e for e in shared.events if e[1] == "reset_sent"]
    assert events_of(shared, cp, "call_result") == [("call_result", "Reset", "Accepted")]
    # the frames of that charge point, as it sent and received them
    mine = [(d, f) for c, d, f in frames(log) if c == cp]
    boots = [i for i, (d, f) in enumerate(mine) if d == "send" and f[0] == 2 and f[2] == "Boot"
             "Notification"]  # fmt: skip
    assert len(boots) == 2
    [reset_at] = [
        i for i, (d, f) in enumerate(mine) if d == "recv" and f[0] == 2 and f[2] == "Reset"
    ]
    [reply_at] = [
        i
        for i, (d, f) in enumerate(mine)
        if d == "send" and f[0] == 3 and f[1] == mine[reset_at][1][1]
    ]
    [stop_at] = [
        i
        for i, (d, f) in enumerate(mine)
        if d == "send" and f[0] == 2 and f[2] == "StopTransaction" and f[3]["reason"] == "SoftReset"
    ]
    stopped = mine[stop_at][1][3]["transactionId"]
    ends = [
        i
        for i, (d, f) in enumerate(mine)
        if d == "send"
        and f[0] == 2
        and f[2] == "MeterValues"
        and f[3].get("transactionId") == stopped
        and f[3]["meterValue"][0]["sampledValue"][0]["context"] == "Transaction.End"
    ]
    assert reset_at < reply_at < boots[1]
    assert len(ends) == 1
    assert ends[0] < stop_at < boots[1]
    answered = {f[1] for d, f in mine[: boots[1]] if d == "recv" and f[0] == 3}
    assert mine[stop_at][1][1] in answered
    assert mine[ends[0]][1][1] in answered
    # the backend had the Reset reply before it saw the connection close
    seen = [e[1:3] for e in shared.events if e[0] == cp and e[1] in ("call_result", "closed")]
    assert seen[:2] == [("call_result", "Reset"), ("closed",)]
    # the model: that session ended with the reset
    [session] = [s for s in records.sessions if s.reason == "SoftReset"]
    assert session.port == cp
    assert session.outcome is Outcome.SERVED


# --- an authorization in flight at the Reset -----------------------------------------------


class ResetDuringAuthorize(Backend):
    """At the first Authorize it gets, sends a Reset and only then answers (Accepted)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.reset_out = asyncio.Event()

    async def _send(self, message: str) -> None:
        await super()._send(message)
        if '"Reset"' in message:
            self.reset_out.set()

    @on(Action.authorize)
    async def on_authorize(self, id_tag: str) -> call_result.Authorize:
        if "reset" not in self.shared.done:
            self.shared.done.add("reset")
            self.event("reset_sent", id_tag)
            self.tasks.append(asyncio.create_task(self.make(call.Reset(type="Hard"))))
            async with asyncio.timeout(WAIT_S):
                await self.reset_out.wait()  # the Reset leaves before this answer
        self.event("authorize", id_tag)
        return call_result.Authorize(id_tag_info={"status": "Accepted"})


async def test_an_authorize_in_flight_at_a_reset_starts_no_session_after_the_reboot(
    tmp_path: Path,
) -> None:
    world = small_world(tmp_path, days=0.5)
    async with backend(ResetDuringAuthorize) as (url, shared):
        records = await run_ocpp_async(world, OcppRunOptions(csms_url=url))
    [(cp, _, tag)] = [e for e in shared.events if e[1] == "reset_sent"]
    assert events_of(shared, cp, "call_result") == [("call_result", "Reset", "Accepted")]
    assert len(events_of(shared, cp, "boot")) == 2
    # the driver was turned away by the reset; their tag never started a transaction
    [cut] = [s for s in records.sessions if s.reason == "reset"]
    assert (cut.port, cut.outcome) == (cp, Outcome.TURNED_AWAY)
    assert ("start", tag) not in [e[1:3] for e in shared.events if e[0] == cp]
    # the charge point came back and served later drivers
    assert [s for s in records.sessions if s.port == cp and s.outcome is Outcome.SERVED]


# --- a call while a heartbeat is out --------------------------------------------------------


class CallDuringHeartbeat(Backend):
    """At the first Heartbeat it gets, sends ChangeAvailability Inoperative and only then
    answers: the call reaches the charge point while its heartbeat is unanswered."""

    heartbeat_interval_s = 900

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.call_out = asyncio.Event()

    async def _send(self, message: str) -> None:
        await super()._send(message)
        if '"ChangeAvailability"' in message:
            self.call_out.set()

    @on(Action.heartbeat)
    async def on_heartbeat(self) -> call_result.Heartbeat:
        if "call" not in self.shared.done:
            self.shared.done.add("call")
            self.event("call_sent")
            inoperative = call.ChangeAvailability(connector_id=0, type="Inoperative")
            self.tasks.append(asyncio.create_task(self.make(inoperative)))
            async with asyncio.timeout(WAIT_S):
                await self.call_out.wait()  # the call leaves before this answer
        return call_result.Heartbeat(current_time=datetime.now(UTC).isoformat())


async def test_a_call_that_comes_while_a_heartbeat_is_out_enters_the_model_at_its_instant(
    tmp_path: Path,
) -> None:
    world = small_world(tmp_path, days=0.25, rate_per_h=0.5)
    log = tmp_path / "frames.jsonl"
    async with backend(CallDuringHeartbeat) as (url, shared):
        options = OcppRunOptions(csms_url=url, max_lag_s=0.0, message_log=log)
        await run_ocpp_async(world, options)
    [(cp, _)] = [e for e in shared.events if e[1] == "call_sent"]
    assert events_of(shared, cp, "call_result") == [
        ("call_result", "ChangeAvailability", "Accepted")
    ]
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    mine = [(r["virtual_s"], r["dir"], json.loads(r["frame"])) for r in rows if r["cp"] == cp]
    [beat_s, *_] = [at for at, d, f in mine if d == "send" and f[0] == 2 and f[2] == "Heartbeat"]
    [call_s] = [at for at, d, f in mine if d == "recv" and f[0] == 2]
    [down] = [
        f[3]
        for _, d, f in mine
        if d == "send" and f[0] == 2 and f[2] == "StatusNotification"
        and f[3]["connectorId"] == 0 and f[3]["status"] == "Unavailable"
    ]  # fmt: skip
    # the call entered at the heartbeat's instant (strict lockstep: time stood still while
    # the heartbeat was out), and what it caused is stamped with that instant, not earlier
    assert call_s == beat_s
    assert abs(seconds_since(world.start, down["timestamp"]) - beat_s) < 1e-3


# --- the lag between the model and the wire ------------------------------------------------


async def test_in_strict_lockstep_every_message_is_answered_at_the_instant_it_was_issued(
    tmp_path: Path,
) -> None:
    world = small_world(tmp_path, days=0.25)
    wire: list[WireStats] = []
    async with backend(Backend) as (url, _):
        records = await run_ocpp_async(
            world, OcppRunOptions(csms_url=url, max_lag_s=0.0, on_wire=wire.append)
        )
    assert summary_text(world, records) == summary_text(world, runner.run_fast(world))
    [stats] = wire
    assert stats.messages > 100
    assert (stats.lag_s.bound, stats.lag_s.p99, stats.lag_s.max) == (0.0, 0.0, 0.0)


TINY_SCENARIO = """
name = "tiny"

[simulation]
days = 0.125
seed = {seed}
meter_interval_s = 3600

[[networks]]
id = "only"
access = "open"
price_per_kwh = 0.50
[[networks.sites]]
id = "a"
ports = [{{ power_kw = 150, connectors = ["CCS1"] }}]

[[vehicles]]
id = "volt"
brand = "Volt"
share = 1.0
battery_kwh = 60
peak_kw = 120
connectors = ["CCS1"]

[drivers]
idle_min = {{ dist = "fixed", value = 0 }}

[arrivals]
kind = "constant"
rate_per_h = 0.5
"""


class SlowBackend(Backend):
    """Answers each call a quarter of a second late: hundreds of times a local answer, and
    long enough for an unbounded model to run over a thousand virtual seconds ahead of it
    (the test below shows both)."""

    answer_delay_s = 0.25
    heartbeat_interval_s = 86400  # no heartbeat in the three hours


def tiny_world(folder: Path) -> World:
    """One port, and one driver who arrives in three virtual hours and is still charging
    more than a minute later at the end (few messages: each costs the test its delay)."""
    for seed in range(1, 200):
        path = folder / "tiny.toml"
        path.write_text(TINY_SCENARIO.format(seed=seed), encoding="utf-8")
        world = sc.world(sc.load(path))
        sessions = runner.run_fast(world).sessions
        if [(s.outcome, s.reason) for s in sessions] == [(Outcome.ON_SITE, "charging")] and (
            world.horizon_s - sessions[0].start_s > 600.0
        ):
            return world
    raise AssertionError("no seed gives one driver charging at the end")


async def test_a_backend_slow_to_answer_gives_the_same_run_within_the_lag(
    tmp_path: Path,
) -> None:
    world = tiny_world(tmp_path)
    wire: list[WireStats] = []
    async with backend(SlowBackend) as (url, shared):
        records = await run_ocpp_async(world, OcppRunOptions(csms_url=url, on_wire=wire.append))
    assert summary_text(world, records) == summary_text(world, runner.run_fast(world))
    [stats] = wire
    assert stats.lag_s.bound == 60.0
    assert stats.lag_s.max <= 60.0
    # the charge ran for more than the bound, in virtual time
    [session] = records.sessions
    assert world.horizon_s - session.start_s > 600.0
    assert [e[1] for e in shared.events if e[1] in ("authorize", "start")] == ["authorize", "start"]
    # only the bound kept the model from leaving the slow answers behind: without it, the
    # same backend's answers arrive more than the bound late in virtual time
    unbounded: list[WireStats] = []
    async with backend(SlowBackend) as (url, _):
        options = OcppRunOptions(csms_url=url, max_lag_s=None, on_wire=unbounded.append)
        await run_ocpp_async(world, options)
    assert unbounded[0].lag_s.max > 60.0
