"""Headless Chromium for the report tests (tests/reports/test_html.py and
tests/experiment/test_reports.py): open a report file, check that every chart is drawn and that
nothing is fetched, save a screenshot.

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

from simulator.reports.left_out import trimmed

__all__ = ["browser", "charts", "open_report"]

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
        assert box["width"] > MIN_CHART_PX, box
        assert box["height"] > MIN_CHART_PX / 2, box
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


def charts(page: Any) -> int:
    """How many charts a Page draws (not those left out: simulator.reports.left_out)."""
    return sum(1 for s in page.sections for c in s.charts if trimmed(c)[0] is not None)
