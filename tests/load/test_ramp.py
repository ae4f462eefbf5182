"""`Ramp`: spec text, targets over time, and when each charge point is connected."""

from __future__ import annotations

import pytest

from simulator.errors import UserError
from simulator.load import Ramp, RampStep
from simulator.load.ramp import parse_count, parse_duration_s


def test_a_ramp_then_a_hold_reads_as_two_legs() -> None:
    ramp = Ramp.parse("0->10000 over 10m, hold 20m")
    assert ramp.steps == (RampStep(0, 10000, 600.0), RampStep(10000, 10000, 1200.0))
    assert ramp.duration_s == 1800.0
    assert ramp.peak == 10000


def test_the_arrow_may_be_unicode_and_a_leg_may_start_where_the_last_ended() -> None:
    ramp = Ramp.parse("0→100 over 30s, ->40 over 1m30s")
    assert ramp.steps == (RampStep(0, 100, 30.0), RampStep(100, 40, 90.0))


def test_a_boot_storm_is_a_jump_held_as_long_as_the_run() -> None:
    ramp = Ramp.parse("boot-storm:5k")
    assert ramp.steps == (RampStep(0, 5000, 0.0),)
    held = ramp.held_until(120.0)
    assert held.duration_s == 120.0
    assert held.target_at(0.0) == 5000
    assert held.intervals(4999) == ((0.0, 120.0),)
    assert held.describe() == "boot-storm:5000, hold 2m"


def test_a_bare_count_is_a_constant_target() -> None:
    ramp = Ramp.parse("500").held_until(60.0)
    assert [ramp.target_at(t) for t in (0.0, 30.0, 59.9)] == [500, 500, 500]
    assert ramp.held_until(10.0) is ramp


def test_targets_rise_linearly_and_fall_back() -> None:
    ramp = Ramp.parse("0->10 over 10s, hold 5s, ->4 over 6s")
    assert [ramp.target_at(float(t)) for t in range(22)] == [
        *range(10),
        *[10] * 6,
        *range(9, 3, -1),
    ]


def test_charge_points_connect_lowest_ids_first_and_disconnect_highest_first() -> None:
    ramp = Ramp.parse("0->10 over 10s, hold 5s, ->4 over 6s")
    assert ramp.intervals(0) == ((1.0, 21.0),)
    assert ramp.intervals(3) == ((4.0, 21.0),)
    assert ramp.intervals(9) == ((10.0, 16.0),)
    assert ramp.intervals(5) == ((6.0, 20.0),)
    assert ramp.intervals(10) == ()
    # Whoever the target counts at t is connected at t.
    for t in (0.5, 4.0, 12.0, 17.5, 20.9):
        connected = sum(any(on <= t < off for on, off in ramp.intervals(i)) for i in range(10))
        assert connected == ramp.target_at(t)


def test_a_ramp_that_drops_and_rises_again_reconnects_a_charge_point() -> None:
    ramp = Ramp.parse("5, hold 10s, 0, hold 5s, 5, hold 10s")
    assert ramp.intervals(2) == ((0.0, 10.0), (15.0, 25.0))


def test_describe_reads_back_to_the_same_ramp() -> None:
    for text in ("0->1000 over 5m, hold 5m", "boot-storm:20, hold 30s", "100->50 over 1h"):
        ramp = Ramp.parse(text)
        assert Ramp.parse(ramp.describe()) == ramp


def test_durations_and_counts_take_their_units() -> None:
    assert [parse_duration_s(t) for t in ("90", "90s", "10m", "1h30m", "1.5m", "500ms")] == [
        90.0,
        90.0,
        600.0,
        5400.0,
        90.0,
        0.5,
    ]
    assert [parse_count(t) for t in ("5000", "5_000", "5k")] == [5000, 5000, 5000]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("0->x over 1m", "'x' is not a count"),
        ("0->10 over soon", "'soon' is not a duration"),
        ("hold 5q", "'5q' is not a duration"),
        ("boot-storm5", "write boot-storm:N"),
        ("10, , hold 1m", "an empty leg"),
        ("", "empty spec"),
        ("-5", "is not a count"),
    ],
)
def test_a_bad_spec_is_a_user_error_naming_the_bad_part(text: str, named: str) -> None:
    with pytest.raises(UserError, match=r"^ramp: ") as raised:
        Ramp.parse(text)
    assert named in str(raised.value)
    assert "\n" not in str(raised.value)
