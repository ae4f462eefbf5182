"""`LoadResult`: the whole measurement of one load run (or one shard of it), mergeable exactly.

Latencies are microseconds in `HdrHistogram(1, 3_600_000_000, 3)` (1 us to 1 h, 3 significant
digits); merging adds histograms bucket by bucket, so the merge of shards is the histogram a
single process would have recorded. Counts add. Windows are merged by their index (every
shard uses the same `window_s`, from its own start).

`to_json()` is load.json (schema_version 1):

- `totals`: `calls` (CALLs sent), `answered` (valid CALLRESULTs), `callerrors` (code -> count:
  CALLERRORs received, and `InvalidReply:<code>` for a CALLRESULT that failed its schema),
  `timeouts` (no answer within timeout_s), `lost` (the connection closed before the answer),
  so `calls = answered + sum(callerrors) + timeouts + lost` once a run is over;
  `msgs_per_s` (answered per second of the run), `server_calls` (CALLs the central system
  made; answered NotSupported), `send_lag_max_ms` (the generator's own lateness: the most a
  CALL went out after its intended time with its connection free); `connections`: `attempts`,
  `opened`, `failed` (cause -> count), `reconnects` (connections opened again after a drop),
  `drops` (connections the other side closed or broke), `peak_connected`.
- `actions`: per action `count` (sent), `answered`, `errors`, `timeouts`, `lost`, latency
  `p50_ms` `p90_ms` `p99_ms` `p999_ms` `max_ms` `mean_ms` and its `histogram` (encoded
  HdrHistogram); `service`: the same percentiles from the *actual* send (what a closed-loop
  tester reports; the gap to the latency is time spent waiting to be sent).
- `handshake`: websocket handshake latency from the intended connect time.
- `windows`: one per `window_s`: `start_s`, `end_s`, `target` (the ramp's), `connected` (at
  its end), `peak_connected`, `calls`, `answered`, `errors`, `timeouts`, `lost`, `msgs_per_s`,
  `actions` (per action `count`, `answered`, `errors`, `timeouts`, `p50_ms`, `p90_ms`, `p99_ms`,
  `max_ms`, `histogram`), a CALL counted in the window in which it was answered.
- `stopped`: null, or the one line saying why the run ended before its ramp did.
- `ocpp`: the version spoken, "1.6" or "2.0.1" ("mixed": a scenario's networks differ; a
  document without the key is from before 2.0.1: "1.6").
"""

from __future__ import annotations

import csv
import io
import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import numpy as np
from hdrh.histogram import HdrHistogram

__all__ = [
    "HIGHEST_US",
    "LOWEST_US",
    "SCHEMA_VERSION",
    "SIGNIFICANT_DIGITS",
    "ActionTotals",
    "ConnectionTotals",
    "LoadResult",
    "WindowStats",
    "decode_histogram",
    "encode_histogram",
    "new_histogram",
    "percentiles_ms",
    "record_all",
]

SCHEMA_VERSION: Final = 1
MIXED: Final = "mixed"
"""load.json `ocpp` of a run whose charge points spoke more than one version."""
LOWEST_US: Final = 1
HIGHEST_US: Final = 3_600_000_000
SIGNIFICANT_DIGITS: Final = 3

WindowStats = dict[str, Any]
"""Exactly one element of load.json "windows"."""

_PERCENTILES: Final = (("p50_ms", 50.0), ("p90_ms", 90.0), ("p99_ms", 99.0), ("p999_ms", 99.9))
_WINDOW_PERCENTILES: Final = ("p50_ms", "p90_ms", "p99_ms", "max_ms")
_WINDOW_COUNTS: Final = ("calls", "answered", "errors", "timeouts", "lost")


def new_histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)


