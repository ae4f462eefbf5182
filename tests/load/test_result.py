"""`LoadResult` and `Recorder`: load.json round trips, merges are exact, windows.csv."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, datetime

import numpy as np
import pytest

from simulator.load import LoadResult
from simulator.load.recorder import Recorder
from simulator.load.result import HIGHEST_US, new_histogram, percentiles_ms, record_all

STARTED = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


def _recorded(seed: int, windows: int = 3) -> LoadResult:
    rng = random.Random(seed)
    recorder = Recorder()
    recorder.attempt()
    recorder.opened(0.004, reconnect=False)
    recorder.attempt()
    recorder.failed("HTTP 503")
    for k in range(windows):
        for _ in range(200):
            action = rng.choice(["Heartbeat", "MeterValues", "StartTransaction"])
            recorder.sent(action, lag_s=rng.random() * 0.001)
            outcome = rng.random()
            if outcome < 0.9:
                latency_s = rng.lognormvariate(-3.0, 1.0)
                recorder.answered(action, latency_s, latency_s * 0.8)
            elif outcome < 0.95:
                recorder.errored(action, rng.choice(["NotSupported", "InternalError"]))
            else:
                recorder.timed_out(action)
        recorder.roll(k * 10.0, (k + 1) * 10.0, target=5)
    recorder.closed(dropped=False)
    return recorder.result(
        target="ws://127.0.0.1:9/ocpp",
        started_at=STARTED,
        duration_s=windows * 10.0,
        ramp="boot-storm:5, hold 30s",
        plan={"heartbeat_interval_s": 60.0},
        stopped=None,
    )


def test_the_figures_are_those_hdrhistogram_itself_gives() -> None:
    histogram = new_histogram()
    rng = random.Random(1)
    for _ in range(5000):
        histogram.record_value(int(rng.lognormvariate(10.0, 1.5)) + 1)
    figures = percentiles_ms(histogram)
    for name, percentile in (("p50_ms", 50), ("p90_ms", 90), ("p99_ms", 99), ("p999_ms", 99.9)):
        assert figures[name] == round(histogram.get_value_at_percentile(percentile) / 1000, 3)
    assert figures["max_ms"] == round(histogram.get_max_value() / 1000, 3)
    assert figures["mean_ms"] == pytest.approx(histogram.get_mean_value() / 1000, abs=1e-3)
    assert percentiles_ms(new_histogram())["p99_ms"] == 0.0


def test_load_json_reads_back_to_the_same_document() -> None:
    document = _recorded(1).to_json()
    text = json.dumps(document)
    again = LoadResult.from_json(json.loads(text)).to_json()
    assert again == document
    assert document["schema_version"] == 1
    assert document["started_at"] == "2026-12-01T18:00:00.000Z"
    totals = document["totals"]
    accounted = totals["answered"] + sum(totals["callerrors"].values()) + totals["timeouts"]
    assert totals["calls"] == accounted == 600
    assert totals["connections"]["failed"] == {"HTTP 503": 1}
    assert set(document["actions"]["Heartbeat"]) >= {
        "count", "errors", "timeouts", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms",
        "mean_ms", "histogram",
    }  # fmt: skip


def test_a_merge_is_the_measurement_one_process_would_have_made() -> None:
    first, second = _recorded(1), _recorded(2)
    merged = first.merge(second)
    assert merged.shards == 2
    assert merged.calls == first.calls + second.calls
    assert merged.callerrors == first.callerrors + second.callerrors
    for name, totals in merged.actions.items():
        together = new_histogram()
        together.add(first.actions[name].latency)
        together.add(second.actions[name].latency)
        assert totals.latency.get_total_count() == together.get_total_count()
        assert percentiles_ms(totals.latency) == percentiles_ms(together)
        assert totals.answered == first.actions[name].answered + second.actions[name].answered
    for window, mine, theirs in zip(merged.windows, first.windows, second.windows, strict=True):
        assert window["calls"] == mine["calls"] + theirs["calls"]
        assert window["target"] == 10
        beats = window["actions"]["Heartbeat"]
        assert (
            beats["count"]
            == mine["actions"]["Heartbeat"]["count"] + theirs["actions"]["Heartbeat"]["count"]
        )
    # Through load.json and back, the merge is the same.
    via_json = LoadResult.from_json(first.to_json()).merge(LoadResult.from_json(second.to_json()))
    assert via_json.to_json() == merged.to_json()


def test_windows_csv_has_a_row_per_window_and_columns_per_action() -> None:
    result = _recorded(3)
    rows = list(csv.DictReader(io.StringIO(result.windows_csv())))
    assert len(rows) == 3
    assert [float(row["start_s"]) for row in rows] == [0.0, 10.0, 20.0]
    for row, window in zip(rows, result.windows, strict=True):
        assert int(row["calls"]) == window["calls"] == 200
        assert float(row["Heartbeat_p99_ms"]) == window["actions"]["Heartbeat"]["p99_ms"]
        assert float(row["p50_ms"]) > 0
        assert float(row["p99_ms"]) <= float(row["max_ms"])


def test_a_window_starts_empty_and_the_totals_hold_every_window() -> None:
    recorder = Recorder()
    recorder.sent("Heartbeat", 0.0)
    recorder.answered("Heartbeat", 0.010, 0.009)
    first = recorder.roll(0.0, 1.0, target=1)
    second = recorder.roll(1.0, 2.0, target=1)
    assert first["actions"]["Heartbeat"]["count"] == 1
    assert first["msgs_per_s"] == 1.0
    assert second["actions"] == {}
    assert recorder.totals["Heartbeat"].latency.get_total_count() == 1


def test_an_unknown_schema_version_is_refused() -> None:
    document = _recorded(1).to_json() | {"schema_version": 2}
    with pytest.raises(ValueError, match="schema_version 2"):
        LoadResult.from_json(document)


def test_recording_all_at_once_fills_the_buckets_one_by_one_would() -> None:
    rng = random.Random(4)
    values = [1, 2, 1023, 1024, 2047, 2048, 2049, 65535, 65536, HIGHEST_US]
    values += [2**k + d for k in range(11, 32) for d in (-1, 0, 1)]
    values += [int(rng.lognormvariate(10.0, 2.0)) % HIGHEST_US + 1 for _ in range(5000)]
    one_by_one, at_once = new_histogram(), new_histogram()
    for value in values:
        assert one_by_one.record_value(value)
    record_all(at_once, values)
    assert np.array_equal(
        np.ctypeslib.as_array(at_once.counts), np.ctypeslib.as_array(one_by_one.counts)
    )
    assert at_once.get_total_count() == one_by_one.get_total_count() == len(values)
    assert at_once.get_min_value() == one_by_one.get_min_value()
    assert at_once.get_max_value() == one_by_one.get_max_value()
    assert at_once.encode() == one_by_one.encode()
