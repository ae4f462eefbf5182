"""The run report opens in headless Chromium with no console errors, no network request, and
every chart drawn; a screenshot lands in the test's output folder (tests/reports/chromium.py).
The experiment reports' own such tests are in tests/experiment/test_reports.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simulator.reports import views
from simulator.reports.html import render, write_run_report
from tests.reports.chromium import charts, open_report
from tests.reports.helpers import region_run


def test_the_run_report_opens_in_chromium_with_every_chart(browser: Any, tmp_path: Path) -> None:
    result = region_run()
    path = tmp_path / "run.html"
    write_run_report(result.summary, path)
    expected = charts(views.run_page(result.summary))
    assert expected >= 12
    seen = open_report(browser, path, expected)
    assert seen["title"] == "Nissan + EVgo: run report"
    # six of chargenet's own, the day (a window under two days), two of the EV Charging Use
    # Specification, three of ChargeX's KPIs, and the method
    assert seen["tables"] == 13


def test_a_report_is_one_file_that_needs_no_network() -> None:
    result = region_run()
    html = render(views.run_page(result.summary))
    assert "<script" not in html
    assert "<link" not in html
    assert "src=" not in html
    assert "@import" not in html
