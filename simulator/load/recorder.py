"""`Recorder`: where the charge points of one run put what happened (sans-I/O, one per run).

Every answered CALL's latency (from its intended send time) and service time (from its actual
send) are kept as integers for the current window; at each window's end `roll` records them
into HdrHistograms at once (vectorized: one by one costs about 6 us each in Python, on the
loop that measures), turns the window into its load.json entry, adds it into the run's
totals and starts the next one from empty, so memory stays one window deep.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import numpy as np

from simulator.load.result import (
    HIGHEST_US,
    ActionTotals,
    ConnectionTotals,
    LoadResult,
    WindowStats,
    new_histogram,
    record_all,
    window_action,
)

__all__ = ["Recorder"]


def _us(seconds: float) -> int:
    return min(HIGHEST_US, max(1, int(seconds * 1_000_000)))


def _us_all(seconds: array[float]) -> Sequence[int]:
    """`_us` of every value at once (the window's end, not each CALL, pays for it)."""
    values = np.asarray(seconds, dtype=np.float64) * 1_000_000
    # An int64 array: record_all reads it with np.asarray, as it reads any sequence.
    return cast("Sequence[int]", np.clip(values.astype(np.int64), 1, HIGHEST_US))


class _Window:
    """One action within the current window: counts, and the latencies (s) to record."""

    __slots__ = ("answered", "calls", "errors", "latency_s", "lost", "service_s", "timeouts")

    def __init__(self) -> None:
        self.calls = 0
        self.answered = 0
        self.errors = 0
        self.timeouts = 0
        self.lost = 0
        self.latency_s = array("d")
        self.service_s = array("d")

    def reset(self) -> None:
        self.calls = self.answered = self.errors = self.timeouts = self.lost = 0
        self.latency_s = array("d")
        self.service_s = array("d")


class Recorder:
    """The counters and histograms of a run; `result()` is its `LoadResult`."""

    def __init__(self) -> None:
        self.totals: dict[str, ActionTotals] = {}
        self._windows: dict[str, _Window] = {}
        self.callerrors: Counter[str] = Counter()
        self.connections = ConnectionTotals()
        self.handshake = new_histogram()
        self.connected = 0
        self._window_peak = 0
        self.server_calls = 0
        self.send_lag_max_s = 0.0
        self.windows: list[WindowStats] = []

    def _action(self, action: str) -> _Window:
        window = self._windows.get(action)
        if window is None:
            window = self._windows[action] = _Window()
            self.totals[action] = ActionTotals()
        return window

    # --- CALLs ----------------------------------------------------------------------------

    def sent(self, action: str, lag_s: float) -> None:
        """A CALL left; `lag_s`: how late the generator itself sent it (connection free)."""
        self._action(action).calls += 1
        if lag_s > self.send_lag_max_s:
            self.send_lag_max_s = lag_s

    def answered(self, action: str, latency_s: float, service_s: float) -> None:
        window = self._windows[action]
        window.answered += 1
        window.latency_s.append(latency_s)
        window.service_s.append(service_s)

    def errored(self, action: str, code: str) -> None:
        self._windows[action].errors += 1
        self.callerrors[code] += 1

    def timed_out(self, action: str) -> None:
        self._windows[action].timeouts += 1

    def lost(self, action: str) -> None:
        self._windows[action].lost += 1

    def server_call(self) -> None:
        self.server_calls += 1

    # --- connections ----------------------------------------------------------------------

    def attempt(self) -> None:
        self.connections.attempts += 1

    def opened(self, handshake_s: float, reconnect: bool) -> None:
        self.connections.opened += 1
        if reconnect:
            self.connections.reconnects += 1
        self.handshake.record_value(_us(handshake_s))
        self.connected += 1
        if self.connected > self._window_peak:
            self._window_peak = self.connected
        if self.connected > self.connections.peak_connected:
            self.connections.peak_connected = self.connected

    def failed(self, cause: str) -> None:
        self.connections.failed[cause] += 1

    def closed(self, dropped: bool) -> None:
        self.connected -= 1
        if dropped:
            self.connections.drops += 1

    # --- windows --------------------------------------------------------------------------

    def roll(self, start_s: float, end_s: float, target: int) -> WindowStats:
        """Close the window [start_s, end_s): its load.json entry, also kept for the result."""
        actions: dict[str, Any] = {}
        counts = dict.fromkeys(("calls", "answered", "errors", "timeouts", "lost"), 0)
        for name in sorted(self._windows):
            window = self._windows[name]
            totals = self.totals[name]
            latency = new_histogram()
            record_all(latency, _us_all(window.latency_s))
            record_all(totals.service, _us_all(window.service_s))
            totals.calls += window.calls
            totals.answered += window.answered
            totals.errors += window.errors
            totals.timeouts += window.timeouts
            totals.lost += window.lost
            totals.latency.add(latency)
            for key in counts:
                counts[key] += getattr(window, key)
            if window.calls or window.answered or window.errors or window.timeouts:
                actions[name] = window_action(
                    window.calls, window.answered, window.errors, window.timeouts, latency
                )
            window.reset()
        length_s = end_s - start_s
        stats: WindowStats = {
            "start_s": round(start_s, 3),
            "end_s": round(end_s, 3),
            "target": target,
            "connected": self.connected,
            "peak_connected": max(self._window_peak, self.connected),
            **counts,
            "msgs_per_s": round(counts["answered"] / length_s, 3) if length_s > 0 else 0.0,
            "actions": actions,
        }
        self._window_peak = self.connected
        self.windows.append(stats)
        return stats

    def result(
        self,
        *,
        target: str,
        started_at: datetime,
        duration_s: float,
        ramp: str,
        plan: dict[str, Any],
        stopped: str | None,
        ocpp: str = "1.6",
    ) -> LoadResult:
        """The run's measurement (call after the last `roll`)."""
        return LoadResult(
            target=target,
            started_at=started_at,
            duration_s=duration_s,
            ramp=ramp,
            plan=plan,
            ocpp=ocpp,
            actions=dict(sorted(self.totals.items())),
            callerrors=Counter(self.callerrors),
            connections=self.connections,
            handshake=self.handshake,
            windows=list(self.windows),
            server_calls=self.server_calls,
            send_lag_max_ms=round(self.send_lag_max_s * 1000.0, 3),
            stopped=stopped,
        )
