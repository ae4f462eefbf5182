"""What the experiment reports show: a difference for every later scenario, the estimates of
compare.json, a response curve per combination of the other keys; and both open in headless
Chromium with every chart drawn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simulator.experiment import cells, compare_report, sweep_report
from simulator.experiment.observations import TOTAL_GROUP, Key
from simulator.reports.catalogue import HEADLINE, Metric, info
from simulator.reports.page import Page, Table
from tests.experiment.helpers import comparison, sweep
from tests.reports.chromium import charts, open_report


def _tables(page: Page) -> dict[str, Table]:
    return {t.title: t for s in page.sections for t in s.tables}


def test_the_comparison_page_shows_a_difference_for_every_later_scenario() -> None:
    comp, docs, runs = comparison()
    page = compare_report.compare_page(comp, docs, runs)
    forests = page.sections[0].charts
    assert len(forests) == len(HEADLINE)
    assert all(chart.rows == comp.labels[1:] for chart in forests)  # type: ignore[union-attr]
    tables = _tables(page)
    diff = tables[f"Differences from {comp.baseline} (mean [low, high])"]
    assert diff.columns[1:] == comp.labels[1:]
    est = tables["Estimates (mean ± half-width)"]
    assert est.columns[1:] == comp.labels
    arrivals_rows = [r for r in est.rows if r[0].text == "all: arrivals"]
    assert arrivals_rows == []  # arrivals are not headline; occupancy is
    occupancy = next(r for r in est.rows if r[0].text == "all: occupancy (%)")
    first = comp.estimates[comp.baseline]
    key = Key("totals", TOTAL_GROUP, "all", info(Metric.OCCUPANCY_UTILIZATION).key)
    assert occupancy[1].value == first[key].mean


def test_the_estimate_table_has_a_row_for_every_headline_metric_of_every_network_and_brand() -> (
    None
):
    comp, docs, runs = comparison()
    est = _tables(compare_report.compare_page(comp, docs, runs))["Estimates (mean ± half-width)"]
    keys = cells.table_keys(["tesla", "ea"], ["Tesla"])
    assert len(keys) == len(HEADLINE) + 2 * 5 + 4
    assert {k.metric for k in keys} <= {info(m).key for m in Metric}
    shown = {r[0].text for r in est.rows}
    names = {
        n: name for r in runs if r.summary for n, name in (r.summary.network_names or {}).items()
    }
    assert names["tesla"] == "Tesla Supercharger"  # rows name networks by display name
    assert {cells.row_label(k, names) for k in keys} <= shown
    assert "tesla: occupancy (%)" not in shown
    assert all(cell.value is not None for r in est.rows for cell in r[1:] if cell.text)


def test_the_sweep_page_draws_a_curve_per_combination_of_the_other_keys() -> None:
    result = sweep()
    page = sweep_report.sweep_page(result)
    curves = page.sections[0].charts
    assert len(curves) == len(HEADLINE)
    first = curves[0]
    assert first.x == (0.8, 1.2)  # type: ignore[union-attr]
    assert [s.name for s in first.series] == [  # type: ignore[union-attr]
        "non_member_price[tesla]=0.48",
        "non_member_price[tesla]=0.64",
    ]
    assert page.warnings == ()


def test_the_compare_report_opens_in_chromium_with_every_chart(
    browser: Any, tmp_path: Path
) -> None:
    comp, docs, runs = comparison()
    path = tmp_path / "compare.html"
    compare_report.write_compare_report(comp, docs, runs, path)
    seen = open_report(browser, path, charts(compare_report.compare_page(comp, docs, runs)))
    assert seen["tables"] == 3  # the estimates, the differences, the method


def test_the_sweep_report_opens_in_chromium_with_every_chart(browser: Any, tmp_path: Path) -> None:
    result = sweep()
    path = tmp_path / "sweep.html"
    sweep_report.write_sweep_report(result, path)
    seen = open_report(browser, path, charts(sweep_report.sweep_page(result)))
    assert seen["tables"] == 2  # the estimates, the method


def test_the_compare_and_sweep_reports_end_with_their_method() -> None:
    comp, docs, runs = comparison()
    compare = compare_report.compare_page(comp, docs, runs)
    method = dict((r[0].text, r[1].text) for r in compare.sections[-1].tables[0].rows)
    assert compare.sections[-1].title == "Method"
    assert method["replications"] == str(max(r.task.replication for r in runs) + 1)
    assert "paired" in method["intervals"]
    assert method["engine"] == "fast"
    assert "run time" not in method  # the report is the same however long it took
    swept = sweep_report.sweep_page(sweep())
    assert swept.sections[-1].title == "Method"
    assert (
        "Student t"
        in dict((r[0].text, r[1].text) for r in swept.sections[-1].tables[0].rows)["intervals"]
    )
