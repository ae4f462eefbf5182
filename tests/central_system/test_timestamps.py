from __future__ import annotations

from datetime import UTC, datetime

from central_system.timestamps import format_timestamp, parse_timestamp


def test_a_timestamp_without_an_offset_is_taken_as_utc() -> None:
    assert parse_timestamp("2025-01-01T10:00:00") == datetime(2025, 1, 1, 10, tzinfo=UTC)


def test_offsets_and_z_are_converted_to_utc_and_written_with_z() -> None:
    moment = parse_timestamp("2025-01-01T12:00:00.5+02:00")
    assert moment == parse_timestamp("2025-01-01T10:00:00.500Z")
    assert format_timestamp(moment) == "2025-01-01T10:00:00.500000Z"
