"""Views over time, pure functions of the records: day by day over the measurement window, the
share of port time occupied and the cars waiting (mean over the day and the most at once) of a
group of ports (a network, or all).

A car waits from its arrival for `wait_s` (until it plugged in, gave up, or the run ended);
turned-away drivers never wait. Day k is [warm-up end + k days, + k + 1 days), the last one cut
at the horizon (a partial day's shares are over its own length).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from simulator.model.records import PortInterval, PortState, SessionRecord
from simulator.reports.metrics import DAY_S, _integral

__all__ = ["DayByDay", "day_by_day", "day_edges"]

_BUSY = (PortState.CHARGING, PortState.OCCUPIED)


@dataclass(frozen=True, slots=True)
class DayByDay:
    occupancy: tuple[float, ...]
    """Share of the group's port time with a car plugged in, each day (0..1)."""
    mean_waiting: tuple[float, ...]
    """Cars waiting at the group's sites, averaged over each day."""
    max_waiting: tuple[int, ...]
    """The most cars waiting at once at the group's sites, each day."""


def day_edges(window: tuple[float, float]) -> list[float]:
    start, end = window
    days = max(0, math.ceil((end - start) / DAY_S - 1e-9))
    return [start + k * DAY_S for k in range(days)] + [end] if days else []


def day_by_day(
    ports: int,
    intervals: Iterable[PortInterval],
    sessions: Iterable[SessionRecord],
    window: tuple[float, float],
) -> DayByDay:
    """The day-by-day view of a group of `ports` ports from its port intervals and sessions."""
    edges = np.array(day_edges(window))
    if len(edges) < 2:
        return DayByDay((), (), ())
    spans_s = np.diff(edges)
    busy = [(i.start_s, i.end_s) for i in intervals if i.state in _BUSY]
    occupied_s = _per_day(busy, edges)
    occupancy = occupied_s / (spans_s * ports) if ports else np.zeros_like(spans_s)
    waits = [(s.arrival_s, s.arrival_s + s.wait_s) for s in sessions if s.wait_s > 0]
    return DayByDay(
        occupancy=tuple(float(x) for x in occupancy),
        mean_waiting=tuple(float(x) for x in _per_day(waits, edges) / spans_s),
        max_waiting=tuple(_most_at_once(waits, edges)),
    )


def _per_day(spans: Sequence[tuple[float, float]], edges: np.ndarray) -> np.ndarray:
    """Seconds of overlap of the spans with each day."""
    if not spans:
        return np.zeros(len(edges) - 1)
    s = np.array([a for a, _ in spans])
    e = np.array([b for _, b in spans])
    return np.diff(_integral(s, e, np.ones_like(s), edges))


def _most_at_once(spans: Sequence[tuple[float, float]], edges: np.ndarray) -> list[int]:
    """The most spans open at once within each day: a sweep over starts (+1) and ends (-1),
    an end before a start at the same instant."""
    if not spans:
        return [0] * (len(edges) - 1)
    times = np.array([t for span in spans for t in span])
    steps = np.array([1, -1] * len(spans))
    order = np.lexsort((steps, times))
    t, count = times[order], np.cumsum(steps[order])
    out = []
    for lo, hi in itertools.pairwise(edges):
        i, j = np.searchsorted(t, lo, side="right"), np.searchsorted(t, hi, side="left")
        at_start = int(count[i - 1]) if i > 0 else 0
        out.append(max(at_start, int(count[i:j].max())) if j > i else at_start)
    return out
