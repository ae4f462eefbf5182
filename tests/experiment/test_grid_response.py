"""A sweep over a site's grid limit draws the limited network's response curves (waits,
turned-away drivers, occupancy, energy, time below the cars' curves), from a real small sweep
run in this process; the page opens in headless Chromium."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from simulator import scenario as sc
from simulator.experiment import sweep as sw
from simulator.experiment import sweep_report
from simulator.experiment.grid import grid, parse_vary
from simulator.experiment.grid_response import RESPONSE, grid_sections, limited_networks
from simulator.experiment.observations import GRID_SCOPE, Key
from simulator.reports.catalogue import info
from tests.experiment.helpers import SCENARIOS, _runs, sweep
from tests.reports.chromium import charts, open_report

LIMITS = "sites.tesla.grid_limit_kw=250,500,1000"


@cache
def grid_sweep() -> sw.SweepResult:
    base = sc.load(SCENARIOS / "nacs_opening.toml")
    varies = [parse_vary(LIMITS)]
    points = grid(base, varies)
    runs = _runs(sw.tasks(points, replications=2, base_seed=1, days=1.5))
    return sw.summarize(
        scenario=base.name,
        source="scenarios/nacs_opening.toml",
        varies=varies,
        points=points,
        replications=2,
        seeds=[1, 2],
        runs=runs,
    )


def test_the_issues_dotted_site_key_names_the_same_place_as_the_bracketed_one() -> None:
    base = sc.load(SCENARIOS / "nacs_opening.toml")
    dotted = grid(base, [parse_vary(LIMITS)])
    bracketed = grid(base, [parse_vary(LIMITS.replace("sites.tesla.", "sites[tesla]."))])
    assert [p.scenario for p in dotted] == [p.scenario for p in bracketed]
    tesla = next(n for n in dotted[0].scenario["networks"] if n["id"] == "tesla")
    assert tesla["sites"][0]["grid_limit_kw"] == 250


def test_a_grid_limit_sweep_draws_the_limited_networks_response_curves() -> None:
    result = grid_sweep()
    assert limited_networks(result) == ["tesla"]
    (section,) = grid_sections(result)
    assert section.title == "Grid limit response"
    assert len(section.charts) == len(RESPONSE) + 1  # and the time below the curves
    p_wait = section.charts[0]
    assert p_wait.x == (250.0, 500.0, 1000.0)  # type: ignore[union-attr]
    assert [s.name for s in p_wait.series] == ["tesla"]  # type: ignore[union-attr]
    # a tighter limit: longer charges, so the stalls are occupied longer (the region's
    # Tesla stalls are seldom full, so nobody waits yet), and more time below the curves
    occupancy = [
        result.estimates[p.index][Key("networks", "tesla", "all", "occupancy_utilization")].mean
        for p in result.points
    ]
    assert occupancy[0] > occupancy[-1]
    below = section.charts[-1].series  # type: ignore[union-attr]
    assert all(s.values[0] > s.values[-1] for s in below)
    assert len(section.tables[0].rows) == 3
    assert section.tables[0].columns[1] == f"tesla: {info(RESPONSE[0]).axis}"


def test_the_sweeps_tidy_table_holds_the_grid_blocks_numbers() -> None:
    table = sw.intervals_table(grid_sweep())
    grid_rows = table[table["scope"] == GRID_SCOPE]
    assert set(grid_rows["metric"]) >= {"peak_kw", "requested_kwh", "below_curve_pct"}
    assert grid_rows["group"].str.startswith("tesla-").all()


def test_a_sweep_with_no_grid_limit_has_no_grid_section() -> None:
    assert grid_sections(sweep()) == ()


def test_the_grid_sweep_report_opens_in_chromium_with_every_chart(
    browser: Any, tmp_path: Path
) -> None:
    result = grid_sweep()
    path = tmp_path / "sweep.html"
    sweep_report.write_sweep_report(result, path)
    seen = open_report(browser, path, charts(sweep_report.sweep_page(result)))
    assert seen["tables"] == 3  # the estimates, the grid response, the method
