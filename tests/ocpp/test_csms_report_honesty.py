"""`chargenet report` says what a central system's store cannot tell (issue 12): revenue, waits,
turned away, ... are null in its summary.json and n/a in its tables, not 0; and a scenario
whose charge point ids the store does not hold is named in one line, not reported as zeros."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from simulator import cli
from simulator.ocpp.store_reader import UNSEEN
from tests.ocpp.helpers import write_small_scenario
from tests.reports.chromium import browser, open_report  # noqa: F401 (browser: a fixture)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A real run against the built-in central system: (scenario, store, the run's out)."""
    folder = tmp_path_factory.mktemp("honest")
    scenario = write_small_scenario(folder, days=0.5)
    db, out = folder / "csms.sqlite", folder / "sim"
    run = ["run", str(scenario), "--engine", "ocpp", "--csms-db", str(db), "--quiet"]
    assert cli.main([*run, "--out", str(out)]) == 0
    return scenario, db, out


def _report(scenario: Path, db: Path, out: Path, *more: str) -> int:
    return cli.main(
        ["report", "--csms-db", str(db), "--scenario", str(scenario), *more, "--out", str(out)]
    )


def _renamed_sites(scenario: Path, folder: Path, *sites: str) -> Path:
    text = scenario.read_text(encoding="utf-8")
    for site in sites:
        assert f'id = "{site}"\n' in text
        text = text.replace(f'id = "{site}"\n', f'id = "{site}-elsewhere"\n')
    path = folder / "renamed.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_what_the_store_cannot_tell_is_null_in_the_reports_summary(
    store: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, db, sim_out = store
    assert _report(scenario, db, tmp_path, "--quiet") == 0
    capsys.readouterr()
    sim: dict[str, Any] = json.loads((sim_out / "summary.json").read_text())
    csms: dict[str, Any] = json.loads((tmp_path / "summary.json").read_text())
    assert sim["totals"]["revenue"] > 0
    assert sim["totals"]["arrivals"] > 0
    groups = [csms["totals"], *csms["networks"].values(), *csms["brands"].values()]
    groups += [*csms["sites"].values(), *csms["ports"].values()]
    days = csms["day_by_day"]
    assert all(v > 0 for v in days["totals"]["occupancy"])
    for group in (days["totals"], *days["networks"].values()):
        assert group["mean_waiting"] is None
        assert group["max_waiting"] is None
    for group in groups:
        for key in UNSEEN:
            if key in ("mean_waiting", "max_waiting"):
                continue
            assert key in group, key
            assert group[key] is None, key
    assert csms["totals"]["served"] == sim["totals"]["served"] > 0
    assert csms["totals"]["energy_kwh"] > 0
    assert csms["totals"]["occupancy_utilization"] > 0


def test_the_reports_tables_print_n_a_where_the_store_cannot_tell(
    store: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, db, _ = store
    assert _report(scenario, db, tmp_path) == 0
    out = capsys.readouterr().out
    assert "P(wait)   wait min   away   gave up   revenue $" in out
    total = next(line for line in out.splitlines() if line.split()[:1] == ["all"])
    cells = total.split()  # all, ports, occupied, sessions per port per day, then the five
    assert cells[4:] == ["n/a"] * 5
    assert "n/a" not in cells[1:4]
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<td>n/a</td>" in page
    assert page.count("<td>n/a</td>") > 20


def test_a_scenario_whose_charge_points_the_store_does_not_hold_ends_in_one_line(
    store: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, db, _ = store
    other = _renamed_sites(scenario, tmp_path, "n", "s")
    assert _report(other, db, tmp_path / "out") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"chargenet: --csms-db {db}: 0 of the scenario's 5 charge point ids")
    assert not (tmp_path / "out" / "summary.json").exists()


def test_a_scenario_the_store_holds_in_part_is_reported_with_a_one_line_warning(
    store: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, db, _ = store
    other = _renamed_sites(scenario, tmp_path, "s")
    assert _report(other, db, tmp_path / "out", "--quiet") == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"warning: --csms-db {db}: 3 of the scenario's 5 charge point ids")
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["totals"]["served"] > 0


def test_the_scenario_that_was_run_is_reported_without_a_warning(
    store: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, db, _ = store
    assert _report(scenario, db, tmp_path, "--quiet") == 0
    assert capsys.readouterr().err == ""


def test_the_reports_page_opens_in_chromium_with_what_the_store_cannot_tell_left_out(
    store: tuple[Path, Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    browser: Any,  # noqa: F811
) -> None:
    scenario, db, _ = store
    assert _report(scenario, db, tmp_path, "--quiet") == 0
    capsys.readouterr()
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    drawn = page.count('<figure class="chart"')
    seen = open_report(browser, tmp_path / "report.html", drawn)
    assert seen["title"] == "ocpp-small: run report"
    assert drawn >= 4  # utilization, hourly, energy
    assert "Wait-time distribution: no data — chart left out" in page
    assert "Revenue by network: no data — chart left out" in page
    assert "<caption>The day</caption>" in page  # half a day: over time is a table
