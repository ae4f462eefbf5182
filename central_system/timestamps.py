"""OCPP timestamps: parse what charge points send, write what the store keeps."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def parse_timestamp(text: str) -> datetime:
    """An aware UTC datetime from an OCPP date-time; one without an offset is taken as UTC."""
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_timestamp(moment: datetime) -> str:
    """The store's and the wire's form: UTC, microseconds, a trailing Z (sorts as text)."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    # isoformat is several times faster than strftime, and this runs for every message.
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