def record_all(histogram: HdrHistogram, values_us: Sequence[int]) -> None:
    """`histogram.record_value(v)` for every v (1..HIGHEST_US), vectorized: the package's
    record_value costs about 6 us in Python, and a run records two per CALL. Same buckets,
    counts, min and max as recording them one by one (tests/load/test_result.py)."""
    if len(values_us) == 0:
        return
    values = np.asarray(values_us, dtype=np.int64)
    # bucket: the smallest power of 2 holding value | sub_bucket_mask (frexp: exact bit length)
    _, bit_length = np.frexp((values | histogram.sub_bucket_mask).astype(np.float64))
    unit = histogram.unit_magnitude
    half_magnitude = histogram.sub_bucket_half_count_magnitude
    bucket = bit_length.astype(np.int64) - unit - (half_magnitude + 1)
    sub_bucket = values >> (bucket + unit)
    index = ((bucket + 1) << half_magnitude) + sub_bucket - histogram.sub_bucket_half_count
    counts = np.ctypeslib.as_array(histogram.counts)
    np.add.at(counts, index, 1)
    histogram.total_count += len(values)
    histogram.min_value = min(histogram.min_value, int(values.min()))
    histogram.max_value = max(histogram.max_value, int(values.max()))


def encode_histogram(histogram: HdrHistogram) -> str:
    encoded: bytes = histogram.encode()
    return encoded.decode("ascii")


def decode_histogram(text: str) -> HdrHistogram:
    """An encoded histogram, added into a fresh one of the standard range (so it can be
    added to others whatever range the encoder had)."""
    histogram = new_histogram()
    if text:
        histogram.add(HdrHistogram.decode(text.encode("ascii")))
    return histogram


def _ms(value_us: float) -> float:
    return round(value_us / 1000.0, 3)


def _counts(histogram: HdrHistogram) -> np.ndarray[Any, Any]:
    """The bucket counts as a numpy view (no copy); a decoded histogram's array may be longer
    than the part its encoder filled."""
    length = min(histogram.counts_len, histogram.encoder.payload.counts_len)
    return np.ctypeslib.as_array(histogram.counts)[:length]


def value_at_percentile_us(histogram: HdrHistogram, percentile: float) -> int:
    """`HdrHistogram.get_value_at_percentile`: the highest value equivalent to the bucket where
    the cumulative count reaches the percentile's share (0 for an empty histogram).

    Found with numpy over the buckets in use: the package walks all 23,552 buckets in Python
    for each figure (and for the mean, hundreds of times longer), which would stall the event
    loop that measures and a report of hundreds of windows."""
    total = histogram.get_total_count()
    if total == 0:
        return 0
    counts = _counts(histogram)
    used = np.flatnonzero(counts)
    wanted = max(int(min(percentile, 100.0) * total / 100 + 0.5), 1)
    position = min(int(np.searchsorted(np.cumsum(counts[used]), wanted)), len(used) - 1)
    value = histogram.get_value_from_index(int(used[position]))
    return int(histogram.get_highest_equivalent_value(value))


def mean_us(histogram: HdrHistogram) -> float:
    """`HdrHistogram.get_mean_value`: the mean over each bucket's median value (0.0 when empty),
    get_value_from_index and the bucket's width vectorized."""
    total = histogram.get_total_count()
    if total == 0:
        return 0.0
    counts = _counts(histogram)
    used = np.flatnonzero(counts)
    half_magnitude = histogram.sub_bucket_half_count_magnitude
    half_count = histogram.sub_bucket_half_count
    bucket = (used >> half_magnitude) - 1
    sub_bucket = (used & (half_count - 1)) + half_count
    first = bucket < 0
    sub_bucket[first] -= half_count
    bucket[first] = 0
    shift = bucket + histogram.unit_magnitude
    medians = (sub_bucket << shift) + ((np.int64(1) << shift) >> 1)
    return float(np.dot(counts[used].astype(np.float64), medians)) / total


