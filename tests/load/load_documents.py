"""load.json documents (schema_version 1, /work/wt/load-interface.md) built from real
HdrHistograms of seeded latencies, for the tests of the SLOs, the report and the live view:
every percentile in them is the histogram's own, never a hand-written number."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram

LOWEST_US, HIGHEST_US, DIGITS = 1, 3_600_000_000, 3


def histogram(values_us: Iterable[int] = ()) -> HdrHistogram:
    h = HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)
    for value in values_us:
        h.record_value(value)
    return h


def figures(h: HdrHistogram) -> dict[str, Any]:
    """The latency figures load.json keeps of a histogram (ms), and the histogram itself."""
    count = h.get_total_count()

    def at(p: float) -> float:
        return h.get_value_at_percentile(p) / 1000.0 if count else 0.0

    return {
        "p50_ms": at(50),
        "p90_ms": at(90),
        "p99_ms": at(99),
        "p999_ms": at(99.9),
        "max_ms": h.get_max_value() / 1000.0 if count else 0.0,
        "mean_ms": h.get_mean_value() / 1000.0 if count else 0.0,
        "histogram": h.encode().decode("ascii"),
    }


@dataclass
class Action:
    """What one action measured over the run: latencies (µs) per window of the answered calls
    (CALLRESULTs and CALLERRORs: `errors` of them), and the calls never answered."""

    latencies_us: list[list[int]]
    errors: list[int] = field(default_factory=list)
    timeouts: list[int] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)

    def at(self, counts: list[int], w: int) -> int:
        return counts[w] if counts else 0


#: The share of a call's latency spent after its actual send (the rest: waiting to be sent).
SERVICE_SHARE = 0.8


def lognormal_us(rng: random.Random, n: int, median_ms: float, sigma: float = 0.4) -> list[int]:
    return [max(1, round(1000 * median_ms * rng.lognormvariate(0, sigma))) for _ in range(n)]


def document(
    actions: dict[str, Action],
    targets: Sequence[int],
    connected: Sequence[int],
    window_s: float = 10.0,
    callerror_code: str = "InternalError",
    failed_connections: dict[str, int] | None = None,
    reconnects: int = 0,
    handshakes_us: Sequence[int] = (),
) -> dict[str, Any]:
    windows_n = len(targets)
    duration_s = window_s * windows_n
    windows: list[dict[str, Any]] = []
    run_histograms = {name: histogram() for name in actions}
    for w in range(windows_n):
        per_action: dict[str, Any] = {}
        calls = answered = errors = timeouts = lost_n = 0
        for name, action in actions.items():
            values = action.latencies_us[w]
            h = histogram(values)
            run_histograms[name].add(h)
            e, t = action.at(action.errors, w), action.at(action.timeouts, w)
            lost = action.at(action.lost, w)
            f = figures(h)
            per_action[name] = {
                "count": len(values) + t + lost,
                "answered": len(values) - e,
                "errors": e,
                "timeouts": t,
                **{k: f[k] for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms", "histogram")},
            }
            calls += len(values) + t + lost
            answered += len(values) - e
            errors += e
            timeouts += t
            lost_n += lost
        windows.append(
            {
                "start_s": w * window_s,
                "end_s": (w + 1) * window_s,
                "target": targets[w],
                "connected": connected[w],
                "peak_connected": connected[w],
                "calls": calls,
                "answered": answered,
                "errors": errors,
                "timeouts": timeouts,
                "lost": lost_n,
                "msgs_per_s": answered / window_s,
                "actions": per_action,
            }
        )
    totals_calls = sum(w["calls"] for w in windows)
    totals_answered = sum(w["answered"] for w in windows)
    action_entries = {}
    for name, action in actions.items():
        h = run_histograms[name]
        answered_n = h.get_total_count()
        service = histogram(
            max(1, round(SERVICE_SHARE * v)) for window in action.latencies_us for v in window
        )
        action_entries[name] = {
            "count": answered_n + sum(action.timeouts) + sum(action.lost),
            "answered": answered_n - sum(action.errors),
            "errors": sum(action.errors),
            "timeouts": sum(action.timeouts),
            "lost": sum(action.lost),
            **figures(h),
            "service": figures(service),
        }
    return {
        "schema_version": 1,
        "target": "ws://127.0.0.1:9000/ocpp",
        "started_at": "2026-12-01T18:00:00.000Z",
        "duration_s": duration_s,
        "shards": 1,
        "ramp": f"0->{max(targets)} over {duration_s / 2:g}s, hold {duration_s / 2:g}s",
        "plan": {
            "heartbeat_interval_s": 60.0,
            "active_share": 0.5,
            "meter_interval_s": 60.0,
            "transaction_s": 600.0,
            "idle_between_s": 60.0,
        },
        "totals": {
            "calls": totals_calls,
            "answered": totals_answered,
            "callerrors": {callerror_code: sum(sum(a.errors) for a in actions.values())},
            "timeouts": sum(sum(a.timeouts) for a in actions.values()),
            "lost": sum(sum(a.lost) for a in actions.values()),
            "msgs_per_s": totals_answered / duration_s,
            "server_calls": 0,
            "send_lag_max_ms": 0.4,
            "connections": {
                "attempts": max(connected) + sum((failed_connections or {}).values()),
                "opened": max(connected),
                "failed": dict(failed_connections or {}),
                "reconnects": reconnects,
                "drops": reconnects,
                "peak_connected": max(connected),
            },
        },
        "actions": action_entries,
        "handshake": {"count": len(handshakes_us), **figures(histogram(handshakes_us))},
        "windows": windows,
        "stopped": None,
    }


def ramp_run(seed: int = 9, windows_n: int = 12, stall_window: int | None = 8) -> dict[str, Any]:
    """A ramp 0 → 100 charge points then a hold; Heartbeat around 5 ms, StartTransaction around
    40 ms with a 2 s stall in one window, a few CALLERRORs and a timeout."""
    rng = random.Random(seed)
    half = windows_n // 2
    targets = [round(100 * min(1.0, (w + 1) / half)) for w in range(windows_n)]
    connected = [max(0, t - 2) for t in targets]
    heartbeat = Action([lognormal_us(rng, max(1, t // 2), 5.0) for t in targets])
    start: list[list[int]] = []
    for w, t in enumerate(targets):
        values = lognormal_us(rng, max(1, t // 5), 40.0)
        if w == stall_window:
            values += [2_000_000 - 1000 * i for i in range(5)]
        start.append(values)
    start_errors = [1 if w % 4 == 3 else 0 for w in range(windows_n)]
    start_timeouts = [1 if w == stall_window else 0 for w in range(windows_n)]
    start_lost = [1 if w == windows_n - 1 else 0 for w in range(windows_n)]
    return document(
        {
            "Heartbeat": heartbeat,
            "StartTransaction": Action(start, start_errors, start_timeouts, start_lost),
        },
        targets,
        connected,
        failed_connections={"HTTP 503": 2},
        reconnects=1,
        handshakes_us=lognormal_us(rng, max(connected), 3.0),
    )
