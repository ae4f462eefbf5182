"""Virtual time as OCPP date-times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from simulator.ocpp.clock import VirtualClock


def test_virtual_seconds_become_utc_milliseconds_with_a_z() -> None:
    clock = VirtualClock(datetime(2025, 1, 6, tzinfo=UTC))
    assert clock.iso(0.0) == "2025-01-06T00:00:00.000Z"
    assert clock.iso(86_399.9996) == "2025-01-07T00:00:00.000Z"
    assert clock.iso(3_661.25) == "2025-01-06T01:01:01.250Z"


def test_a_date_time_goes_back_to_the_same_virtual_seconds() -> None:
    clock = VirtualClock(datetime(2025, 1, 6, 1, tzinfo=timezone(timedelta(hours=1))))
    assert clock.iso(0.0) == "2025-01-06T00:00:00.000Z"
    assert clock.seconds(clock.iso(1234.567)) == pytest.approx(1234.567)
    assert clock.seconds("2025-01-06T00:00:10") == 10.0  # no offset: UTC


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        VirtualClock(datetime(2025, 1, 6))
