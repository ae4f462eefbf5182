"""`run_load` against scripted central systems: it follows the ramp, counts what happened,
and ends by itself when the backend goes away."""

from __future__ import annotations

import asyncio
import socket

import numpy as np
import pytest
from ocpp.exceptions import InternalError
from ocpp.messages import Call, CallError

from simulator.errors import UserError
from simulator.load import LoadResult, MessagePlan, WindowStats, run_load
from tests.load.helpers import options, scripted_central_system


def _adds_up(result: LoadResult) -> None:
    totals = result.to_json()["totals"]
    accounted = (
        totals["answered"] + sum(totals["callerrors"].values()) + totals["timeouts"]
    ) + totals["lost"]
    assert totals["calls"] == accounted
    windows = result.windows
    assert sum(w["calls"] for w in windows) == totals["calls"]
    assert sum(w["answered"] for w in windows) == totals["answered"]
    for name, action in result.actions.items():
        in_windows = sum(w["actions"].get(name, {}).get("count", 0) for w in windows)
        assert in_windows == action.calls
        assert action.latency.get_total_count() == action.answered


async def test_a_ramp_connects_charge_points_in_order_and_windows_follow_it() -> None:
    seen: list[WindowStats] = []
    async with scripted_central_system() as backend:
        ramp = "0->6 over 3s, hold 1s, ->0 over 1s"
        result = await run_load(options(backend.url, ramp), on_window=seen.append)
    assert result.stopped is None
    assert result.connections.opened == result.connections.attempts == 6
    assert result.connections.peak_connected == 6
    assert backend.connections == 6
    assert seen == result.windows
    assert [w["target"] for w in seen[:5]] == [2, 4, 6, 6, 0]
    assert seen[-1]["connected"] == 0
    assert result.handshake.get_total_count() == 6
    assert result.actions["BootNotification"].answered == 6
    assert result.actions["StatusNotification"].answered == 6
    _adds_up(result)


async def test_active_charge_points_cycle_transactions_with_meter_values() -> None:
    plan = MessagePlan(
        heartbeat_interval_s=1.0,
        active_share=0.5,
        meter_interval_s=0.2,
        transaction_s=0.7,
        idle_between_s=0.3,
        connectors=2,
    )
    async with scripted_central_system() as backend:
        result = await run_load(options(backend.url, "boot-storm:4, hold 3s", plan=plan))
    actions = result.actions
    assert actions["StatusNotification"].answered == 8
    assert actions["Authorize"].answered >= 2 * 2  # two active, cycles of 1 s for 3 s
    assert actions["StartTransaction"].answered == actions["Authorize"].answered
    assert actions["StopTransaction"].answered >= actions["StartTransaction"].answered - 2
    assert actions["MeterValues"].answered >= 3 * actions["StopTransaction"].answered
    assert backend.actions == {name: a.calls for name, a in actions.items()}
    _adds_up(result)


async def test_a_backend_that_goes_silent_ends_the_run_naming_the_charge_point() -> None:
    async with scripted_central_system(delay_s=lambda n: 0.0 if n <= 6 else None) as backend:
        settings = {"timeout_s": 0.5, "silence_limit": 3}
        result = await run_load(options(backend.url, "boot-storm:2, hold 60s", **settings))
    assert result.stopped is not None
    assert result.stopped.startswith("charge point load-00000")
    assert "3 CALLs in a row got no answer within 0.5 s" in result.stopped
    assert result.duration_s < 30
    assert result.timeouts >= 3
    _adds_up(result)


async def test_dropped_connections_reconnect_with_back_off_and_are_counted() -> None:
    # Every connection is closed by the backend on its 4th CALL (boot, status, 1 heartbeat).
    async with scripted_central_system(close_after=4) as backend:
        settings = {"backoff_initial_s": 0.05, "backoff_max_s": 0.2}
        plan = MessagePlan(heartbeat_interval_s=0.3)
        result = await run_load(
            options(backend.url, "boot-storm:2, hold 3s", plan=plan, **settings)
        )
    connections = result.connections
    assert connections.drops >= 2
    assert connections.reconnects >= 2
    assert connections.opened == backend.connections == 2 + connections.reconnects
    assert result.lost == connections.drops
    # Each connection boots, but one that opens as its ramp ends closes before its boot.
    boots = result.actions["BootNotification"].answered
    assert connections.opened - 2 <= boots <= connections.opened
    _adds_up(result)


