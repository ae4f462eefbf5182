"""The charging-profile stack and its composite schedule (OCPP 1.6 section 3.13), in virtual
seconds, without a wire."""

from __future__ import annotations

import pytest

from simulator.model.charging_profiles import (
    DAY_S,
    WEEK_S,
    ChargingProfile,
    Kind,
    Period,
    ProfileSet,
    Purpose,
    RateUnit,
    Recurrency,
    Schedule,
    Supply,
    Transaction,
)

DC = Supply(400.0)
AC = Supply(400.0, ac=True)
H = 3600.0


def profile(
    pid: int = 1,
    *,
    connector: int = 0,
    level: int = 0,
    purpose: Purpose = Purpose.TX_DEFAULT,
    kind: Kind = Kind.ABSOLUTE,
    periods: tuple[tuple[float, float], ...] = ((0.0, 50_000.0),),
    unit: RateUnit = RateUnit.W,
    start_s: float | None = 0.0,
    duration_s: float | None = None,
    recurrency: Recurrency | None = None,
    valid_from_s: float | None = None,
    valid_to_s: float | None = None,
    transaction: int | None = None,
    phases: int | None = None,
) -> ChargingProfile:
    return ChargingProfile(
        id=pid,
        connector=connector,
        stack_level=level,
        purpose=purpose,
        kind=kind,
        schedule=Schedule(
            unit,
            tuple(Period(s, limit, phases) for s, limit in periods),
            duration_s=duration_s,
            start_s=start_s,
        ),
        recurrency=recurrency,
        valid_from_s=valid_from_s,
        valid_to_s=valid_to_s,
        transaction=transaction,
    )


def stack(*profiles: ChargingProfile) -> ProfileSet:
    out = ProfileSet()
    for p in profiles:
        out = out.install(p)
    return out


# --- units ------------------------------------------------------------------------------


def test_amperes_on_a_dc_port_are_watts_at_its_dc_voltage() -> None:
    assert DC.kw(100.0, RateUnit.A, None) == pytest.approx(40.0)
    assert DC.kw(100.0, RateUnit.A, 3) == pytest.approx(40.0)  # phases mean nothing on DC
    assert DC.in_unit(40.0, RateUnit.A) == pytest.approx(100.0)


def test_amperes_on_an_ac_port_are_230_volts_per_phase_three_phases_by_default() -> None:
    assert AC.kw(16.0, RateUnit.A, None) == pytest.approx(16 * 230 * 3 / 1000)
    assert AC.kw(16.0, RateUnit.A, 1) == pytest.approx(16 * 230 / 1000)
    assert AC.in_unit(11.04, RateUnit.A) == pytest.approx(16.0)


def test_watts_are_watts_whatever_the_supply() -> None:
    assert DC.kw(11_000.0, RateUnit.W, None) == AC.kw(11_000.0, RateUnit.W, 1) == 11.0


# --- validity of one profile ------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        (profile(periods=()), "no schedule period"),
        (profile(level=-1), "negative stack level"),
        (profile(periods=((60.0, 1.0),)), "does not start at 0"),
        (profile(periods=((0.0, 1.0), (60.0, 2.0), (60.0, 3.0))), "increasing"),
        (profile(periods=((0.0, -1.0),)), "negative"),
        (profile(kind=Kind.RECURRING), "recurrencyKind"),
        (profile(start_s=None), "startSchedule"),
        (profile(purpose=Purpose.CHARGE_POINT_MAX, connector=1), "other than 0"),
        (profile(purpose=Purpose.TX, connector=0), "connector 0"),
    ],
)
def test_a_malformed_profile_names_its_problem(bad: ChargingProfile, why: str) -> None:
    problem = bad.problem()
    assert problem is not None
    assert why in problem


def test_a_well_formed_relative_profile_needs_no_start() -> None:
    assert profile(kind=Kind.RELATIVE, start_s=None).problem() is None


# --- the installed set ------------------------------------------------------------------


def test_a_profile_replaces_one_with_the_same_id() -> None:
    s = stack(profile(1, level=0), profile(1, level=3, periods=((0, 7000.0),)))
    assert [(p.id, p.stack_level) for p in s.profiles] == [(1, 3)]


def test_a_profile_replaces_one_of_the_same_purpose_level_and_connector() -> None:
    s = stack(profile(1, connector=1, level=2), profile(2, connector=1, level=2))
    assert [p.id for p in s.profiles] == [2]
    kept = stack(profile(1, connector=1, level=2), profile(2, connector=2, level=2))
    assert [p.id for p in kept.profiles] == [1, 2]
    assert kept.replaced_count(profile(3, connector=2, level=2)) == 1


def test_clearing_by_id_ignores_the_other_criteria() -> None:
    s = stack(profile(1, connector=1), profile(2, connector=1, level=1))
    assert [p.id for p in s.clear(profile_id=2, connector=2).profiles] == [1]


