"""Virtual seconds since the start of a run <-> OCPP date-times.

Every timestamp a simulated charge point sends is virtual: the world's start plus the virtual
seconds of the event, as aware UTC in ISO 8601 with milliseconds and a trailing Z (the form
OCPP backends most commonly accept).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_DAY_MS: Final = 86_400_000


__all__ = ["VirtualClock", "seconds_since"]


class VirtualClock:
    __slots__ = ("_days", "_start_ms", "start")

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the start of virtual time must be an aware datetime")
        self.start = start.astimezone(UTC)
        self._start_ms = round((self.start - _EPOCH).total_seconds() * 1000.0)
        self._days: dict[int, str] = {}

    def at(self, t_s: float) -> datetime:
        return self.start + timedelta(milliseconds=round(t_s * 1000.0))

    def iso(self, t_s: float) -> str:
        # every message carries one: integer arithmetic and a date cached per day
        day, ms = divmod(self._start_ms + round(t_s * 1000.0), _DAY_MS)
        date = self._days.get(day)
        if date is None:
            date = self._days[day] = f"{_EPOCH + timedelta(days=day):%Y-%m-%d}"
        s, ms = divmod(ms, 1000)
        m, s = divmod(s, 60)
        h, m = divmod(m, 60)
        return f"{date}T{h:02d}:{m:02d}:{s:02d}.{ms:03d}Z"

    def seconds(self, text: str) -> float:
        """Virtual seconds of an OCPP date-time (one without an offset is taken as UTC)."""
        return seconds_since(self.start, text)


def seconds_since(start: datetime, text: str) -> float:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - start).total_seconds()