async def test_nothing_listening_is_a_one_line_error_naming_the_cause() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(UserError) as raised:
        await run_load(options(f"ws://127.0.0.1:{port}/ocpp", "boot-storm:3, hold 5s"))
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("charge point load-00000")
    assert "connection refused" in message


async def test_the_hard_bound_ends_a_run_whose_answers_never_come() -> None:
    async with scripted_central_system(delay_s=lambda n: None) as backend:
        settings = {"timeout_s": 30.0, "max_duration_s": 1.5}
        result = await run_load(options(backend.url, "boot-storm:2, hold 60s", **settings))
    assert result.stopped is not None
    assert "hard bound of 1.5 s" in result.stopped
    assert result.duration_s < 10
    assert backend.received == 2


async def test_two_shards_split_the_fleet_and_merge_exactly() -> None:
    plan = MessagePlan(heartbeat_interval_s=0.1)
    async with scripted_central_system(delay_s=lambda n: 0.001 * (n % 7)) as backend:
        shards = await asyncio.gather(
            *(
                run_load(
                    options(backend.url, "0->5 over 1s, hold 2s", plan=plan, shard=k, shards=2)
                )
                for k in (0, 1)
            )
        )
    first, second = shards
    assert first.connections.opened == 3  # ids 0, 2, 4
    assert second.connections.opened == 2  # ids 1, 3
    merged = LoadResult.from_json(first.to_json()).merge(LoadResult.from_json(second.to_json()))
    assert merged.shards == 2
    assert merged.calls == first.calls + second.calls == backend.received
    for name, action in merged.actions.items():
        mine, theirs = first.actions[name].latency, second.actions[name].latency
        counts = np.ctypeslib.as_array(action.latency.counts)
        expected = np.ctypeslib.as_array(mine.counts) + np.ctypeslib.as_array(theirs.counts)
        assert np.array_equal(counts, expected)
        assert action.latency.get_max_value() == max(mine.get_max_value(), theirs.get_max_value())
    window_targets = [w["target"] for w in merged.windows[:3]]
    assert window_targets == [5, 5, 5]
    assert sum(w["calls"] for w in merged.windows) == merged.calls
    _adds_up(merged)


async def test_refusals_and_invalid_replies_are_counted_by_code() -> None:
    def answer(n: int, call: Call) -> str | None:
        if call.action != "Heartbeat":
            return None
        if n % 3 == 0:
            return call.create_call_error(InternalError(description="test")).to_json()
        if n % 3 == 1:
            return call.create_call_result({"currentTime": 5}).to_json()  # not a date-time
        return None

    async with scripted_central_system(answer=answer) as backend:
        result = await run_load(options(backend.url, "boot-storm:2, hold 2s"))
    beats = result.actions["Heartbeat"]
    assert result.callerrors["InternalError"] > 0
    assert result.callerrors["InvalidReply:TypeConstraintViolation"] > 0
    assert beats.errors == sum(result.callerrors.values())
    assert beats.answered > 0
    assert beats.calls == beats.answered + beats.errors
    assert result.stopped is None
    _adds_up(result)


async def test_calls_and_malformed_frames_from_the_central_system_get_the_callerror_due() -> None:
    probes = (
        '[2, "op-1", "GetConfiguration", {}]',
        '[2, "op-2", "NoSuchAction", {}]',
        '[2, "op-3"]',
        "not json",
    )
    async with scripted_central_system(probes=probes) as backend:
        result = await run_load(options(backend.url, "boot-storm:1, hold 1s"))
    errors = {frame.unique_id: frame.error_code for frame in backend.replies}
    assert errors == {
        "op-1": "NotSupported",
        "op-2": "NotImplemented",
        "op-3": "ProtocolError",
        "-1": "FormationViolation",
    }
    assert all(isinstance(frame, CallError) for frame in backend.replies)
    assert result.server_calls == 2
    assert result.answered == result.calls
