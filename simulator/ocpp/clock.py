"""Virtual seconds since the start of a run <-> OCPP date-times.

Every timestamp a simulated charge point sends is virtual: the world's start plus the virtual
seconds of the event, as aware UTC in ISO 8601 with milliseconds and a trailing Z (the form
OCPP backends most commonly accept).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class VirtualClock:
    __slots__ = ("start",)

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the start of virtual time must be an aware datetime")
        self.start = start.astimezone(UTC)

    def at(self, t_s: float) -> datetime:
        return self.start + timedelta(milliseconds=round(t_s * 1000.0))

    def iso(self, t_s: float) -> str:
        moment = self.at(t_s)
        return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"

    def seconds(self, text: str) -> float:
        """Virtual seconds of an OCPP date-time (one without an offset is taken as UTC)."""
        return seconds_since(self.start, text)


def seconds_since(start: datetime, text: str) -> float:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - start).total_seconds()
