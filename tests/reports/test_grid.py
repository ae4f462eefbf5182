"""What a grid limit did, as pure metrics of the records (simulator.reports.grid), and how the
terminal and the page show it (simulator.reports.grid_view)."""

from __future__ import annotations

import dataclasses
import io
import json
import math
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from simulator import runner
from simulator import scenario as sc
from simulator.model.records import LimitedLeg, PowerSegment, Records
from simulator.model.world import GridLimit
from simulator.reports import grid as gr
from simulator.reports import views
from simulator.reports.grid_view import grid_sections, grid_table
from simulator.reports.html import write_run_report
from simulator.reports.render import print_summary
from simulator.reports.summary import Summary, to_json
from tests.model.test_limited_legs import two_port_world
from tests.reports.chromium import charts, open_report


def seg(port: str, start_s: float, end_s: float, start_kw: float, end_kw: float) -> PowerSegment:
    hours = (end_s - start_s) / 3600.0
    mean = start_kw if start_kw == end_kw else (end_kw - start_kw) / math.log(end_kw / start_kw)
    return PowerSegment(port, start_s, end_s, mean * hours, start_kw, end_kw)


def sampled_peak(segments: list[PowerSegment], lo: float, hi: float, step: float) -> float:
    """The summed power sampled on a fine grid: never above the exact peak."""
    best = 0.0
    t = lo
    while t < hi:
        total = 0.0
        for s in segments:
            if s.start_s <= t < s.end_s:
                x = (t - s.start_s) / (s.end_s - s.start_s)
                total += s.start_kw * (s.end_kw / s.start_kw) ** x
        best = max(best, total)
        t += step
    return best


def test_the_peak_is_exact_over_the_breakpoints_and_sampling_never_beats_it() -> None:
    segments = [
        seg("a", 0.0, 1000.0, 50.0, 120.0),  # rising
        seg("b", 200.0, 1500.0, 150.0, 60.0),  # tapering
        seg("c", 900.0, 1200.0, 80.0, 80.0),
        seg("a", 1000.0, 1400.0, 120.0, 90.0),
    ]
    kw, at_s = gr.peak_power(segments, (0.0, 2000.0))
    # at 1000 s: a at 120, b somewhere on its taper, c at 80
    b_at = 150.0 * (60.0 / 150.0) ** (800.0 / 1300.0)
    assert at_s == 1000.0
    assert kw == pytest.approx(120.0 + b_at + 80.0)
    assert sampled_peak(segments, 0.0, 2000.0, 0.5) <= kw + 1e-9
    assert sampled_peak(segments, 0.0, 2000.0, 0.5) == pytest.approx(kw, rel=1e-3)


def test_a_port_handing_one_segment_to_the_next_is_not_counted_twice() -> None:
    # the first piece ends a hair after the next one starts (rounding of summed hours)
    segments = [seg("a", 0.0, 100.0 + 1e-9, 100.0, 100.0), seg("a", 100.0, 200.0, 100.0, 100.0)]
    assert gr.peak_power(segments, (0.0, 200.0))[0] == 100.0


def test_the_peak_is_clipped_to_the_window() -> None:
    segments = [seg("a", 0.0, 100.0, 200.0, 200.0), seg("a", 100.0, 300.0, 50.0, 50.0)]
    assert gr.peak_power(segments, (150.0, 300.0)) == (50.0, 150.0)


def test_site_measures_count_a_leg_straddling_the_warm_up_in_proportion() -> None:
    legs = [LimitedLeg("a", 0.0, 0.0, 200.0, 50.0, 2.0, 4.0, 100.0)]
    segments = [seg("a", 0.0, 200.0, 36.0, 36.0)]  # 2 kWh
    m = gr.site_measures("s", GridLimit(((0.0, 50.0),)), segments, (), legs, 1, (100.0, 400.0))
    assert m.delivered_kwh == pytest.approx(1.0)
    assert m.requested_kwh == pytest.approx(1.0 + 2.0 / 2)
    assert m.below_curve_h == pytest.approx(50.0 / 3600)
    assert (m.charges, m.charges_below_curve) == (1, 1)
    assert m.limit_at_peak_kw == 50.0


