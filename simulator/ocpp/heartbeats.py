"""`HeartbeatSchedule`: when each charge point's next Heartbeat is due, in virtual time.

Pure bookkeeping (no event loop, no wire): the lockstep asks for the earliest due time and
pops it once virtual time gets there. A heartbeat is due `HeartbeatInterval` after the later
of the change that set the interval and the charge point's last message; OCPP 1.6 lets a charge
point skip it after other traffic, so a heartbeat whose charge point sent something since is
postponed to an interval after that message instead of sent. A new interval (a boot's answer,
ChangeConfiguration) supersedes every entry scheduled under the old one.
"""

from __future__ import annotations

import heapq
import math

__all__ = ["HeartbeatSchedule"]


class HeartbeatSchedule:
    """The due heartbeats of `charge_points` charge points, numbered from 0."""

    __slots__ = ("_generation", "_heap", "_interval_s", "_last_sent_s")

    def __init__(self, charge_points: int) -> None:
        self._heap: list[tuple[float, int, int]] = []  # (due_s, index, generation)
        self._generation = [0] * charge_points
        self._interval_s = [0.0] * charge_points
        self._last_sent_s = [0.0] * charge_points

    def next_due_s(self) -> float:
        """The earliest entry's due time (inf when nothing is scheduled); it may turn out
        superseded or postponed when popped."""
        heap = self._heap
        return heap[0][0] if heap else math.inf

    def changed(self, index: int, interval_s: float, now_s: float) -> None:
        """The charge point's interval is now `interval_s`: its next heartbeat is due that
        long after now or after its last message, whichever is later."""
        self._generation[index] += 1
        self._interval_s[index] = interval_s
        due_s = max(now_s, self._last_sent_s[index]) + interval_s
        heapq.heappush(self._heap, (due_s, index, self._generation[index]))

    def sent(self, index: int, at_s: float) -> None:
        """The charge point sent a message at virtual time `at_s`."""
        self._last_sent_s[index] = at_s

    def pop(self) -> tuple[int, float] | None:
        """Take the earliest entry: (charge point, due time) when its heartbeat is to be sent
        now (counted as sent, the next one scheduled); None when the entry was superseded or
        postponed by the charge point's other traffic."""
        due_s, index, generation = heapq.heappop(self._heap)
        if generation != self._generation[index]:
            return None
        interval_s = self._interval_s[index]
        after_last_s = self._last_sent_s[index] + interval_s
        if after_last_s > due_s:
            heapq.heappush(self._heap, (after_last_s, index, generation))
            return None
        self._last_sent_s[index] = due_s
        heapq.heappush(self._heap, (due_s + interval_s, index, generation))
        return index, due_s