def test_clearing_by_criteria_removes_every_profile_matching_all_of_them() -> None:
    s = stack(
        profile(1, connector=1, level=0),
        profile(2, connector=1, level=1),
        profile(3, connector=2, level=1),
        profile(4, connector=0, level=1, purpose=Purpose.CHARGE_POINT_MAX),
    )
    assert [p.id for p in s.clear(connector=1).profiles] == [3, 4]
    assert [p.id for p in s.clear(stack_level=1).profiles] == [1]
    assert [p.id for p in s.clear(purpose=Purpose.TX_DEFAULT, stack_level=1).profiles] == [1, 4]
    assert len(s.clear()) == 0


def test_a_transactions_end_removes_its_tx_profiles_only() -> None:
    s = stack(
        profile(1, connector=1, purpose=Purpose.TX, transaction=7),
        profile(2, connector=1, purpose=Purpose.TX, transaction=8, level=1),
        profile(3, connector=1),
    )
    assert [p.id for p in s.without_transaction(7).profiles] == [2, 3]


# --- stacking ---------------------------------------------------------------------------


def test_no_profile_means_no_limit() -> None:
    assert ProfileSet().limit_kw(1, 0.0, None, DC) is None
    assert ProfileSet().composite(1, 0.0, H, None, DC) == [(0.0, None)]


def test_the_highest_stack_level_wins_within_a_purpose_even_when_it_is_higher() -> None:
    s = stack(profile(1, level=0, periods=((0, 20_000.0),)), profile(2, level=5))
    assert s.limit_kw(1, 10.0, None, DC) == 50.0


def test_a_lower_stack_level_applies_once_the_higher_ones_duration_is_over() -> None:
    s = stack(
        profile(1, level=0, periods=((0, 20_000.0),)),
        profile(2, level=1, periods=((0, 7_000.0),), duration_s=H),
    )
    assert s.composite(1, 0.0, 2 * H, None, DC) == [(0.0, 7.0), (H, 20.0)]


def test_a_connector_profile_beats_a_connector_0_one_on_an_equal_level() -> None:
    s = stack(
        profile(1, connector=0, level=2), profile(2, connector=1, level=2, periods=((0, 9e3),))
    )
    assert s.limit_kw(1, 0.0, None, DC) == 9.0
    assert s.limit_kw(2, 0.0, None, DC) == 50.0  # connector 0's applies to every connector


def test_a_tx_profile_overrides_every_tx_default_and_the_charge_point_max_caps_it() -> None:
    tx = Transaction(connector=1, ref=4, start_s=100.0)
    s = stack(
        profile(1, level=9, periods=((0, 5_000.0),)),  # TxDefault, lower than the Tx one
        profile(2, connector=1, purpose=Purpose.TX, transaction=4, periods=((0, 11_000.0),)),
        profile(3, purpose=Purpose.CHARGE_POINT_MAX, periods=((0, 50_000.0),)),
    )
    assert s.limit_kw(1, 200.0, tx, DC) == 11.0
    capped = s.install(profile(3, purpose=Purpose.CHARGE_POINT_MAX, periods=((0, 8_000.0),)))
    assert capped.limit_kw(1, 200.0, tx, DC) == 8.0
    # no transaction: the TxProfile does not apply, the TxDefault does
    assert s.limit_kw(1, 200.0, None, DC) == 5.0


def test_a_tx_profile_applies_to_its_own_transaction_and_connector_only() -> None:
    s = stack(profile(2, connector=1, purpose=Purpose.TX, transaction=4, periods=((0, 11e3),)))
    assert s.limit_kw(1, 0.0, Transaction(1, 5, 0.0), DC) is None
    assert s.limit_kw(2, 0.0, Transaction(1, 4, 0.0), DC) is None
    assert s.limit_kw(0, 0.0, Transaction(1, 4, 0.0), DC) == 11.0  # the charge point's view


def test_amperes_and_watts_stack_in_kilowatts() -> None:
    s = stack(
        profile(1, unit=RateUnit.A, periods=((0, 100.0),)),  # 40 kW at 400 V DC
        profile(2, purpose=Purpose.CHARGE_POINT_MAX, periods=((0, 30_000.0),)),
    )
    assert s.limit_kw(1, 0.0, None, DC) == pytest.approx(30.0)
    assert s.clear(profile_id=2).limit_kw(1, 0.0, None, DC) == pytest.approx(40.0)


# --- time -------------------------------------------------------------------------------


def test_periods_follow_one_another_from_the_schedules_start() -> None:
    s = stack(profile(periods=((0, 10e3), (600, 20e3), (1200, 5e3)), start_s=1000.0))
    assert s.composite(1, 0.0, 3000.0, None, DC) == [
        (0.0, None),
        (1000.0, 10.0),
        (1600.0, 20.0),
        (2200.0, 5.0),
    ]


