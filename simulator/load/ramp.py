"""`Ramp`: how many charge points a load run wants connected at each instant.

A ramp is a list of legs; each goes linearly from `start` to `end` charge points in `over_s`
(0: a jump; a hold is `start == end`). Charge point `i` (numbered from 0 across the whole
fleet) is connected while the target is above `i`, so a ramp up connects the lowest ids first
and a ramp down disconnects the highest first. On a leg up from `a` to `b` over `T`, charge
point `i` connects at `(i - a + 1) * T / (b - a)` into the leg: the intended connect time
from which its handshake latency counts.

Spec text (`Ramp.parse`): legs separated by commas,

    0->10000 over 10m, hold 20m      a ramp (also `→`), then a hold at 10000
    ->500 over 30s                   from the previous leg's end (0 for the first leg)
    100->200                         a jump
    500                              a constant 500 (held as long as the run's duration)
    boot-storm:5000                  all 5000 at once (a jump from 0), then held

Durations: `90` or `90s`, `10m`, `1h`, `1h30m`, `1.5m`; counts: `5000`, `5_000`, `5k`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Final

from simulator.errors import UserError

__all__ = ["BOOT_STORM", "Ramp", "RampStep", "parse_count", "parse_duration_s"]

BOOT_STORM: Final = "boot-storm"
"""The named profile: every charge point connects at the same instant."""

_DURATION_PART: Final = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|h|m|s)?")
_UNIT_S: Final = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, None: 1.0}
_LEG: Final = re.compile(
    r"^(?P<start>[^-→]*?)\s*(?:->|→)\s*(?P<end>.+?)(?:\s+over\s+(?P<over>.+))?$"
)


@dataclass(frozen=True, slots=True)
class RampStep:
    """One leg of a ramp: from `start` to `end` charge points in `over_s`."""

    start: int
    end: int
    over_s: float

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < 0:
            raise ValueError(f"a ramp leg cannot go below 0 charge points: {self}")
        if not self.over_s >= 0 or math.isinf(self.over_s):
            raise ValueError(f"a ramp leg needs a finite, non-negative duration: {self}")

    def describe(self) -> str:
        if self.start == self.end and self.over_s > 0:
            return f"hold {_format_s(self.over_s)}"
        if self.over_s == 0:
            return f"{self.end}" if self.start == self.end else f"{self.start}->{self.end}"
        return f"{self.start}->{self.end} over {_format_s(self.over_s)}"


@dataclass(frozen=True, slots=True)
class Ramp:
    """The whole fleet's connection target over time (legs one after the other)."""

    steps: tuple[RampStep, ...]

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError("a ramp needs at least one leg")

    @property
    def duration_s(self) -> float:
        return sum(step.over_s for step in self.steps)

    @property
    def peak(self) -> int:
        """The most charge points the ramp ever wants connected."""
        return max(max(step.start, step.end) for step in self.steps)

    def target_at(self, t_s: float) -> int:
        """Charge points wanted connected `t_s` seconds into the run."""
        begin = 0.0
        for step in self.steps:
            if t_s < begin + step.over_s:
                if t_s < begin:
                    return step.start
                fraction = (t_s - begin) / step.over_s
                if step.end >= step.start:
                    return step.start + math.floor((step.end - step.start) * fraction)
                return step.start - math.floor((step.start - step.end) * fraction)
            begin += step.over_s
        return self.steps[-1].end

    def intervals(self, index: int) -> tuple[tuple[float, float], ...]:
        """When charge point `index` is wanted connected: (on_s, off_s) pairs, in order; the
        last one ends at the ramp's end (`duration_s`)."""
        spans: list[tuple[float, float]] = []
        on_s: float | None = None
        begin = 0.0
        for step in self.steps:
            # The leg's start applies at once (a jump when it differs from the last end).
            on_s = _switch(spans, on_s, begin, index < step.start)
            if step.over_s == 0:
                on_s = _switch(spans, on_s, begin, index < step.end)
            elif step.end > step.start and step.start <= index < step.end and on_s is None:
                on_s = begin + (index - step.start + 1) * step.over_s / (step.end - step.start)
            elif step.end < step.start and step.end <= index < step.start and on_s is not None:
                off_s = begin + (step.start - index) * step.over_s / (step.start - step.end)
                spans.append((on_s, off_s))
                on_s = None
            begin += step.over_s
        if on_s is not None:
            spans.append((on_s, begin))
        return tuple(span for span in spans if span[1] > span[0])

    def held_until(self, duration_s: float) -> Ramp:
        """This ramp with a hold at its last target appended, so that it lasts `duration_s`
        (unchanged when it already lasts that long): `--duration` for "500" or a boot storm."""
        rest_s = duration_s - self.duration_s
        if rest_s <= 0:
            return self
        end = self.steps[-1].end
        return Ramp((*self.steps, RampStep(end, end, rest_s)))

    def describe(self) -> str:
        """The ramp as spec text that `parse` reads back to the same ramp."""
        legs = [step.describe() for step in self.steps]
        first = self.steps[0]
        if first.start == 0 and first.end > 0 and first.over_s == 0:
            legs[0] = f"{BOOT_STORM}:{first.end}"
        return ", ".join(legs)

    @classmethod
    def parse(cls, text: str) -> Ramp:
        """Read a ramp spec (module docstring); a UserError names the part it cannot read."""
        if not text.strip():
            raise UserError("ramp: empty spec (try '0->1000 over 5m, hold 10m' or '500')")
        steps: list[RampStep] = []
        for part in text.split(","):
            leg = part.strip()
            previous = steps[-1].end if steps else 0
            try:
                steps.append(_parse_leg(leg, previous))
            except ValueError as error:
                raise UserError(f"ramp: cannot read {leg!r}: {error}") from None
        return cls(tuple(steps))


