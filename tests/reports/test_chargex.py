"""ChargeX's customer KPIs on a hand-made set of visits: first-attempt success, attempts per
visit and visits without a charge, counted the way the docstring of simulator.reports.chargex
says (answers worked out by hand)."""

from __future__ import annotations

import pytest

from simulator.model.records import Outcome, SessionRecord
from simulator.reports import chargex as cx


def visit(
    arrival_s: float,
    outcome: Outcome,
    reason: str,
    *,
    port: str = "p1",
    site: str = "s",
    energy_kwh: float = 0.0,
    start_s: float | None = None,
) -> SessionRecord:
    return SessionRecord(
        arrival_s,
        "leaf",
        "Nissan",
        7,
        outcome,
        reason,
        network="n" if site else "",
        site=site,
        port=port,
        start_s=arrival_s if start_s is None else start_s,
        energy_kwh=energy_kwh,
    )


SERVED = Outcome.SERVED
RECORDS = (
    visit(1.0, SERVED, "Local", energy_kwh=30.0),  # first-attempt success
    visit(2.0, SERVED, "PowerLoss", energy_kwh=10.0),  # the port failed mid-charge
    visit(3.0, Outcome.TURNED_AWAY, "authorization_invalid"),  # refused at the port
    visit(4.0, Outcome.GAVE_UP, "reneged", port=""),  # left the queue: no attempt
    visit(5.0, Outcome.TURNED_AWAY, "no_access", port="", site=""),  # no site: no visit
    visit(6.0, Outcome.ON_SITE, "charging", energy_kwh=3.0),  # undecided: left out
    # one visit, two attempts (a failed-attempt model writes a record per try)
    visit(7.0, SERVED, "Local", port="p2", energy_kwh=20.0, start_s=200.0),
    visit(7.0, Outcome.TURNED_AWAY, "authorization_blocked", start_s=100.0),
    visit(8.0, SERVED, "Local", energy_kwh=0.05),  # under 0.1 kWh: no charge
)


def test_visits_are_one_drivers_stop_at_a_site_with_its_attempts_in_plug_in_order() -> None:
    visits = cx.visits(RECORDS)
    assert [v[0].arrival_s for v in visits] == [1.0, 2.0, 3.0, 4.0, 7.0, 8.0]
    assert [r.reason for r in visits[4]] == ["authorization_blocked", "Local"]


def test_an_attempt_succeeds_with_energy_and_an_expected_end() -> None:
    assert [cx.attempt_succeeded(r) for r in RECORDS if r.port] == [
        True,
        False,
        False,
        False,
        True,
        False,
        False,
    ]


def test_the_kpis_count_the_hand_made_visits() -> None:
    kpis = cx.measures(RECORDS)
    assert (kpis.visits, kpis.visits_with_attempt, kpis.attempts) == (6, 5, 6)
    assert (kpis.first_attempt_successes, kpis.troubled_successes) == (1, 1)
    assert kpis.visits_without_charge == 4
    assert kpis.first_attempt_success_rate == pytest.approx(1 / 5)
    assert kpis.attempts_per_visit == pytest.approx(6 / 5)
    assert kpis.visits_without_charge_share == pytest.approx(4 / 6)
    assert dict(kpis.without_charge_reasons) == {
        "PowerLoss": 1,
        "authorization_invalid": 1,
        "reneged": 1,
        "Local": 1,
    }


def test_no_visits_measure_zero() -> None:
    kpis = cx.measures([])
    assert (kpis.visits, kpis.first_attempt_success_rate, kpis.attempts_per_visit) == (0, 0, 0)
    assert kpis.without_charge_reasons == ()


def _each_group(records: tuple[SessionRecord, ...]) -> tuple[object, ...]:
    at_site = [s for s in records if s.site]
    return (
        cx.measures(records),
        {
            n: cx.measures([s for s in at_site if s.network == n])
            for n in {s.network for s in at_site}
        },
        {i: cx.measures([s for s in at_site if s.site == i]) for i in {s.site for s in at_site}},
        {b: cx.measures([s for s in at_site if s.brand == b]) for b in {s.brand for s in at_site}},
    )


@pytest.mark.parametrize(
    "records",
    [
        RECORDS,
        # a visit whose tries are at two sites: each site measures its own part of it
        (
            *RECORDS,
            visit(9.0, Outcome.RETRIED, "handshake_failed"),
            visit(9.0, SERVED, "Local", site="t", energy_kwh=5.0),
        ),
    ],
    ids=["visits at one site each", "a visit across two sites"],
)
def test_the_grouped_kpis_equal_each_groups_own(records: tuple[SessionRecord, ...]) -> None:
    assert cx.grouped(records) == _each_group(records)


def test_the_grouped_kpis_of_a_real_run_with_failed_tries_equal_each_groups_own() -> None:
    from simulator.reports import metrics as m
    from tests.reports.helpers import region_run

    records = tuple(m.in_window(region_run("attempts_calibrated.toml").records))
    assert any(s.outcome is Outcome.RETRIED for s in records)
    assert cx.grouped(records) == _each_group(records)
