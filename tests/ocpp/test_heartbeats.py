"""The heartbeat schedule in virtual time, on its own: no event loop, no wire."""

from __future__ import annotations

import math

from simulator.ocpp.heartbeats import HeartbeatSchedule


def sent_heartbeats(schedule: HeartbeatSchedule, until_s: float) -> list[tuple[int, float]]:
    """Pop everything due before `until_s`, as the lockstep does: the heartbeats sent."""
    out = []
    while schedule.next_due_s() < until_s:
        due = schedule.pop()
        if due is not None:
            out.append(due)
    return out


def test_nothing_is_due_before_a_charge_point_has_an_interval() -> None:
    schedule = HeartbeatSchedule(3)
    assert schedule.next_due_s() == math.inf
    assert sent_heartbeats(schedule, 1e9) == []


def test_an_idle_charge_point_beats_every_interval_from_the_change() -> None:
    schedule = HeartbeatSchedule(1)
    schedule.changed(0, 300.0, now_s=10.0)
    assert schedule.next_due_s() == 310.0
    assert sent_heartbeats(schedule, 1000.0) == [(0, 310.0), (0, 610.0), (0, 910.0)]
    assert schedule.next_due_s() == 1210.0


def test_other_traffic_postpones_the_heartbeat_to_an_interval_after_the_last_message() -> None:
    schedule = HeartbeatSchedule(1)
    schedule.changed(0, 300.0, now_s=0.0)
    schedule.sent(0, 200.0)  # a StatusNotification, say
    assert schedule.pop() is None  # the entry due at 300 is skipped...
    assert schedule.next_due_s() == 500.0  # ...and one interval after the message instead
    assert sent_heartbeats(schedule, 900.0) == [(0, 500.0), (0, 800.0)]


def test_a_change_counts_the_new_interval_from_the_last_message_when_that_is_later() -> None:
    schedule = HeartbeatSchedule(1)
    schedule.sent(0, 100.0)
    schedule.changed(0, 300.0, now_s=50.0)
    assert schedule.next_due_s() == 400.0


def test_a_new_interval_supersedes_the_heartbeats_scheduled_under_the_old_one() -> None:
    schedule = HeartbeatSchedule(1)
    schedule.changed(0, 300.0, now_s=0.0)
    schedule.changed(0, 100.0, now_s=50.0)  # ChangeConfiguration HeartbeatInterval=100
    # the old entry at 300 is passed over; the new interval counts from the change
    assert sent_heartbeats(schedule, 420.0) == [(0, 150.0), (0, 250.0), (0, 350.0)]
    assert schedule.next_due_s() == 450.0


def test_charge_points_beat_in_due_order_each_on_its_own_interval() -> None:
    schedule = HeartbeatSchedule(3)
    schedule.changed(2, 100.0, now_s=0.0)
    schedule.changed(0, 150.0, now_s=0.0)
    schedule.changed(1, 100.0, now_s=0.0)
    assert sent_heartbeats(schedule, 301.0) == [
        (1, 100.0),
        (2, 100.0),  # the same instant: in charge point order
        (0, 150.0),
        (1, 200.0),
        (2, 200.0),
        (0, 300.0),
        (1, 300.0),
        (2, 300.0),
    ]


def test_a_sent_heartbeat_counts_as_the_charge_points_last_message() -> None:
    schedule = HeartbeatSchedule(1)
    schedule.changed(0, 300.0, now_s=0.0)
    assert schedule.pop() == (0, 300.0)
    # a new interval right after it counts from the heartbeat, not from the change
    schedule.changed(0, 60.0, now_s=0.0)
    assert schedule.next_due_s() == 360.0