def _switch(
    spans: list[tuple[float, float]], on_s: float | None, at_s: float, wanted: bool
) -> float | None:
    if wanted and on_s is None:
        return at_s
    if not wanted and on_s is not None:
        spans.append((on_s, at_s))
        return None
    return on_s


def _parse_leg(leg: str, previous: int) -> RampStep:
    if not leg:
        raise ValueError("an empty leg")
    lowered = leg.lower()
    if lowered.startswith(BOOT_STORM):
        rest = leg[len(BOOT_STORM) :].strip()
        if not rest.startswith(":"):
            raise ValueError(f"write {BOOT_STORM}:N, N the charge points that connect at once")
        return RampStep(0, parse_count(rest[1:]), 0.0)
    if lowered.startswith("hold"):
        return RampStep(previous, previous, parse_duration_s(leg[4:]))
    match = _LEG.match(leg)
    if match is None:
        count = parse_count(leg)  # a bare number: a constant target
        return RampStep(count, count, 0.0)
    start_text = match.group("start").strip()
    start = parse_count(start_text) if start_text else previous
    end = parse_count(match.group("end"))
    over = match.group("over")
    return RampStep(start, end, parse_duration_s(over) if over is not None else 0.0)


def parse_count(text: str) -> int:
    """`5000`, `5_000` or `5k` charge points."""
    cleaned = text.strip().replace("_", "").lower()
    scale = 1
    if cleaned.endswith("k"):
        cleaned, scale = cleaned[:-1], 1000
    if not cleaned.isdigit():
        raise ValueError(f"{text.strip()!r} is not a count of charge points")
    return int(cleaned) * scale


def parse_duration_s(text: str) -> float:
    """`90`, `90s`, `10m`, `1h30m`, `1.5m`, `500ms` in seconds."""
    cleaned = text.strip().lower().replace(" ", "")
    if not cleaned:
        raise ValueError("a duration is missing")
    total = 0.0
    position = 0
    while position < len(cleaned):
        match = _DURATION_PART.match(cleaned, position)
        if match is None or match.end() == position:
            raise ValueError(f"{text.strip()!r} is not a duration (try 30s, 10m, 1h30m)")
        total += float(match.group(1)) * _UNIT_S[match.group(2)]
        position = match.end()
    return total


def _format_s(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        if minutes % 60 == 0:
            return f"{minutes // 60}h"
        return f"{minutes}m"
    return f"{seconds:g}s"
