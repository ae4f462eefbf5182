"""The HTML reports open in headless Chromium with no console errors, no network request, and
every chart drawn; a screenshot of each lands in the test's output folder.

Chromium is Debian's package, driven by the playwright package (its own browser download is
not used): `apt-get install -y chromium`. Without it these tests skip, unless
CHARGENET_REQUIRE_CHROMIUM=1 (CI), where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simulator.reports import views
from simulator.reports.html import (
    render,
    write_compare_report,
    write_run_report,
    write_sweep_report,
)
from tests.reports.helpers import comparison, region_run, sweep

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MIN_CHART_PX = 150


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        reason = "chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CHARGENET_REQUIRE_CHROMIUM") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


def open_report(browser: Any, path: Path, expected_charts: int) -> dict[str, Any]:
    """Open a report file, check every chart is drawn, save a full-page screenshot."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def only_the_file(route: Any) -> None:
        url = route.request.url
        if url == path.as_uri():
            route.continue_()
        else:
            requests.append(url)
            route.abort()

    page.route("**/*", only_the_file)
    page.goto(path.as_uri(), wait_until="load")
    figures = page.locator("figure.chart")
    assert figures.count() == expected_charts
    for i in range(figures.count()):
        figure = figures.nth(i)
        figure.scroll_into_view_if_needed()
        box = figure.locator("svg").bounding_box()
        assert box is not None, f"chart {i + 1} is not drawn"
        assert box["width"] > MIN_CHART_PX and box["height"] > MIN_CHART_PX / 2, box
        assert figure.locator("svg text").count() > 5  # titles, ticks and axis labels
        assert figure.locator("svg path, svg rect, svg polyline").count() > 3
    screenshot = path.with_suffix(".png")
    page.screenshot(path=str(screenshot), full_page=True)
    print(f"screenshot: {screenshot}")
    title = page.title()
    tables = page.locator("table").count()
    page.close()
    assert errors == []
    assert requests == []
    assert screenshot.stat().st_size > 10_000
    return {"title": title, "tables": tables}


def _charts(page: Any) -> int:
    return sum(len(s.charts) for s in page.sections)


def test_the_run_report_opens_in_chromium_with_every_chart(browser: Any, tmp_path: Path) -> None:
    result = region_run()
    path = tmp_path / "run.html"
    write_run_report(result.summary, result.records, path)
    expected = _charts(views.run_page(result.summary, result.records))
    assert expected >= 12
    seen = open_report(browser, path, expected)
    assert seen["title"] == "Nissan + EVgo: run report"
    assert seen["tables"] == 6


def test_the_compare_report_opens_in_chromium_with_every_chart(
    browser: Any, tmp_path: Path
) -> None:
    comp, docs, runs = comparison()
    path = tmp_path / "compare.html"
    write_compare_report(comp, docs, runs, path)
    seen = open_report(browser, path, _charts(views.compare_page(comp, docs, runs)))
    assert seen["tables"] == 2


def test_the_sweep_report_opens_in_chromium_with_every_chart(browser: Any, tmp_path: Path) -> None:
    result = sweep()
    path = tmp_path / "sweep.html"
    write_sweep_report(result, path)
    seen = open_report(browser, path, _charts(views.sweep_page(result)))
    assert seen["tables"] == 1


def test_a_report_is_one_file_that_needs_no_network() -> None:
    result = region_run()
    html = render(views.run_page(result.summary, result.records))
    assert "<script" not in html
    assert "<link" not in html
    assert "src=" not in html
    assert "@import" not in html