def percentiles_ms(histogram: HdrHistogram) -> dict[str, float]:
    """p50/p90/p99/p99.9/max/mean in milliseconds, to the microsecond (all 0.0 when empty)."""
    figures = {name: _ms(value_at_percentile_us(histogram, p)) for name, p in _PERCENTILES}
    figures["max_ms"] = _ms(histogram.get_max_value() if histogram.get_total_count() else 0)
    figures["mean_ms"] = _ms(mean_us(histogram))
    return figures


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(slots=True)
class ActionTotals:
    """One action over the whole run."""

    calls: int = 0
    answered: int = 0
    errors: int = 0
    timeouts: int = 0
    lost: int = 0
    latency: HdrHistogram = field(default_factory=new_histogram)
    """From the intended send time (open loop: coordinated omission corrected)."""
    service: HdrHistogram = field(default_factory=new_histogram)
    """From the actual send (closed loop)."""

    def add(self, other: ActionTotals) -> None:
        self.calls += other.calls
        self.answered += other.answered
        self.errors += other.errors
        self.timeouts += other.timeouts
        self.lost += other.lost
        self.latency.add(other.latency)
        self.service.add(other.service)

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.calls,
            "answered": self.answered,
            "errors": self.errors,
            "timeouts": self.timeouts,
            "lost": self.lost,
            **percentiles_ms(self.latency),
            "histogram": encode_histogram(self.latency),
            "service": {
                **percentiles_ms(self.service),
                "histogram": encode_histogram(self.service),
            },
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> ActionTotals:
        return cls(
            calls=int(document["count"]),
            answered=int(document.get("answered", 0)),
            errors=int(document.get("errors", 0)),
            timeouts=int(document.get("timeouts", 0)),
            lost=int(document.get("lost", 0)),
            latency=decode_histogram(document.get("histogram", "")),
            service=decode_histogram(document.get("service", {}).get("histogram", "")),
        )


