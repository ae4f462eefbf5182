"""The terminal view of `chargenet load`: the live view draws each window it is fed (only on a
terminal), and the summary prints load.json's figures and the SLO verdicts."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import pytest
from rich.console import Console

from simulator.load import slo
from simulator.load.live import LiveView, ShardWindows, print_summary
from tests.load.load_documents import histogram, ramp_run


@pytest.fixture(scope="module")
def run() -> dict[str, Any]:
    return ramp_run()


def terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=140, color_system=None), out


def test_the_live_view_draws_each_window_it_is_fed(run: dict[str, Any]) -> None:
    console, out = terminal()
    with LiveView(console, run["target"], run["duration_s"]) as view:
        for window in run["windows"][:9]:
            view.update(window)
        shown = out.getvalue()
    ninth = run["windows"][8]
    start = ninth["actions"]["StartTransaction"]
    assert f"connected {ninth['connected']:,} / {ninth['target']:,} target" in shown
    assert f"{ninth['msgs_per_s']:,.1f} msgs/s" in shown
    assert "StartTransaction" in shown
    assert "Heartbeat" in shown
    assert f"{start['max_ms']:,.1f}" in shown  # the window of the stall: its max
    calls = sum(w["calls"] for w in run["windows"][:9])
    bad = sum(w["errors"] + w["timeouts"] + w["lost"] for w in run["windows"][:9])
    assert bad > 0
    assert f"errors {bad:,} of {calls:,} calls" in shown


def test_the_live_view_is_off_when_stdout_is_not_a_terminal(run: dict[str, Any]) -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False)
    with LiveView(console, run["target"], run["duration_s"]) as view:
        assert not view.enabled
        for window in run["windows"]:
            view.update(window)
    assert out.getvalue() == ""
    assert view.windows == len(run["windows"])  # still counted: only the drawing is off


def test_the_summary_prints_each_actions_figures_and_the_verdicts(run: dict[str, Any]) -> None:
    console, out = terminal()
    verdicts = slo.evaluate_all([slo.parse("p50 < 1us"), slo.parse("timeouts == 1")], run)
    print_summary(console, run, verdicts)
    shown = out.getvalue()
    start = run["actions"]["StartTransaction"]
    row = next(line for line in shown.splitlines() if line.strip().startswith("StartTrans"))
    assert f"{start['p99_ms']:,.1f}" in row
    assert f"{start['count']:,}" in row
    assert "all actions" in shown
    assert f"{run['totals']['calls']:,} calls" in shown
    assert verdicts[0].line() in shown
    assert verdicts[1].line() in shown


def test_shard_windows_reach_the_view_joined_once_every_shard_sent_its_own() -> None:
    from hdrh.histogram import HdrHistogram

    shards = [ramp_run(seed=1), ramp_run(seed=2, stall_window=None)]
    joined_windows: list[Mapping[str, Any]] = []
    joiner = ShardWindows(2, joined_windows.append)
    joiner.add(0, shards[0]["windows"][0])
    joiner.add(0, shards[0]["windows"][1])
    assert joined_windows == []  # shard 1 has sent nothing yet
    joiner.add(1, shards[1]["windows"][0])
    joiner.add(1, shards[1]["windows"][1])
    assert len(joined_windows) == 2
    first = joined_windows[0]
    a, b = shards[0]["windows"][0], shards[1]["windows"][0]
    assert first["connected"] == a["connected"] + b["connected"]
    assert first["calls"] == a["calls"] + b["calls"]
    assert first["msgs_per_s"] == pytest.approx(a["msgs_per_s"] + b["msgs_per_s"])
    merged = histogram()
    for window in (a, b):
        merged.add(HdrHistogram.decode(window["actions"]["StartTransaction"]["histogram"]))
    start = first["actions"]["StartTransaction"]
    assert (
        start["count"]
        == a["actions"]["StartTransaction"]["count"] + b["actions"]["StartTransaction"]["count"]
    )
    assert start["p99_ms"] == pytest.approx(merged.get_value_at_percentile(99) / 1000)
    assert start["max_ms"] == pytest.approx(merged.get_max_value() / 1000)
