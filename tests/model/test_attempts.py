"""Failed charge attempts: each try on a port may fail by a cause drawn from the port's own
stream, and the driver retries, moves or leaves; every try is one session record."""

from __future__ import annotations

import math
import statistics
from typing import Any

import pytest

from simulator import scenario as sc
from simulator.model.attempts import AfterFailure, AttemptRules, Cause, reason_of
from simulator.model.records import Outcome
from simulator.model.requests import Authorize, PortStatus, StartTransaction, StatusChange
from simulator.model.resolver import BatchedResolver
from simulator.model.simulation import Simulation
from simulator.reports import chargex
from simulator.reports.metrics import session_metrics
from tests.model.worlds import AcceptEveryTag, arrive_at, visit, world

TWO_PORTS = [{"power_kw": 100, "connectors": ["CCS1"], "count": 2}]


def _one_visit(
    attempts: dict[str, Any] | None,
    ports: list[dict[str, Any]] | None = None,
    network: dict[str, Any] | None = None,
) -> Any:
    """One visit on an otherwise quiet site, over the wire's seam: (records, what was sent)."""
    w = world(attempts=attempts, ports=ports, network=network)
    central = AcceptEveryTag()
    sim = Simulation(w, resolver=BatchedResolver(central))
    arrive_at(sim, visit(w, soc_start=0.2, soc_target=0.3))
    return sim.run(), [o.request for o in central.sent]


def test_a_draw_maps_to_a_cause_in_the_order_handshake_payment_communication() -> None:
    rules = AttemptRules(handshake=0.1, payment=0.2, communication=0.3)
    assert rules.cause(0.05) is Cause.HANDSHAKE
    assert rules.cause(0.25) is Cause.PAYMENT
    assert rules.cause(0.55) is Cause.COMMUNICATION
    assert rules.cause(0.65) is None


def test_failed_handshakes_are_retried_on_the_same_port_then_the_driver_leaves() -> None:
    records, sent = _one_visit({"handshake": 1.0, "retries": 2, "failed_try_min": 2})
    tries = records.sessions
    assert [s.outcome for s in tries] == [Outcome.RETRIED, Outcome.RETRIED, Outcome.TURNED_AWAY]
    assert {s.reason for s in tries} == {reason_of(Cause.HANDSHAKE)} == {"handshake_failed"}
    assert [s.start_s for s in tries] == [0.0, 120.0, 240.0]
    assert [s.depart_s for s in tries] == [120.0, 240.0, 360.0]
    assert len({s.port for s in tries}) == 1
    assert all(s.energy_kwh == 0 for s in tries)
    # on the wire: Preparing, then Available when the driver unplugs; no Authorize, no start
    assert [r.status for r in sent if isinstance(r, StatusChange)] == [
        PortStatus.PREPARING,
        PortStatus.AVAILABLE,
    ] * 3
    assert not [r for r in sent if isinstance(r, Authorize | StartTransaction)]


def test_a_failed_payment_sends_no_authorize_either() -> None:
    records, sent = _one_visit({"payment": 1.0, "after_failure": "leave"})
    [only] = records.sessions
    assert (only.outcome, only.reason) == (Outcome.TURNED_AWAY, "payment_failed")
    assert not [r for r in sent if isinstance(r, Authorize)]


def test_a_communication_failure_is_authorized_but_never_starts_a_transaction() -> None:
    records, sent = _one_visit({"communication": 1.0, "retries": 0})
    [only] = records.sessions
    assert (only.outcome, only.reason) == (Outcome.TURNED_AWAY, "communication_failed")
    assert len([r for r in sent if isinstance(r, Authorize)]) == 1
    assert not [r for r in sent if isinstance(r, StartTransaction)]
    assert [r.status for r in sent if isinstance(r, StatusChange)][-1] is PortStatus.AVAILABLE


def test_a_driver_who_moves_tries_the_other_free_port() -> None:
    records, _ = _one_visit({"handshake": 1.0, "after_failure": "move"}, TWO_PORTS)
    first, second = records.sessions
    assert first.outcome is Outcome.RETRIED
    assert second.outcome is Outcome.TURNED_AWAY
    assert first.port != second.port


def test_a_try_that_goes_ahead_charges_as_without_attempts() -> None:
    records, _ = _one_visit({"handshake": 0.0})
    [only] = records.sessions
    assert (only.outcome, only.reason) == (Outcome.SERVED, "Local")
    assert only.energy_kwh == pytest.approx(6.0)


