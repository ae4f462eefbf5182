"""The views over time are pure functions of the records: each day's occupancy, mean and most
cars waiting, by hand on a small case and, on a real run, summing back to the run's own
occupancy and to the waits of its records."""

from __future__ import annotations

import json

import pytest

from simulator.model.records import Outcome, PortInterval, PortState, SessionRecord
from simulator.reports.metrics import DAY_S
from simulator.reports.over_time import day_by_day, day_edges
from simulator.reports.summary import to_json
from tests.reports.helpers import region_run

H = 3600.0


def _waiting(arrival_h: float, wait_h: float) -> SessionRecord:
    return SessionRecord(arrival_h * H, "v", "B", 1, Outcome.SERVED, "Local", wait_s=wait_h * H)


def test_the_days_of_a_window_end_at_its_horizon() -> None:
    assert day_edges((DAY_S, 3.5 * DAY_S)) == [DAY_S, 2 * DAY_S, 3 * DAY_S, 3.5 * DAY_S]
    assert day_edges((DAY_S, DAY_S)) == []


def test_each_days_occupancy_and_waiting_by_hand() -> None:
    intervals = [
        PortInterval("p1", PortState.CHARGING, 0.0, 12 * H),  # half of day 0 on one port
        PortInterval("p1", PortState.OCCUPIED, 12 * H, 30 * H),  # the rest of day 0, 6 h of day 1
        PortInterval("p2", PortState.DOWN, 0.0, 36 * H),  # down is not occupied
    ]
    sessions = [
        _waiting(1, 2),  # 1:00-3:00
        _waiting(2, 2),  # 2:00-4:00: two at once from 2:00 to 3:00
        _waiting(23, 2),  # 23:00 to 1:00 of day 1: one at day 1's start
        SessionRecord(5 * H, "v", "B", 2, Outcome.TURNED_AWAY, "queue_full"),
    ]
    view = day_by_day(2, intervals, sessions, (0.0, 36 * H))
    assert view.occupancy == pytest.approx((24 / 48, 6 / 24))  # day 1 is 12 h of 2 ports
    assert view.mean_waiting == pytest.approx((5 / 24, 1 / 12))
    assert view.max_waiting == (2, 1)


def test_on_a_real_run_the_days_sum_back_to_the_runs_occupancy_and_waits() -> None:
    result = region_run()
    data = json.loads(to_json(result.summary))
    days = data["day_by_day"]
    records = result.records
    window = (records.warmup_s, records.horizon_s)
    spans = [b - a for a, b in zip(day_edges(window), day_edges(window)[1:], strict=False)]
    assert days["days"] == pytest.approx([k for k in range(len(spans))])
    for network, group in days["networks"].items():
        occupied = sum(o * s for o, s in zip(group["occupancy"], spans, strict=True))
        assert occupied / sum(spans) == pytest.approx(
            data["networks"][network]["occupancy_utilization"], abs=1e-5
        )
    waited_s = sum(
        max(0.0, min(s.arrival_s + s.wait_s, window[1]) - max(s.arrival_s, window[0]))
        for s in records.sessions
    )
    mean = days["totals"]["mean_waiting"]
    assert sum(w * s for w, s in zip(mean, spans, strict=True)) == pytest.approx(waited_s, rel=1e-5)
    assert waited_s > 0
    assert all(most >= m for most, m in zip(days["totals"]["max_waiting"], mean, strict=True))
    assert (
        sum(days["networks"][n]["max_waiting"][0] for n in days["networks"])
        >= days["totals"]["max_waiting"][0]
    )