def test_a_store_without_requested_power_gives_none_never_zero() -> None:
    m = gr.site_measures("s", None, [seg("a", 0.0, 100.0, 10.0, 10.0)], (), None, 1, (0.0, 100.0))
    assert m.requested_kwh is None
    assert m.below_curve_share is None
    assert m.requested_mean_kw is None
    assert m.charges_below_curve is None


def limited_run() -> runner.RunResult:
    scenario = sc.parse(
        {
            "name": "grid-unit",
            "simulation": {"days": 1, "seed": 2},
            "networks": [
                {
                    "id": "n",
                    "sites": [
                        {
                            "id": "s",
                            "ports": [{"power_kw": 100, "connectors": ["CCS1"], "count": 3}],
                            "grid_limit_schedule": [
                                {"from": "00:00", "kw": 120},
                                {"from": "12:00", "kw": 200},
                            ],
                        },
                        {"id": "free", "ports": [{"power_kw": 100, "connectors": ["CCS1"]}]},
                    ],
                }
            ],
            "vehicles": [
                {
                    "id": "v",
                    "brand": "V",
                    "share": 1.0,
                    "battery_kwh": 60,
                    "peak_kw": 100,
                    "connectors": ["CCS1"],
                }
            ],
            "arrivals": {"kind": "constant", "rate_per_h": 6},
        }
    )
    return runner.run(scenario)


def test_the_summary_has_a_grid_block_for_the_limited_site_only() -> None:
    result = limited_run()
    grid = result.summary.grid
    assert grid is not None
    assert grid.requested is None
    assert list(grid.sites) == ["s"]
    site = grid.sites["s"]
    assert site.limit_kw is None
    assert site.schedule is not None
    assert [(p.starts, p.kw) for p in site.schedule] == [("00:00", 120.0), ("12:00", 200.0)]
    assert site.limit_at_peak_kw is not None
    assert site.peak_kw <= site.limit_at_peak_kw + 1e-6
    assert site.requested_kwh is not None
    assert site.requested_kwh > site.delivered_kwh
    assert site.below_curve_pct is not None
    assert 0 < site.below_curve_pct <= 100
    assert site.charges_below_curve is not None
    assert 0 < site.charges_below_curve <= site.charges
    # the site's delivered energy is its dispensed energy
    assert site.delivered_kwh == pytest.approx(result.summary.sites["s"].dispensed_kwh or 0.0)


def test_a_run_without_a_limit_has_no_grid_block() -> None:
    result = runner.run(sc.load("scenarios/quickstart.toml"), days=1)
    assert result.summary.grid is None
    assert grid_table(result.summary) is None
    assert views.run_page(result.summary).sections[-1].title == "Method"
    assert all(s.title != "Grid limits" for s in views.run_page(result.summary).sections)


def test_the_terminal_and_the_page_show_n_a_where_the_store_cannot_tell() -> None:
    result = limited_run()
    stored = dataclasses.replace(result.records, limited=None)
    summary = runner.summarize_world(result.world, stored)
    assert summary.grid is not None
    assert summary.grid.requested == gr.REQUESTED_NA
    out = io.StringIO()
    print_summary(summary, Console(file=out, width=140))
    text = out.getvalue()
    assert "grid limits" in text
    row = next(line for line in text.splitlines() if line.strip().startswith("s "))
    assert row.count("n/a") == 3  # requested kWh, below curve, charges below
    (section,) = grid_sections(views_data(summary))
    cells = [c.text for c in section.tables[0].rows[0]]
    assert cells.count("n/a") == 6
    assert gr.REQUESTED_NA in section.intro


def views_data(summary: Summary) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(to_json(summary))
    return data


def test_records_default_to_no_limited_legs() -> None:
    assert Records(1.0, 0.0, (), (), ()).limited == ()
    assert two_port_world({}).sites[0].grid is None


def test_the_run_report_of_a_limited_run_opens_in_chromium_with_its_grid_chart(
    browser: Any, tmp_path: Path
) -> None:
    summary = limited_run().summary
    page = views.run_page(summary)
    (section,) = [s for s in page.sections if s.title == "Grid limits"]
    assert section.charts[0].title == "Peak power against the limit"
    path = tmp_path / "run.html"
    write_run_report(summary, path)
    seen = open_report(browser, path, charts(page))
    assert seen["tables"] == sum(len(s.tables) for s in page.sections)
