"""`Backlog`: the messages the charge points queued and have not had answered yet.

Pure bookkeeping (no event loop): how many there are (the lockstep makes virtual time wait for
the wire when there are too many), the virtual time the oldest of them was issued (virtual time
may run at most `max_lag_s` ahead of it), and each answer's lag (wire.json). Each connection
answers its messages in the order it queued them (one CALL outstanding, OCPP-J), so a FIFO per
connection finds the message an answer belongs to; across connections answers come in any
order, so the oldest unanswered message is the head of the issue order once the answered ones
before it are dropped.
"""

from __future__ import annotations

import math
from collections import deque

from simulator.ocpp.wire_stats import LagMeter

__all__ = ["Backlog"]


class Backlog:
    """The unanswered messages of `charge_points` connections, numbered from 0."""

    __slots__ = ("_issued", "_unanswered", "lag", "messages", "size")

    def __init__(self, charge_points: int) -> None:
        # one cell per message, [issue_s, answered], shared by its connection's FIFO and by
        # the issue order overall (whose head is unanswered)
        self._unanswered: list[deque[list[float]]] = [deque() for _ in range(charge_points)]
        self._issued: deque[list[float]] = deque()
        self.size = 0
        """Messages queued and not answered yet."""
        self.messages = 0
        """Messages answered (or given up) so far."""
        self.lag = LagMeter()

    def oldest_issue_s(self) -> float:
        """When the oldest unanswered message was issued (inf when there is none)."""
        issued = self._issued
        return issued[0][0] if issued else math.inf

    def enqueued(self, index: int, now_s: float) -> None:
        """Connection `index` queued a message at virtual time `now_s`."""
        self.size += 1
        cell = [now_s, 0.0]
        self._unanswered[index].append(cell)
        self._issued.append(cell)

    def answered(self, index: int, now_s: float) -> bool:
        """Connection `index`'s oldest message got its answer at virtual time `now_s`; True
        when that was the oldest of all (the oldest issue time moved on)."""
        self.size -= 1
        self.messages += 1
        cell = self._unanswered[index].popleft()
        cell[1] = 1.0
        self.lag.add(now_s - cell[0])
        issued = self._issued
        if issued[0] is not cell:
            return False
        while issued and issued[0][1]:
            issued.popleft()
        return True