def test_a_visit_with_failed_tries_is_one_arrival_in_the_driver_metrics() -> None:
    records, _ = _one_visit({"handshake": 1.0, "retries": 3})
    metrics = session_metrics(records.sessions)
    assert len(records.sessions) == 4
    assert (metrics.arrivals, metrics.turned_away, metrics.served) == (1, 1, 0)


def test_zero_probabilities_leave_the_physics_unchanged() -> None:
    # the attempts' streams are their own: drawing from them moves no other draw
    base = dict(rate_per_h=6.0, days=2.0, ports=TWO_PORTS)
    without = Simulation(world(**base)).run()
    zero = Simulation(world(**base, attempts={"handshake": 0.0})).run()
    assert without.sessions == zero.sessions
    assert without.intervals == zero.intervals


def test_a_world_without_attempts_draws_nothing_for_them() -> None:
    sim = Simulation(world(rate_per_h=6.0, days=1.0))
    sim.run()
    assert sim.world.attempts is None
    assert not [k for k in sim.streams._cache if k.startswith("attempts:")]


@pytest.mark.parametrize(
    ("attempts", "message"),
    [
        ({"handshake": 0.6, "payment": 0.6}, "sum to 1.2"),
        ({"handshake": 0.1, "colour": "red"}, "colour"),
        ({"after_failure": "cry"}, "after_failure"),
    ],
)
def test_a_bad_attempts_section_is_refused(attempts: dict[str, Any], message: str) -> None:
    with pytest.raises((sc.ScenarioError, ValueError), match=message):
        world(attempts=attempts)


def test_first_attempt_success_and_visits_without_a_charge_match_the_closed_form() -> None:
    """Independent failures with probability p per try and r retries: first-attempt success
    is 1 - p and a visit ends without a charge with probability p^(r+1)."""
    p, r = 0.4, 2
    attempts = {"handshake": 0.15, "payment": 0.1, "communication": 0.15, "retries": r}
    first, without = [], []
    for seed in range(1, 9):
        w = world(
            attempts=attempts,
            ports=[{"power_kw": 100, "connectors": ["CCS1"], "count": 12}],
            rate_per_h=12.0,
            days=2.0,
            seed=seed,
        )
        kpis = chargex.measures(Simulation(w).run().sessions)
        assert kpis.visits_with_attempt == kpis.visits > 400  # nobody queued or balked
        first.append(kpis.first_attempt_success_rate)
        without.append(kpis.visits_without_charge_share)
    for values, expected in ((first, 1 - p), (without, p ** (r + 1))):
        se = statistics.stdev(values) / math.sqrt(len(values))
        assert abs(statistics.fmean(values) - expected) < 3 * se + 1e-9, (values, expected)
    assert AfterFailure.RETRY.value == sc.AttemptsSpec().after_failure


def test_drivers_who_give_up_after_a_failure_leave_with_their_first_try() -> None:
    rules = {"handshake": 1.0, "retries": 5}
    records, _ = _one_visit({**rules, "give_up_share": 1.0})
    [only] = records.sessions
    assert (only.outcome, only.reason) == (Outcome.TURNED_AWAY, "handshake_failed")
    none_give_up, _ = _one_visit({**rules, "give_up_share": 0.0})
    assert len(none_give_up.sessions) == 6


def test_a_reset_during_a_failing_try_turns_the_driver_away_as_any_authorization() -> None:
    w = world(attempts={"handshake": 1.0, "retries": 3})
    sim = Simulation(w)
    arrive_at(sim, visit(w))
    sim.env.run(until=60.0)  # the try fails at 120 s
    assert sim.authorizing(sim.ports[0].id)
    assert sim.reset(sim.ports[0].id, hard=False)
    [only] = sim.run().sessions
    assert (only.outcome, only.reason, only.depart_s) == (Outcome.TURNED_AWAY, "reset", 120.0)


def test_a_networks_own_attempts_section_replaces_the_top_level_one() -> None:
    always = {"handshake": 1.0, "after_failure": "leave"}
    records, _ = _one_visit(always, network={"attempts": {"handshake": 0.0}})
    assert [s.outcome for s in records.sessions] == [Outcome.SERVED]
    records, _ = _one_visit(None, network={"attempts": always})
    assert [s.reason for s in records.sessions] == ["handshake_failed"]