@dataclass(slots=True)
class ConnectionTotals:
    attempts: int = 0
    opened: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    reconnects: int = 0
    drops: int = 0
    peak_connected: int = 0

    def add(self, other: ConnectionTotals) -> None:
        self.attempts += other.attempts
        self.opened += other.opened
        self.failed.update(other.failed)
        self.reconnects += other.reconnects
        self.drops += other.drops
        # Shards peak at the same point of a shared ramp: the sum (an upper bound otherwise).
        self.peak_connected += other.peak_connected

    def to_json(self) -> dict[str, Any]:
        return {
            "attempts": self.attempts,
            "opened": self.opened,
            "failed": dict(sorted(self.failed.items())),
            "reconnects": self.reconnects,
            "drops": self.drops,
            "peak_connected": self.peak_connected,
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> ConnectionTotals:
        return cls(
            attempts=int(document["attempts"]),
            opened=int(document["opened"]),
            failed=Counter({str(k): int(v) for k, v in document.get("failed", {}).items()}),
            reconnects=int(document.get("reconnects", 0)),
            drops=int(document.get("drops", 0)),
            peak_connected=int(document.get("peak_connected", 0)),
        )


@dataclass(slots=True)
class LoadResult:
    """The measurement of one run or shard; `merge` adds two exactly."""

    target: str
    started_at: datetime
    duration_s: float
    ramp: str
    plan: dict[str, Any]
    ocpp: str = "1.6"
    """The OCPP version spoken: "1.6", "2.0.1", or "mixed" (a scenario's networks differ)."""
    shards: int = 1
    actions: dict[str, ActionTotals] = field(default_factory=dict)
    callerrors: Counter[str] = field(default_factory=Counter)
    connections: ConnectionTotals = field(default_factory=ConnectionTotals)
    handshake: HdrHistogram = field(default_factory=new_histogram)
    windows: list[WindowStats] = field(default_factory=list)
    server_calls: int = 0
    send_lag_max_ms: float = 0.0
    stopped: str | None = None

    # --- figures --------------------------------------------------------------------------

    @property
    def calls(self) -> int:
        return sum(a.calls for a in self.actions.values())

    @property
    def answered(self) -> int:
        return sum(a.answered for a in self.actions.values())

    @property
    def timeouts(self) -> int:
        return sum(a.timeouts for a in self.actions.values())

    @property
    def lost(self) -> int:
        return sum(a.lost for a in self.actions.values())

    @property
    def errors(self) -> int:
        """CALLERRORs and invalid replies."""
        return sum(a.errors for a in self.actions.values())

    def latency(self, action: str | None = None) -> HdrHistogram:
        """One action's latency histogram, or every action's merged (None)."""
        if action is not None:
            return self.actions[action].latency if action in self.actions else new_histogram()
        merged = new_histogram()
        for totals in self.actions.values():
            merged.add(totals.latency)
        return merged

    def service(self, action: str | None = None) -> HdrHistogram:
        """As `latency`, from the actual send (the closed-loop view)."""
        if action is not None:
            return self.actions[action].service if action in self.actions else new_histogram()
        merged = new_histogram()
        for totals in self.actions.values():
            merged.add(totals.service)
        return merged

    # --- merge ----------------------------------------------------------------------------

    def merge(self, other: LoadResult) -> LoadResult:
        """This and `other` as one measurement (neither is changed)."""
        merged = LoadResult.from_json(self.to_json())
        merged.started_at = min(self.started_at, other.started_at)
        merged.duration_s = max(self.duration_s, other.duration_s)
        merged.shards = self.shards + other.shards
        if other.ocpp != self.ocpp:
            merged.ocpp = MIXED
        for action, totals in other.actions.items():
            merged.actions.setdefault(action, ActionTotals()).add(totals)
        merged.actions = dict(sorted(merged.actions.items()))
        merged.callerrors.update(other.callerrors)
        merged.connections.add(other.connections)
        merged.handshake.add(other.handshake)
        merged.server_calls += other.server_calls
        merged.send_lag_max_ms = max(self.send_lag_max_ms, other.send_lag_max_ms)
        merged.windows = [
            _merge_windows(mine, theirs)
            for mine, theirs in itertools.zip_longest(self.windows, other.windows)
        ]
        reasons = [r for r in (self.stopped, other.stopped) if r]
        merged.stopped = "; ".join(reasons) if reasons else None
        return merged

    # --- documents ------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        duration_s = round(self.duration_s, 3)
        return {
            "schema_version": SCHEMA_VERSION,
            "target": self.target,
            "started_at": _iso(self.started_at),
            "duration_s": duration_s,
            "shards": self.shards,
            "ramp": self.ramp,
            "plan": dict(self.plan),
            "ocpp": self.ocpp,
            "totals": {
                "calls": self.calls,
                "answered": self.answered,
                "callerrors": dict(sorted(self.callerrors.items())),
                "timeouts": self.timeouts,
                "lost": self.lost,
                "msgs_per_s": round(self.answered / duration_s, 3) if duration_s > 0 else 0.0,
                "server_calls": self.server_calls,
                "send_lag_max_ms": round(self.send_lag_max_ms, 3),
                "connections": self.connections.to_json(),
            },
            "actions": {name: totals.to_json() for name, totals in sorted(self.actions.items())},
            "handshake": {
                "count": self.handshake.get_total_count(),
                **percentiles_ms(self.handshake),
                "histogram": encode_histogram(self.handshake),
            },
            "windows": [dict(window) for window in self.windows],
            "stopped": self.stopped,
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> LoadResult:
        if document.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(
                f"load.json schema_version {document.get('schema_version')!r}, "
                f"expected {SCHEMA_VERSION}"
            )
        totals = document["totals"]
        started = document["started_at"].replace("Z", "+00:00")
        return cls(
            target=str(document["target"]),
            started_at=datetime.fromisoformat(started),
            duration_s=float(document["duration_s"]),
            ramp=str(document["ramp"]),
            plan=dict(document["plan"]),
            ocpp=str(document.get("ocpp", "1.6")),  # documents before 2.0.1: 1.6 alone
            shards=int(document.get("shards", 1)),
            actions={
                name: ActionTotals.from_json(item)
                for name, item in document.get("actions", {}).items()
            },
            callerrors=Counter({str(k): int(v) for k, v in totals.get("callerrors", {}).items()}),
            connections=ConnectionTotals.from_json(totals["connections"]),
            handshake=decode_histogram(document.get("handshake", {}).get("histogram", "")),
            windows=[dict(window) for window in document.get("windows", [])],
            server_calls=int(totals.get("server_calls", 0)),
            send_lag_max_ms=float(totals.get("send_lag_max_ms", 0.0)),
            stopped=document.get("stopped"),
        )

    def windows_csv(self) -> str:
        """One row per window. Columns: start_s, end_s, target, connected, peak_connected,
        calls, answered, errors, timeouts, lost, msgs_per_s, then p50_ms, p90_ms, p99_ms,
        max_ms of every action merged, then `<Action>_count`, `<Action>_p50_ms`,
        `<Action>_p99_ms`, `<Action>_max_ms` per action (sorted by name; empty cells where
        an action had no answer in the window)."""
        actions = sorted({name for window in self.windows for name in window["actions"]})
        head = ["start_s", "end_s", "target", "connected", "peak_connected"]
        head += [*_WINDOW_COUNTS, "msgs_per_s", *_WINDOW_PERCENTILES]
        for action in actions:
            head += [f"{action}_count", f"{action}_p50_ms", f"{action}_p99_ms"]
            head += [f"{action}_max_ms"]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(head)
        for window in self.windows:
            merged = new_histogram()
            for item in window["actions"].values():
                merged.add(decode_histogram(item["histogram"]))
            figures = percentiles_ms(merged)
            row: list[Any] = [window[name] for name in head[:5]]
            row += [window[name] for name in _WINDOW_COUNTS]
            row += [window["msgs_per_s"], *(figures[name] for name in _WINDOW_PERCENTILES)]
            for action in actions:
                item = window["actions"].get(action)
                if item is None:
                    row += ["", "", "", ""]
                else:
                    row += [item["count"], item["p50_ms"], item["p99_ms"], item["max_ms"]]
            writer.writerow(row)
        return out.getvalue()


def window_action(
    calls: int, answered: int, errors: int, timeouts: int, latency: HdrHistogram
) -> dict[str, Any]:
    """One action's entry in a window."""
    figures = percentiles_ms(latency)
    return {
        "count": calls,
        "answered": answered,
        "errors": errors,
        "timeouts": timeouts,
        **{name: figures[name] for name in _WINDOW_PERCENTILES},
        "histogram": encode_histogram(latency),
    }


def _merge_windows(mine: WindowStats | None, theirs: WindowStats | None) -> WindowStats:
    if mine is None or theirs is None:
        present = mine if mine is not None else theirs
        assert present is not None
        return dict(present)
    merged: WindowStats = {"start_s": mine["start_s"], "end_s": mine["end_s"]}
    for name in ("target", "connected", "peak_connected", *_WINDOW_COUNTS):
        merged[name] = mine.get(name, 0) + theirs.get(name, 0)
    length_s = merged["end_s"] - merged["start_s"]
    merged["msgs_per_s"] = round(merged["answered"] / length_s, 3) if length_s > 0 else 0.0
    actions: dict[str, Any] = {}
    for name in sorted(set(mine["actions"]) | set(theirs["actions"])):
        items = [w["actions"][name] for w in (mine, theirs) if name in w["actions"]]
        latency = new_histogram()
        for item in items:
            latency.add(decode_histogram(item["histogram"]))
        actions[name] = window_action(
            sum(item["count"] for item in items),
            sum(item.get("answered", 0) for item in items),
            sum(item.get("errors", 0) for item in items),
            sum(item.get("timeouts", 0) for item in items),
            latency,
        )
    merged["actions"] = actions
    return merged
