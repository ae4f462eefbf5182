"""`Schedule201` and the 2.0.1 `Dialect`: the same plan and intended times as 1.6, in 2.0.1's
messages, every payload valid against ocppj's 2.0.1 schemas; load.json says the version."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ocppj import OCPP16, OCPP201, validate_request, validate_response
from simulator.load import MessagePlan
from simulator.load.dialect import DIALECTS, dialect
from simulator.load.recorder import Recorder
from simulator.load.result import LoadResult
from simulator.load.schedule import Due, Schedule
from simulator.load.schedule201 import Schedule201

NOW = "2026-12-01T18:00:00Z"
REPLIES: dict[str, dict[str, Any]] = {
    "BootNotification": {"status": "Accepted", "currentTime": NOW, "interval": 300},
    "Heartbeat": {"currentTime": NOW},
    "StatusNotification": {},
    "Authorize": {"idTokenInfo": {"status": "Accepted"}},
    "TransactionEvent": {},
}
PLAN = MessagePlan(
    heartbeat_interval_s=30.0,
    active_share=1.0,
    meter_interval_s=60.0,
    transaction_s=200.0,
    idle_between_s=50.0,
    connectors=2,
)


def _drain(schedule: Schedule, until_s: float) -> list[tuple[Due, str, dict[str, Any]]]:
    """Pop every CALL due before `until_s` with its wire action and payload (validated),
    answering each at once with a valid 2.0.1 reply."""
    actions = DIALECTS["2.0.1"].actions
    sent = []
    while (at_s := schedule.next_at_s()) is not None and at_s < until_s:
        due = schedule.pop()
        action, payload = actions[due.action], schedule.payload(due, NOW)
        validate_request(OCPP201, action, payload)
        validate_response(OCPP201, action, REPLIES[action])
        sent.append((due, action, payload))
        schedule.answered(due, due.at_s, REPLIES[action])
    return sent


def test_a_2_0_1_station_sends_the_1_6_plan_s_steps_at_the_same_times() -> None:
    sent = _drain(Schedule201(PLAN, "cp-1", 2, active=True, opened_s=0.0), 1000.0)
    same = Schedule(PLAN, "cp-1", 2, active=True, opened_s=0.0)
    steps = []
    while (at_s := same.next_at_s()) is not None and at_s < 1000.0:
        due = same.pop()
        validate_request(OCPP16, due.action, same.payload(due, NOW))
        reply: dict[str, Any] = {"transactionId": 7} if due.action == "StartTransaction" else {}
        if due.action == "BootNotification":
            reply = {"status": "Accepted", "currentTime": NOW, "interval": 300}
        same.answered(due, due.at_s, reply)
        steps.append((due.at_s, due.action))
    assert [(due.at_s, due.action) for due, _, _ in sent] == steps
    boot, status = sent[0][2], sent[1][2]
    assert boot["reason"] == "PowerUp"
    assert boot["chargingStation"]["serialNumber"] == "cp-1"
    assert status == {
        "timestamp": NOW,
        "connectorStatus": "Available",
        "evseId": 1,
        "connectorId": 1,
    }
    assert {action for _, action, _ in sent} == set(REPLIES)


def test_each_transaction_has_its_own_id_and_seq_no_from_0_without_a_gap() -> None:
    sent = _drain(Schedule201(PLAN, "cp-1", 0, active=True, opened_s=0.0), 1000.0)
    events = [payload for _, action, payload in sent if action == "TransactionEvent"]
    by_id: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_id.setdefault(event["transactionInfo"]["transactionId"], []).append(event)
    assert len(by_id) >= 3
    for cycle in by_id.values():
        assert [e["seqNo"] for e in cycle] == list(range(len(cycle)))
        kinds = [e["eventType"] for e in cycle]
        if kinds[-1] != "Ended":  # the last cycle, cut at 1000 s
            continue
        assert kinds == ["Started"] + ["Updated"] * (len(cycle) - 2) + ["Ended"]
        assert {e["triggerReason"] for e in cycle[1:-1]} == {"MeterValuePeriodic"}
        assert cycle[0]["idToken"] == {"idToken": "chargenet-load", "type": "ISO14443"}
        assert cycle[-1]["transactionInfo"]["stoppedReason"] == "Local"
        registers = [e["meterValue"][0]["sampledValue"][0]["value"] for e in cycle]
        assert registers == sorted(registers)
        assert registers[-1] - registers[0] == 7400 * 200 // 3600  # 200 s at 7.4 kW


def test_two_connections_of_one_station_never_reuse_a_transaction_id() -> None:
    def ids() -> set[str]:
        sent = _drain(Schedule201(PLAN, "cp-1", 0, active=True, opened_s=0.0), 600.0)
        return {p["transactionInfo"]["transactionId"] for _, a, p in sent if "seqNo" in p}

    first, second = ids(), ids()
    assert first
    assert len(first) == len(second)
    assert not first & second


def test_an_unknown_version_is_refused_naming_the_known_ones() -> None:
    assert dialect("1.6").version == OCPP16
    assert dialect("2.0.1").version == OCPP201
    with pytest.raises(ValueError, match=r"expected one of 1\.6, 2\.0\.1"):
        dialect("2.1")


def _result(ocpp: str) -> LoadResult:
    recorder = Recorder()
    recorder.sent("Heartbeat", lag_s=0.0)
    recorder.answered("Heartbeat", 0.002, 0.001)
    recorder.roll(0.0, 1.0, 1)
    return recorder.result(
        target="ws://127.0.0.1:1/ocpp",
        started_at=datetime(2026, 12, 1, 18, tzinfo=UTC),
        duration_s=1.0,
        ramp="1, hold 1s",
        plan=PLAN.to_json(),
        stopped=None,
        ocpp=ocpp,
    )


def test_load_json_records_the_version_and_a_merge_of_two_versions_is_mixed() -> None:
    old = _result("1.6").to_json()
    assert old["ocpp"] == "1.6"
    del old["ocpp"]  # a document from before 2.0.1
    assert LoadResult.from_json(old).ocpp == "1.6"
    newer = LoadResult.from_json(_result("2.0.1").to_json())
    assert newer.to_json()["ocpp"] == "2.0.1"
    assert newer.merge(newer).ocpp == "2.0.1"
    assert newer.merge(LoadResult.from_json(old)).ocpp == "mixed"
