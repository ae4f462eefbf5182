"""OCPP timestamps: parse what charge points send, write what the store keeps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

__all__ = [
    "EARLIEST",
    "LATEST",
    "TimestampError",
    "format_timestamp",
    "parse_timestamp",
    "utc_now",
]

#: The instants a charge point's timestamp may name: from the Unix epoch (where a charger whose
#: clock was never set starts counting) to the end of 2099. Outside it a date is no reading of
#: any clock, and at the calendar's edges an offset cannot even be turned into UTC.
EARLIEST: Final = datetime(1970, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(2099, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


class TimestampError(ValueError):
    """Not an OCPP date-time, or one outside [EARLIEST, LATEST]."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def parse_timestamp(text: str) -> datetime:
    """An aware UTC datetime from an OCPP date-time; one without an offset is taken as UTC.

    Raises TimestampError for text that is no date-time or names an instant outside
    [EARLIEST, LATEST] (years 0001 and 9999 with offsets overflow in the conversion)."""
    try:
        parsed = datetime.fromisoformat(text)
        moment = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError, TypeError):
        raise TimestampError(f"{text!r} is not a date-time") from None
    if not EARLIEST <= moment <= LATEST:
        raise TimestampError(f"{text!r} is outside 1970-01-01 to 2099-12-31")
    return moment


def format_timestamp(moment: datetime) -> str:
    """The store's and the wire's form: UTC, microseconds, a trailing Z (sorts as text)."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    # isoformat is several times faster than strftime, and this runs for every message and
    # sample: UTC's "+00:00" is cut off rather than a naive copy made.
    return moment.isoformat(timespec="microseconds")[:-6] + "Z"
