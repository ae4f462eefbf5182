"""The reports of a real run (against mutants: fails with their frames, passes, not
applicable, not run): JUnit XML, JSON, and the HTML report opened in headless Chromium."""

from __future__ import annotations

import asyncio
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from simulator.check.catalogue import catalogue, select
from simulator.check.reports import html, json_report, junit
from simulator.check.reports.model import Run
from simulator.check.runner import run_checks
from simulator.check.verdicts import Verdict
from tests.check.helpers import PASSWORD, TAGS, target
from tests.check.mutant_csms import Fault, mutant

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
CHECK_IDS = ["TC_001_CS", "TC_023_3_CS", "TC_013_CS", "RB_INVALID_JSON", "RB_TWO_CONNECTIONS"]


@pytest.fixture(scope="module")
def run() -> Run:
    """TC_023_3_CS fails (a Blocked tag accepted); TC_013_CS is not run; the rest pass."""

    async def go() -> Run:
        checks = select(catalogue(), CHECK_IDS)
        async with mutant(Fault.ACCEPTS_BLOCKED, TAGS, PASSWORD) as central:
            outcomes = await run_checks(target(central.ws_url), checks)
            url = central.ws_url
        return Run(
            url,
            "chargenet-check",
            datetime.now(UTC),
            1.0,
            tuple(zip(checks, outcomes, strict=True)),
        )

    return asyncio.run(go())


def test_the_run_holds_a_fail_a_not_run_and_passes(run: Run) -> None:
    verdicts = {check.id: outcome.verdict for check, outcome in run.results}
    assert verdicts["TC_023_3_CS"] is Verdict.FAIL
    assert verdicts["TC_013_CS"] is Verdict.NOT_RUN
    assert [verdicts[i] for i in ("TC_001_CS", "RB_INVALID_JSON", "RB_TWO_CONNECTIONS")] == [
        Verdict.PASS
    ] * 3
    assert run.exit_code == 1


def test_junit_marks_the_fail_as_failure_and_the_not_run_as_skipped(run: Run) -> None:
    suite = ET.fromstring(junit.render(run)).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("5", "1", "1")
    cases = {case.get("name", "").split()[0]: case for case in suite.iter("testcase")}
    failure = cases["TC_023_3_CS"].find("failure")
    assert failure is not None
    assert "Blocked" in failure.get("message", "")
    out = cases["TC_023_3_CS"].find("system-out")
    assert out is not None
    assert "CHK-BLOCKED" in (out.text or "")
    assert cases["TC_013_CS"].find("skipped") is not None
    assert cases["TC_001_CS"].find("failure") is None
    assert cases["TC_001_CS"].get("classname") == "chargenet.check.Core"


def test_json_carries_each_check_with_its_frames(run: Run, tmp_path: Path) -> None:
    json_report.write(tmp_path / "r.json", run)
    document = json.loads((tmp_path / "r.json").read_text())
    assert document["schema_version"] == 1
    assert document["counts"] == {
        "pass": 3,
        "fail": 1,
        "not applicable": 0,
        "not run": 1,
        "error": 0,
    }
    by_id = {entry["id"]: entry for entry in document["checks"]}
    blocked = by_id["TC_023_3_CS"]
    assert blocked["verdict"] == "fail"
    assert "Blocked" in blocked["expected"]
    directions = {frame["direction"] for frame in blocked["frames"]}
    assert directions == {"sent", "received", "event"}
    times = [frame["at_s"] for frame in blocked["frames"]]
    assert times == sorted(times)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        reason = "chromium is not installed (scripts/ensure-chromium)"
        if os.environ.get("CHARGENET_REQUIRE_CHROMIUM") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def test_the_html_report_opens_in_chromium_with_a_section_per_check(
    run: Run, browser: Any, tmp_path: Path
) -> None:
    path = tmp_path / "report.html"
    html.write(path, run)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def only_the_file(route: Any) -> None:
        if route.request.url == path.as_uri():
            route.continue_()
        else:
            requests.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_file)
    page.goto(path.as_uri(), wait_until="load")
    sections = page.locator("section.check")
    assert sections.count() == len(CHECK_IDS)
    failed = page.locator("section#TC_023_3_CS")
    assert failed.get_attribute("data-verdict") == "fail"
    # a fail's frames are open; the Authorize that the mutant accepted is shown
    frames = failed.locator("table.frames")
    assert frames.is_visible()
    assert "CHK-BLOCKED" in frames.inner_text()
    assert not page.locator("section#TC_001_CS table.frames").is_visible()  # folded
    assert page.locator("table.summary a[href='#RB_INVALID_JSON']").count() == 1
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    page.close()
    assert errors == []
    assert requests == []
