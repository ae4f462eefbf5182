"""The frames a check exchanged, in order, with their direction and time: a verdict's evidence."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Direction(enum.Enum):
    SENT = "sent"  # charge point → backend
    RECEIVED = "received"  # backend → charge point
    EVENT = "event"  # not a frame: a connection opened, refused or closed


@dataclass(frozen=True, slots=True)
class FrameRecord:
    """One frame (or connection event) of a check."""

    #: Seconds since the check started.
    at_s: float
    #: Which connection of the check (1, 2, ...; 0: a note of the check's own).
    connection: int
    direction: Direction
    text: str

    @property
    def arrow(self) -> str:
        return {Direction.SENT: "→", Direction.RECEIVED: "←", Direction.EVENT: "·"}[self.direction]

    def line(self) -> str:
        """One line of text: `  0.012 s #1 → [2,"1","Heartbeat",{}]`."""
        connection = f"#{self.connection}" if self.connection else "  "
        return f"{self.at_s:7.3f} s {connection} {self.arrow} {self.text}"
