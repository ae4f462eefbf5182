"""Invariants every run satisfies, whatever the scenario (validation.md): flow, Little's law,
energy. Checked on every shipped scenario and on a busy scenario with everything switched on."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from simulator import runner
from simulator import scenario as sc
from simulator.model.arrivals import arrival_times
from simulator.model.records import Outcome, PortState, Records
from simulator.model.streams import Streams
from simulator.model.world import World

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))


def busy_everything() -> sc.Scenario:
    """Failures, patience, balking, a queue limit, two brands, a deal, idle time, table curves."""
    return sc.parse(
        {
            "name": "busy",
            "networks": [
                {
                    "id": "a",
                    "access": "members_only",
                    "members": ["X"],
                    "open_from_day": 1,
                    "price_per_kwh": 0.4,
                    "non_member_price_per_kwh": 0.6,
                    "idle_fee_per_min": 0.5,
                    "idle_grace_min": 2,
                    "sites": [
                        {
                            "id": "a",
                            "count": 2,
                            "queue_limit": 6,
                            "ports": [{"power_kw": 150, "connectors": ["NACS"], "count": 3}],
                        }
                    ],
                },
                {
                    "id": "b",
                    "price_per_kwh": 0.5,
                    "roaming_fee_per_kwh": 0.05,
                    "sites": [
                        {
                            "id": "b",
                            "ports": [
                                {"power_kw": 50, "connectors": ["CCS1", "CHAdeMO"]},
                                {"power_kw": 350, "connectors": ["CCS1"], "count": 2},
                            ],
                        }
                    ],
                },
            ],
            "vehicles": [
                {
                    "id": "x",
                    "brand": "X",
                    "share": 0.6,
                    "battery_kwh": 75,
                    "peak_kw": 250,
                    "connectors": ["NACS"],
                    "curve": {"kind": "two_stage", "knee_soc": 0.8},
                },
                {
                    "id": "y",
                    "brand": "Y",
                    "share": 0.4,
                    "battery_kwh": 62,
                    "peak_kw": 100,
                    "connectors": ["CCS1"],
                    "adapter_share": 0.5,
                    "adapter_connectors": ["NACS"],
                    "curve": {"kind": "table", "soc": [0.1, 0.5, 0.9], "fraction": [1.0, 0.8, 0.3]},
                },
            ],
            "drivers": {
                "idle_min": {"dist": "exponential", "mean": 4},
                "patience_min": {"dist": "exponential", "mean": 15},
                "balk_wait_min": 30,
                "free_sessions": {"target_soc": {"dist": "uniform", "low": 0.9, "high": 1.0}},
            },
            "deals": [
                {
                    "brand": "Y",
                    "network": "b",
                    "perk": "complimentary",
                    "session_cap_min": 30,
                    "settlement": "per_kwh",
                    "settlement_per_kwh": 0.3,
                }
            ],
            "arrivals": {"kind": "constant", "rate_per_h": 30},
            "failures": {"mtbf_days": 2, "mttr_days": 0.2},
            "attempts": {"handshake": 0.1, "payment": 0.05, "communication": 0.05, "retries": 2},
        }
    )


def arrival_instants(world: World) -> list[float]:
    """The instants the world's arrival process draws before the horizon, replayed from its
    own stream (the model draws nothing else from it)."""
    times = arrival_times(world.arrivals, Streams(world.seed)["arrivals"], world.start.weekday())
    return list(itertools.takewhile(lambda t: t < world.horizon_s, times))


def check_invariants(records: Records, world: World) -> None:
    sessions = records.sessions
    # flow: every arrival is accounted for exactly once, at the instant it arrived (a failed
    # try the driver followed with another is a record more, not an arrival)
    finals = [s for s in sessions if s.outcome is not Outcome.RETRIED]
    assert sorted(s.arrival_s for s in finals) == arrival_instants(world)
    # ... and whatever became of it, it left no later than the horizon and after it arrived
    for s in sessions:
        assert s.arrival_s <= s.depart_s <= records.horizon_s
        if s.outcome is Outcome.TURNED_AWAY and not s.port:
            assert s.depart_s == s.arrival_s
    # energy: what the sessions got is what the ports delivered
    delivered = sum(seg.energy_kwh for seg in records.segments)
    assert sum(s.energy_kwh for s in sessions) == pytest.approx(delivered, rel=1e-9, abs=1e-6)
    # each port's states tile the horizon with no gap or overlap
    by_port: dict[str, list[tuple[float, float]]] = {}
    for i in records.intervals:
        by_port.setdefault(i.port, []).append((i.start_s, i.end_s))
    for spans in by_port.values():
        spans.sort()
        assert spans[0][0] == 0.0
        assert spans[-1][1] == pytest.approx(records.horizon_s)
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start == pytest.approx(end)
    # Little's law: occupied port-time = sum over visits of their time on a port
    occupied_s = sum(
        i.end_s - i.start_s
        for i in records.intervals
        if i.state in (PortState.CHARGING, PortState.OCCUPIED)
    )
    on_port_s = sum(
        s.depart_s - s.start_s
        for s in sessions
        if s.port and s.outcome is not Outcome.GAVE_UP  # tries that failed held a port too
    )
    # a port that fails under an idle car counts as down, not occupied: allow that slack
    down_s = sum(i.end_s - i.start_s for i in records.intervals if i.state is PortState.DOWN)
    assert occupied_s <= on_port_s + 1e-6
    assert on_port_s - occupied_s <= down_s + 1e-6
    assert set(by_port) == {p.id for p in world.ports}


def test_a_busy_scenario_with_everything_switched_on_keeps_every_invariant() -> None:
    result = runner.run(busy_everything(), days=5, seed=11)
    check_invariants(result.records, result.world)
    outcomes = {s.outcome for s in result.records.sessions}
    assert {Outcome.SERVED, Outcome.TURNED_AWAY, Outcome.GAVE_UP, Outcome.RETRIED} <= outcomes
    reasons = {s.reason for s in result.records.sessions}
    assert {"PowerLoss", "balked", "reneged", "Other", "handshake_failed"} <= reasons


def test_utilization_agrees_with_littles_law_in_the_summary() -> None:
    result = runner.run(busy_everything(), days=5, seed=3)
    t = result.summary.totals
    served = [
        s
        for s in result.records.sessions
        if s.outcome in (Outcome.SERVED, Outcome.ON_SITE) and s.port
    ]
    hours = result.records.horizon_s / 3600
    mean_on_port_h = sum((s.depart_s - s.start_s) / 3600 for s in served) / len(served)
    little = len(served) / hours * mean_on_port_h / (t.ports or 1)
    down_share = 1 - (t.uptime_pct or 100) / 100
    assert t.occupancy_utilization is not None
    assert abs(t.occupancy_utilization - little) <= down_share + 1e-9


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_scenario_keeps_the_invariants(path: Path) -> None:
    result = runner.run(sc.load(path), days=2, seed=5)
    check_invariants(result.records, result.world)


def test_the_same_seed_gives_the_same_records_and_another_seed_does_not() -> None:
    scenario = busy_everything()
    a = runner.run(scenario, days=2, seed=1).records
    b = runner.run(scenario, days=2, seed=1).records
    c = runner.run(scenario, days=2, seed=2).records
    assert a == b
    assert a.sessions != c.sessions
