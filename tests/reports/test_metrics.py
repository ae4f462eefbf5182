"""Metrics over an empty window or group are defined (0), never a crash; uptime is a share."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator import runner
from simulator import scenario as sc
from simulator.model.records import PortInterval, PortState, PowerSegment
from simulator.reports import metrics as m
from simulator.reports.catalogue import PORT_METRICS, Metric
from simulator.reports.summary import to_json

ROOT = Path(__file__).resolve().parents[2]
PORTS = [m.PortInfo("p1", "s", "n", 150.0), m.PortInfo("p2", "s", "n", 50.0)]
DAY_S = 86_400.0
RATES = tuple(
    e.metric.value for e in PORT_METRICS if not e.profile and e.metric is not Metric.PORTS
)


@pytest.mark.parametrize(
    "window", [(DAY_S, DAY_S), (DAY_S, DAY_S / 2)], ids=["no time", "ends before it starts"]
)
def test_port_metrics_over_an_empty_window_are_zero(window: tuple[float, float]) -> None:
    intervals = [PortInterval("p1", PortState.CHARGING, 0.0, DAY_S)]
    segments = [PowerSegment("p1", 0.0, DAY_S / 2, 300.0, 150.0, 10.0)]
    values = m.port_metrics(PORTS, intervals, segments, 3, window)
    assert values.ports == 2
    assert {k: getattr(values, k) for k in RATES} == dict.fromkeys(RATES, 0.0)
    assert values.hourly_occupancy == (0.0,) * 24
    assert m.hourly_occupancy(PORTS, intervals, window) == [0.0] * 24


def test_port_metrics_of_a_group_with_no_ports_are_zero() -> None:
    values = m.port_metrics([], [], [], 0, (0.0, DAY_S))
    assert {k: getattr(values, k) for k in RATES} == dict.fromkeys(RATES, 0.0)


def test_a_run_no_longer_than_its_warm_up_summarizes_to_zeros_from_python() -> None:
    # the command line refuses such a run; from Python the summary is still defined
    data = sc.load(ROOT / "scenarios" / "quickstart.toml").model_dump()
    data["simulation"]["warmup_days"] = 0.5
    result = runner.run(sc.parse(data), days=0.5)
    totals = result.summary.totals
    assert result.summary.days == 0
    assert totals.arrivals == 0
    assert (totals.occupancy_utilization, totals.uptime_pct, totals.peak_kw) == (0.0, 0.0, 0.0)
    assert '"sessions_per_port_per_day": 0.0' in to_json(result.summary)


def test_uptime_is_a_share_of_port_time_like_every_other_share() -> None:
    # p1 down for the first quarter of the day, p2 never: 1/8 of the port time is down
    intervals = [
        PortInterval("p1", PortState.DOWN, 0.0, DAY_S / 4),
        PortInterval("p1", PortState.AVAILABLE, DAY_S / 4, DAY_S),
        PortInterval("p2", PortState.CHARGING, 0.0, DAY_S / 2),
    ]
    values = m.port_metrics(PORTS, intervals, [], 0, (0.0, DAY_S))
    assert values.uptime == pytest.approx(7 / 8)
    assert values.dispensing_utilization == pytest.approx(1 / 4)
