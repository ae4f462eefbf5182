"""The load run's HTML report: it opens in headless Chromium with no console error, no request
beyond the file, and every chart drawn (tests/reports/chromium.py), from a load.json document of
real HdrHistograms; its tables hold the document's numbers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from simulator.load import slo
from simulator.load.report import load_page, render_report, write_report
from simulator.reports.charts import Timeline
from tests.load.load_documents import Action, document, ramp_run
from tests.reports.chromium import browser, charts, open_report

__all__ = ["browser"]  # the fixture, used by name


@pytest.fixture(scope="module")
def run() -> dict[str, Any]:
    return ramp_run()


def verdicts(doc: dict[str, Any]) -> tuple[slo.Verdict, ...]:
    return slo.evaluate_all([slo.parse("p50 < 1s"), slo.parse("max(StartTransaction) < 1s")], doc)


def test_the_load_report_opens_in_chromium_with_every_chart(
    browser: Any, run: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "report.html"
    write_report(run, path, verdicts(run))
    page = load_page(run, verdicts(run))
    expected = charts(page)
    # connected, throughput, all actions, one per action (2), latency by percentile
    assert expected == 6
    seen = open_report(browser, path, expected)
    assert seen["title"] == "Load test of ws://127.0.0.1:9000/ocpp"
    assert seen["tables"] == 3  # SLOs, actions, totals


def test_a_load_report_is_one_file_that_needs_no_network(run: dict[str, Any]) -> None:
    html = render_report(run)
    assert "<script" not in html
    assert "<link" not in html
    assert "src=" not in html
    assert "@import" not in html


def test_the_action_table_holds_load_jsons_figures(run: dict[str, Any]) -> None:
    html = render_report(run)
    start = run["actions"]["StartTransaction"]
    for key in ("p50_ms", "p99_ms", "max_ms"):
        assert f'data-value="{float(start[key])!r}"' in html
    assert f'data-value="{float(run["totals"]["calls"])!r}"' in html


def test_a_broken_slo_is_a_warning_and_a_strong_cell(run: dict[str, Any]) -> None:
    html = render_report(run, verdicts(run))
    assert 'role="alert"' in html
    assert "SLO max(StartTransaction) &lt; 1s: BROKEN" in html
    assert re.search(r'<td class="strong">BROKEN</td>', html)
    assert "held" in html


def test_the_stall_shows_in_the_window_maximum_of_its_action(run: dict[str, Any]) -> None:
    page = load_page(run)
    (timeline,) = [
        c
        for s in page.sections
        for c in s.charts
        if isinstance(c, Timeline) and c.title.endswith("StartTransaction")
    ]
    maxima = {s.name: s.values for s in timeline.series}["max"]
    assert max(maxima) == pytest.approx(2000, rel=0.01)  # the window of the 2 s stall
    assert timeline.log  # a stall beside 40 ms answers: decades apart


def test_a_run_that_answered_nothing_still_renders() -> None:
    empty = document({"Heartbeat": Action([[], []])}, targets=[1, 1], connected=[0, 0])
    html = render_report(empty, slo.evaluate_all([slo.parse("p99 < 1s")], empty))
    assert "no call was answered" in html
    assert html.count('class="chart"') == charts(load_page(empty))