def test_validity_bounds_the_profile_from_valid_from_to_valid_to() -> None:
    s = stack(profile(valid_from_s=100.0, valid_to_s=400.0))
    assert s.composite(1, 0.0, 1000.0, None, DC) == [(0.0, None), (100.0, 50.0), (400.0, None)]
    assert s.limit_kw(1, 399.9, None, DC) == 50.0


def test_a_daily_recurring_profile_crosses_midnight_and_repeats_every_day() -> None:
    # 22:00 to 02:00 at 7 kW, 22 kW the rest of the day, from day 0 at 22:00
    night = profile(
        kind=Kind.RECURRING,
        recurrency=Recurrency.DAILY,
        start_s=22 * H,
        periods=((0, 7e3), (4 * H, 22e3)),
    )
    s = stack(night)
    assert s.limit_kw(1, 21 * H, None, DC) is None  # before its first start
    assert s.limit_kw(1, 23.5 * H, None, DC) == 7.0
    assert s.limit_kw(1, DAY_S + 1 * H, None, DC) == 7.0  # past midnight
    assert s.limit_kw(1, DAY_S + 3 * H, None, DC) == 22.0
    assert s.limit_kw(1, 5 * DAY_S + 22.5 * H, None, DC) == 7.0
    assert s.composite(1, DAY_S, DAY_S, None, DC) == [
        (DAY_S, 7.0),
        (DAY_S + 2 * H, 22.0),
        (DAY_S + 22 * H, 7.0),
    ]


def test_a_recurring_profiles_duration_leaves_a_gap_until_its_next_recurrence() -> None:
    s = stack(
        profile(
            kind=Kind.RECURRING,
            recurrency=Recurrency.DAILY,
            start_s=0.0,
            duration_s=8 * H,
            periods=((0, 3e3),),
        )
    )
    assert s.composite(1, 0.0, 2 * DAY_S, None, DC) == [
        (0.0, 3.0),
        (8 * H, None),
        (DAY_S, 3.0),
        (DAY_S + 8 * H, None),
    ]


def test_a_weekly_recurring_profile_repeats_after_seven_days_across_the_week() -> None:
    # Sunday 20:00 to Monday 08:00 (start on a Sunday at 20:00: day 6)
    s = stack(
        profile(
            kind=Kind.RECURRING,
            recurrency=Recurrency.WEEKLY,
            start_s=6 * DAY_S + 20 * H,
            duration_s=12 * H,
            periods=((0, 1e3),),
        )
    )
    assert s.limit_kw(1, 7 * DAY_S + 7 * H, None, DC) == 1.0  # Monday 07:00, week 1
    assert s.limit_kw(1, 7 * DAY_S + 9 * H, None, DC) is None
    assert s.limit_kw(1, 13 * DAY_S + 21 * H, None, DC) == 1.0  # next Sunday night
    assert s.limit_kw(1, 10 * DAY_S, None, DC) is None
    assert s.next_change_s(1, 8 * DAY_S, None, DC) == 13 * DAY_S + 20 * H


def test_a_relative_profile_runs_from_the_transactions_start() -> None:
    s = stack(
        profile(
            connector=1,
            kind=Kind.RELATIVE,
            start_s=None,
            periods=((0, 20e3), (1800, 10e3)),
            duration_s=H,
        )
    )
    tx = Transaction(connector=1, ref=1, start_s=5000.0)
    assert s.limit_kw(1, 5000.0 + 1799, tx, DC) == 20.0
    assert s.limit_kw(1, 5000.0 + 1800, tx, DC) == 10.0
    assert s.limit_kw(1, 5000.0 + H, tx, DC) is None
    assert s.composite(1, 6000.0, 2 * H, tx, DC) == [
        (6000.0, 20.0),
        (6800.0, 10.0),
        (8600.0, None),
    ]
    # without a transaction, as if one started at the window's start
    assert s.composite(1, 100.0, 2 * H, None, DC) == [
        (100.0, 20.0),
        (1900.0, 10.0),
        (3700.0, None),
    ]


def test_the_next_change_skips_boundaries_that_change_nothing() -> None:
    s = stack(
        profile(1, level=0, periods=((0, 10e3), (600, 10e3), (900, 4e3))),
        profile(2, purpose=Purpose.CHARGE_POINT_MAX, periods=((0, 50e3),), start_s=300.0),
    )
    assert s.next_change_s(1, 0.0, None, DC) == 900.0
    assert s.next_change_s(1, 900.0, None, DC) is None


def test_the_composite_merges_equal_neighbours_and_is_bounded_by_its_window() -> None:
    s = stack(profile(periods=((0, 10e3), (600, 10e3), (900, 4e3))))
    assert s.composite(1, 0.0, 900.0, None, DC) == [(0.0, 10.0)]
    assert s.composite(1, 0.0, WEEK_S, None, DC) == [(0.0, 10.0), (900.0, 4.0)]
