"""Traffic from a scenario (`chargenet load --scenario FILE --speed N`): the scenario's fleet and
drivers in wall-clock time, every CALL measured from the instant the pacer meant it to leave.

The scenario is tests/load/small_scenario.toml: four ports, 72 virtual minutes of frequent
sessions; at speed 1200 about 4 s of wall time.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from ocpp.messages import Call, CallError, CallResult

from simulator.errors import UserError
from simulator.load import LoadOptions, LoadResult, Ramp, run_load
from simulator.load.result import percentiles_ms
from simulator.load.scenario_traffic import failure_cause, scenario_horizon, scenario_world
from simulator.ocpp.client import OcppClient, Pending
from simulator.ocpp.lockstep import Lockstep
from simulator.ocpp.transport import TransportConfig
from tests.check.helpers import PASSWORD, builtin_central_system
from tests.load.helpers import scripted_central_system

SCENARIO = Path(__file__).with_name("small_scenario.toml")
SPEED = 1200.0
DURATION_S = 10.0  # longer than the scenario's 72 virtual minutes at SPEED: the scenario decides
STALL_S = 2.0
STALL_EVERY = 200
EVERY_ACTION = {
    "BootNotification",
    "StatusNotification",
    "Authorize",
    "StartTransaction",
    "MeterValues",
    "StopTransaction",
    "Heartbeat",
}


def _options(url: str, **settings: Any) -> LoadOptions:
    values: dict[str, Any] = {
        "ramp": Ramp.parse("0").held_until(DURATION_S),
        "scenario": SCENARIO,
        "speed": SPEED,
        "window_s": 1.0,
        "timeout_s": 20.0,
        "max_duration_s": 100.0,
    }
    values.update(settings)
    return LoadOptions(url=url, **values)


def _table(result: LoadResult) -> str:
    lines = [f"{'':12} {'p50 ms':>9} {'p90 ms':>9} {'p99 ms':>9} {'max ms':>9}  (n)"]
    for name, histogram in (("open loop", result.latency()), ("closed loop", result.service())):
        figures = percentiles_ms(histogram)
        cells = " ".join(f"{figures[k]:9.1f}" for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms"))
        lines.append(f"{name:12} {cells}  ({histogram.get_total_count()})")
    return "\n".join(lines)


def test_the_virtual_horizon_is_the_duration_times_the_speed_or_the_scenarios_days() -> None:
    short = scenario_horizon(scenario_days=7.0, duration_s=60.0, speed=100.0)
    assert (short.virtual_s, short.source) == (6000.0, "duration")
    own = scenario_horizon(scenario_days=0.05, duration_s=60.0, speed=100.0)
    assert (own.virtual_s, own.source) == (4320.0, "scenario")
    unbounded = scenario_horizon(scenario_days=2.0, duration_s=0.0, speed=5.0)
    assert (unbounded.virtual_s, unbounded.source) == (172800.0, "scenario")


def test_a_failed_handshake_is_counted_under_its_http_status_or_a_short_cause() -> None:
    assert failure_cause("the central system at ws://x refused ... (HTTP 503 Busy)") == "HTTP 503"
    assert failure_cause("cannot reach the central system at ws://x: connection refused") == (
        "refused"
    )
    assert failure_cause("something new") == "other"


def test_a_scenario_cannot_be_split_over_shards() -> None:
    with pytest.raises(UserError, match="cannot be split over shards"):
        _options("ws://127.0.0.1:1/ocpp", shards=2)


async def test_the_scenario_mix_reaches_the_builtin_central_system_and_its_store_agrees(
    tmp_path: Path,
) -> None:
    async with builtin_central_system(
        tmp_path, "--accept-unknown-tags", "--heartbeat-interval-s", "120"
    ) as url:
        result = await run_load(_options(url, password=PASSWORD))
    document = result.to_json()
    totals, actions = document["totals"], document["actions"]
    assert document["stopped"] is None
    assert document["plan"]["traffic"] == "scenario"
    assert document["plan"]["scenario"] == str(SCENARIO)
    assert document["plan"]["speed"] == SPEED
    assert document["plan"]["horizon_from"] == "scenario"
    assert document["plan"]["charge_points"] == 4
    assert document["ramp"].startswith("boot-storm:4")
    # the real mix: every action a charge point sends, all of it answered
    assert set(actions) == EVERY_ACTION
    assert totals["callerrors"] == {}
    assert totals["timeouts"] == totals["lost"] == 0
    assert totals["calls"] == totals["answered"] > 0
    for action in actions.values():
        assert action["count"] == action["answered"] > 0
        assert 0 < action["p50_ms"] <= action["p99_ms"] <= action["max_ms"]
        assert action["service"]["max_ms"] <= action["max_ms"]
    assert actions["BootNotification"]["answered"] == 4
    assert actions["StartTransaction"]["answered"] >= 5
    assert totals["connections"]["opened"] == totals["connections"]["peak_connected"] == 4
    assert sum(w["answered"] for w in document["windows"]) == totals["answered"]
    assert all(w["target"] == 4 for w in document["windows"])

    with sqlite3.connect(tmp_path / "csms.sqlite") as store:
        (booted,) = store.execute("SELECT count(*) FROM charge_points").fetchone()
        (started,) = store.execute("SELECT count(*) FROM transactions").fetchone()
        (stopped,) = store.execute(
            "SELECT count(*) FROM transactions WHERE stopped_at IS NOT NULL"
        ).fetchone()
        (statuses,) = store.execute("SELECT count(*) FROM status_notifications").fetchone()
        (metered,) = store.execute(
            "SELECT count(DISTINCT charge_point_id || ' ' || timestamp) FROM meter_values"
        ).fetchone()
    assert booted == 4
    assert started == actions["StartTransaction"]["answered"]
    assert stopped == actions["StopTransaction"]["answered"]
    assert statuses == actions["StatusNotification"]["answered"]
    assert metered == actions["MeterValues"]["answered"]


async def test_a_stall_once_in_many_answers_shows_at_p99_from_the_intended_send_times() -> None:
    def delay_s(n: int) -> float:
        return STALL_S if n % STALL_EVERY == 0 else 0.0

    async with scripted_central_system(delay_s=delay_s) as backend:
        result = await run_load(_options(backend.url))
    table = _table(result)
    print(f"\nscenario traffic at {SPEED:g}x, one answer in {STALL_EVERY} stalled {STALL_S:g} s:")
    print(table)
    assert result.stopped is None, result.stopped
    assert result.calls == result.answered == backend.answers
    stalls = backend.answers // STALL_EVERY
    assert stalls >= 1, table
    open_loop, closed_loop = result.latency(), result.service()
    # The stall is the slowest answer either way.
    assert open_loop.get_max_value() >= STALL_S * 0.95e6, table
    assert closed_loop.get_max_value() >= STALL_S * 0.95e6, table
    # Closed loop, each stall is one sample in hundreds: below p99.
    assert stalls / closed_loop.get_total_count() < 0.01, table
    assert closed_loop.get_value_at_percentile(99) < STALL_S / 4 * 1e6, table
    # Open loop, what the scenario meant to send during the stall waited for it: p99 shows it.
    assert open_loop.get_value_at_percentile(99) >= STALL_S * 0.5e6, table


async def test_callerrors_are_counted_by_code_and_every_call_ends_once() -> None:
    refused: list[int] = []

    def answer(n: int, call: Call) -> str | None:
        # not the boot, nor a transaction message (retried after a wall-clock interval)
        if n % 10 or call.action not in ("Heartbeat", "StatusNotification"):
            return None
        refused.append(n)
        return CallError(call.unique_id, "InternalError", "test: refused", {}).to_json()

    async with scripted_central_system(answer=answer) as backend:
        result = await run_load(_options(backend.url))
    document = result.to_json()
    totals = document["totals"]
    assert result.stopped is None, result.stopped
    assert refused
    assert totals["callerrors"] == {"InternalError": len(refused)}
    assert totals["calls"] == backend.answers
    assert totals["calls"] == totals["answered"] + len(refused) + totals["timeouts"]
    assert totals["timeouts"] == totals["lost"] == 0
    assert sum(a["errors"] for a in document["actions"].values()) == len(refused)


async def test_a_backend_that_goes_silent_stops_the_run_saying_why_with_the_figures_kept() -> None:
    async with scripted_central_system(delay_s=lambda n: None if n > 40 else 0.0) as backend:
        # 2 s: room for a loaded loop before an answered CALL could be taken for a timeout
        result = await run_load(_options(backend.url, timeout_s=2.0, silence_limit=2))
    assert result.stopped is not None
    assert "\n" not in result.stopped
    assert "no reply to" in result.stopped, result.stopped
    assert result.answered == 40
    assert result.timeouts >= 2
    assert result.calls == result.answered + result.errors + result.timeouts + result.lost


async def test_the_hard_bound_stops_a_run_the_backend_cannot_keep_up_with() -> None:
    async with scripted_central_system(delay_s=lambda n: 0.0 if n <= 12 else 0.05) as backend:
        result = await run_load(_options(backend.url, max_duration_s=2.0))
    assert result.stopped is not None
    assert "hard bound of 2 s" in result.stopped, result.stopped
    assert result.answered > 0
    assert result.calls == result.answered + result.errors + result.timeouts + result.lost


class _QueueTimes:
    """A CallObserver that keeps, per queued CALL, its action, virtual time and loop time."""

    def __init__(self, lockstep: Lockstep) -> None:
        self.lockstep = lockstep
        self.loop = asyncio.get_running_loop()
        self.queued_at: list[tuple[str, float, float]] = []

    def queued(self, client: OcppClient, pending: Pending) -> None:
        self.queued_at.append((pending.action, self.lockstep.now_s(), self.loop.time()))

    def sent(self, client: OcppClient, pending: Pending, sent_at: float) -> None:
        pass

    def settled(self, client: OcppClient, pending: Pending, frame: CallResult | CallError) -> None:
        pass

    def unanswered(self, client: OcppClient, pending: Pending, timed_out: bool) -> None:
        pass

    def connection(self, client: OcppClient, handshake_s: float | None, error: str) -> None:
        pass

    def closed(self, client: OcppClient) -> None:
        pass


async def test_paced_calls_are_queued_at_their_instant_never_before_it() -> None:
    # the pacer's mapping is the intended send time: a CALL issued ahead of it (as heartbeats
    # were, before the lockstep paced them) would count from a time it had not reached yet
    world, _ = scenario_world(_options("ws://127.0.0.1:1/ocpp"))
    async with scripted_central_system() as backend:
        lockstep = Lockstep(world, TransportConfig(backend.url), pace=SPEED, max_lag_s=None)
        times = _QueueTimes(lockstep)
        for client in lockstep.clients:
            client.observer = times
        await lockstep.run()
    pacer = lockstep.pacer
    assert pacer is not None
    assert pacer.started
    paced = [(a, t, at) for a, t, at in times.queued_at if t > 0]
    assert {a for a, _, _ in paced} >= {"Heartbeat", "MeterValues", "StartTransaction"}
    early = [(a, t, pacer.wall_time(t) - at) for a, t, at in paced if at < pacer.wall_time(t)]
    assert early == [], early[:5]


async def test_a_backend_that_is_not_there_is_a_one_line_user_error() -> None:
    with socket.socket() as sock:  # a port of 127.0.0.1 that nothing listens on
        sock.bind(("127.0.0.1", 0))
        url = f"ws://127.0.0.1:{sock.getsockname()[1]}/ocpp"
    with pytest.raises(UserError) as raised:
        await run_load(_options(url))
    message = str(raised.value)
    assert "\n" not in message
    assert "connection refused" in message
