"""`Schedule` and `MessagePlan`: every CALL's intended send time follows from the plan, not
from when the previous answer came (the open-loop half of honest latency)."""

from __future__ import annotations

import pytest

from ocppj import OCPP16, validate_request
from simulator.load import MessagePlan
from simulator.load.plan import is_active, phase
from simulator.load.schedule import Due, Schedule

ACCEPTED = {"status": "Accepted", "currentTime": "2026-12-01T18:00:00Z", "interval": 300}
NOW = "2026-12-01T18:00:00Z"


def _drain(schedule: Schedule, until_s: float, answer_after_s: float = 0.0) -> list[Due]:
    """Pop every CALL due before `until_s`, answering each `answer_after_s` after its
    intended time (with the payloads a central system would give)."""
    sent: list[Due] = []
    while (at_s := schedule.next_at_s()) is not None and at_s < until_s:
        due = schedule.pop()
        validate_request(OCPP16, due.action, schedule.payload(due, NOW))
        sent.append(due)
        reply: dict[str, object] = {}
        if due.action == "BootNotification":
            reply = ACCEPTED
        elif due.action == "StartTransaction":
            reply = {"transactionId": 7, "idTagInfo": {"status": "Accepted"}}
        schedule.answered(due, due.at_s + answer_after_s, reply)
    return sent


def test_the_boot_comes_first_then_a_status_per_connector_then_heartbeats_on_a_grid() -> None:
    plan = MessagePlan(heartbeat_interval_s=10.0, connectors=2)
    schedule = Schedule(plan, "cp-1", 3, active=False, opened_s=100.0)
    sent = _drain(schedule, 140.0)
    actions = [due.action for due in sent]
    assert actions[:3] == ["BootNotification", "StatusNotification", "StatusNotification"]
    assert [due.connector_id for due in sent[1:3]] == [1, 2]
    beats = [due.at_s for due in sent if due.action == "Heartbeat"]
    first = 100.0 + 10.0 * phase(3)
    assert beats == pytest.approx([first + 10.0 * k for k in range(len(beats))])
    assert len(beats) >= 3


def test_a_slow_answer_does_not_move_the_next_intended_times() -> None:
    plan = MessagePlan(heartbeat_interval_s=1.0)
    fast = [d.at_s for d in _drain(Schedule(plan, "cp", 0, False, 0.0), 20.0) if d.at_s > 0]
    slow_schedule = Schedule(plan, "cp", 0, False, 0.0)
    slow = [d.at_s for d in _drain(slow_schedule, 20.0, answer_after_s=0.9) if d.at_s > 0.9]
    # The boot's answer anchors the grid; after it, 0.9 s answers change no intended time.
    assert [t - 0.9 for t in slow] == pytest.approx(fast[: len(slow)])


def test_an_active_charge_point_cycles_authorize_start_meter_values_stop() -> None:
    plan = MessagePlan(
        heartbeat_interval_s=1000.0,
        active_share=1.0,
        meter_interval_s=60.0,
        transaction_s=600.0,
        idle_between_s=60.0,
    )
    schedule = Schedule(plan, "cp", 0, active=True, opened_s=0.0)
    cycle = [d for d in _drain(schedule, 2000.0) if d.action not in ("Heartbeat",)]
    actions = [d.action for d in cycle]
    assert actions[:3] == ["BootNotification", "StatusNotification", "Authorize"]
    one = actions[2:15]
    assert one == [
        "Authorize",
        "StartTransaction",
        *(["MeterValues"] * 9),
        "StopTransaction",
        "Authorize",
    ]
    start = cycle[2].at_s
    assert cycle[13].at_s == pytest.approx(start + 600.0)  # the stop
    assert cycle[14].at_s == pytest.approx(start + 660.0)  # the next cycle


def test_the_meter_register_grows_across_a_transaction_and_the_next() -> None:
    plan = MessagePlan(active_share=1.0, meter_interval_s=300.0, transaction_s=3600.0)
    schedule = Schedule(plan, "cp", 0, active=True, opened_s=0.0)
    payloads = []
    while (at_s := schedule.next_at_s()) is not None and at_s < 8000.0:
        due = schedule.pop()
        payload = schedule.payload(due, NOW)
        payloads.append((due.action, payload))
        reply = ACCEPTED if due.action == "BootNotification" else {}
        if due.action == "StartTransaction":
            reply = {"transactionId": 9, "idTagInfo": {"status": "Accepted"}}
        schedule.answered(due, at_s, reply)
    stops = [p["meterStop"] for a, p in payloads if a == "StopTransaction"]
    starts = [p["meterStart"] for a, p in payloads if a == "StartTransaction"]
    assert stops[0] == 7400  # an hour at 7.4 kW
    assert starts[1] == stops[0]


def test_a_pending_boot_is_repeated_after_the_interval_given() -> None:
    schedule = Schedule(MessagePlan(), "cp", 0, active=False, opened_s=0.0)
    boot = schedule.pop()
    schedule.answered(boot, 0.1, {"status": "Pending", "currentTime": NOW, "interval": 7})
    assert schedule.next_at_s() == pytest.approx(7.1)
    again = schedule.pop()
    assert again.action == "BootNotification"
    schedule.failed(again, 8.0, timed_out=True)
    assert schedule.next_at_s() == pytest.approx(8.0)


def test_a_failed_start_skips_the_transaction_but_not_the_next_cycle() -> None:
    plan = MessagePlan(active_share=1.0, transaction_s=100.0, idle_between_s=10.0)
    schedule = Schedule(plan, "cp", 0, active=True, opened_s=0.0)
    schedule.answered(schedule.pop(), 0.0, ACCEPTED)
    seen = []
    while (at_s := schedule.next_at_s()) is not None and at_s < 200.0:
        due = schedule.pop()
        seen.append(due.action)
        if due.action == "StartTransaction":
            schedule.failed(due, at_s)
        else:
            schedule.answered(due, at_s, {})
    assert "MeterValues" not in seen
    assert "StopTransaction" not in seen
    assert seen.count("Authorize") == 2


def test_the_active_share_is_exact_and_spread_over_the_ids() -> None:
    assert [is_active(i, 0.5) for i in range(6)] == [False, True] * 3
    assert sum(is_active(i, 0.3) for i in range(1000)) == 300
    assert sum(is_active(i, 1.0) for i in range(10)) == 10
    assert not any(is_active(i, 0.0) for i in range(10))


@pytest.mark.parametrize(
    "settings",
    [
        {"heartbeat_interval_s": 0.0},
        {"active_share": 1.5},
        {"meter_interval_s": -1.0},
        {"connectors": 0},
        {"idle_between_s": float("inf")},
    ],
)
def test_a_plan_refuses_values_that_make_no_load(settings: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(settings))):
        MessagePlan(**settings)  # type: ignore[arg-type]
