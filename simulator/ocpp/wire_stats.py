"""What only the wire knows about a run (wire.json): messages, lag, refusals, boots, reconnects.

summary.json is a function of the records and stays byte-identical to the fast engine's; this
document is not: it holds wall-clock figures and depends on the central system's speed.

Lag is measured per message the charge points queued (notifications and the replies the model
waits on): the virtual time when its CALLRESULT or CALLERROR arrived minus the virtual time it
was issued. The lockstep keeps virtual time within `max_lag_s` of the oldest unanswered message,
so every lag is at most the bound.
"""

from __future__ import annotations

import json
import math
from array import array
from collections import Counter

from pydantic import BaseModel, ConfigDict

__all__ = [
    "DEFAULT_MAX_LAG_S",
    "REFUSED_SESSIONS_WARNING_SHARE",
    "Lag",
    "LagMeter",
    "Sessions",
    "WireStats",
    "refused_by_action",
]

DEFAULT_MAX_LAG_S = 60.0
"""Virtual seconds the model may run ahead of the oldest unanswered message (--max-lag): one
meter-value interval of most backends, and well under the 300 s a dashboard would call stale."""
REFUSED_SESSIONS_WARNING_SHARE = 0.5
"""A run whose central system refused more than this share of the sessions gets a warning."""


class Lag(BaseModel):
    """Virtual seconds between a message's issue and its answer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bound: float | None
    """--max-lag (None: unbounded)."""
    p50: float
    p99: float
    max: float


class Sessions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    plugged_in: int
    """Drivers who plugged in and asked for authorization."""
    refused: int
    """Of those, the ones the central system turned away (Authorize or StartTransaction not
    accepted, or refused with a CALLERROR)."""


class WireStats(BaseModel):
    """The document wire.json (docs/outputs.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    charge_points: int
    messages: int
    """CALLs the charge points queued that were answered (or given up), boots not included."""
    boots: int
    """BootNotifications sent (power-up, retries while Pending or Rejected, reboots)."""
    reconnects: int
    """Connections opened after a lost one (a reboot's reconnect not included)."""
    resets: int
    """Resets accepted."""
    refused: dict[str, int]
    """action -> messages the central system refused for good (CALLERROR, dropped)."""
    sessions: Sessions
    lag_s: Lag
    wall_s: float
    """The run's wall-clock time, connecting and draining included."""

    def to_json(self) -> str:
        data = self.model_dump()
        data["wall_s"] = round(self.wall_s, 3)
        return json.dumps(data, indent=2) + "\n"

    def line(self) -> str:
        """One short line for the end of the run's tables."""
        lag = self.lag_s
        bound = "unbounded" if lag.bound is None else f"bound {lag.bound:g} s"
        refused = sum(self.refused.values())
        return (
            f"wire: {self.messages:,} messages in {self.wall_s:.1f} s, lag p50 {lag.p50:.1f} s "
            f"p99 {lag.p99:.1f} s max {lag.max:.1f} s ({bound}), {self.boots} boots, "
            f"{self.reconnects} reconnects, {refused} refused"
        )

    def warning(self) -> str | None:
        """A line when the central system refused most of the run's sessions."""
        s = self.sessions
        if s.plugged_in == 0 or s.refused <= REFUSED_SESSIONS_WARNING_SHARE * s.plugged_in:
            return None
        by_action = ", ".join(f"{a} {n}" for a, n in sorted(self.refused.items()))
        detail = f" (refused messages: {by_action})" if by_action else ""
        return (
            f"warning: the central system refused {s.refused} of {s.plugged_in} sessions"
            f"{detail}: the results describe a network that turned its drivers away"
        )


class LagMeter:
    """Collects lags; exact percentiles (nearest rank). Zero lags, the most common (the
    replies the model waits on), are counted rather than stored."""

    __slots__ = ("_lags", "_zeros", "max_s")

    def __init__(self) -> None:
        self._lags = array("d")
        self._zeros = 0
        self.max_s = 0.0

    def add(self, lag_s: float) -> None:
        if lag_s <= 0.0:
            self._zeros += 1
            return
        self._lags.append(lag_s)
        if lag_s > self.max_s:
            self.max_s = lag_s

    @property
    def count(self) -> int:
        return self._zeros + len(self._lags)

    def summary(self, bound_s: float | None) -> Lag:
        lags = sorted(self._lags)
        n = self.count
        zeros = self._zeros

        def at(q: float) -> float:
            rank = max(1, math.ceil(q * n))  # nearest rank, from 1
            return 0.0 if rank <= zeros else lags[rank - zeros - 1]

        if n == 0:
            return Lag(bound=bound_s, p50=0.0, p99=0.0, max=0.0)
        return Lag(
            bound=bound_s, p50=round(at(0.5), 3), p99=round(at(0.99), 3), max=round(self.max_s, 3)
        )


def refused_by_action(counters: list[Counter[str]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for c in counters:
        total.update(c)
    return dict(sorted(total.items()))
