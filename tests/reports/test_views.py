"""What the reports show: the run report's tables hold summary.json's numbers; the wait-time
distribution agrees with P(wait); experiment reports show every scenario and point."""

from __future__ import annotations

import json
import re

import pytest

from simulator.model.records import Outcome
from simulator.reports import views
from simulator.reports.catalogue import HEADLINE
from simulator.reports.html import render
from simulator.reports.metrics import wait_bin_labels
from simulator.reports.page import Table
from simulator.reports.summary import to_json
from tests.reports.helpers import comparison, region_run, sweep

TABLE_METRICS = {
    "Networks": views.NETWORK_COLUMNS,
    "Sites": views.SITE_COLUMNS,
    "Waiting": views.WAIT_COLUMNS,
    "Brands": views.BRAND_COLUMNS,
    "Energy and money": views.MONEY_COLUMNS,
    "Partner vs non-partner": views.PARTNER_COLUMNS,
}


def _tables(page: object) -> dict[str, Table]:
    return {t.title: t for s in page.sections for t in s.tables}  # type: ignore[attr-defined]


def test_the_run_report_tables_hold_exactly_the_numbers_of_summary_json() -> None:
    result = region_run()
    data = json.loads(to_json(result.summary))
    groups = {
        "Networks": {**data["networks"], "all": data["totals"]},
        "Sites": data["sites"],
        "Waiting": {**data["networks"], "all": data["totals"]},
        "Brands": data["brands"],
        "Energy and money": {**data["networks"], "all": data["totals"]},
        "Partner vs non-partner": {
            f"{n} {seg.replace('_', '-')}": g[seg]
            for n, g in {**data["networks"], "all": data["totals"]}.items()
            for seg in ("partner", "non_partner")
        },
    }
    tables = _tables(views.run_page(result.summary, result.records))
    assert set(tables) == set(TABLE_METRICS)
    checked = 0
    for title, metrics in TABLE_METRICS.items():
        table = tables[title]
        assert [row[0].text for row in table.rows] == list(groups[title])
        for row in table.rows:
            group = groups[title][row[0].text]
            for cell, metric in zip(row[1:], metrics, strict=True):
                assert cell.value == group[metric], (title, row[0].text, metric)
                checked += 1
    assert checked > 300
    # and the page carries each of them, exactly, next to its formatted text
    html = render(views.run_page(result.summary, result.records))
    shown = [float(v) for v in re.findall(r'data-value="([^"]+)"', html)]
    assert len(shown) == checked


def test_the_wait_distribution_agrees_with_the_wait_probability_and_the_records() -> None:
    result = region_run()
    labels, shares = wait_bin_labels(), result.summary.totals.wait_distribution
    assert labels[0] == "no wait"
    assert labels[-1] == "> 60"
    assert len(shares) == len(labels)
    assert sum(shares) == pytest.approx(1.0)
    assert shares[0] == pytest.approx(1 - result.summary.totals.p_wait)
    joined = [
        s.wait_s / 60
        for s in result.records.sessions
        if s.arrival_s >= result.records.warmup_s and s.outcome is not Outcome.TURNED_AWAY
    ]
    over_an_hour = sum(1 for w in joined if w > 60) / len(joined)
    five_to_ten = sum(1 for w in joined if 5 < w <= 10) / len(joined)
    assert shares[-1] == pytest.approx(over_an_hour)
    assert shares[2] == pytest.approx(five_to_ten)


def test_the_comparison_page_shows_a_difference_for_every_later_scenario() -> None:
    comp, docs, runs = comparison()
    page = views.compare_page(comp, docs, runs)
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
    key = next(
        k
        for k in first
        if k.scope == "totals" and k.metric == "occupancy_utilization" and k.segment == "all"
    )
    assert occupancy[1].value == first[key].mean


def test_the_sweep_page_draws_a_curve_per_combination_of_the_other_keys() -> None:
    result = sweep()
    page = views.sweep_page(result)
    curves = page.sections[0].charts
    assert len(curves) == len(HEADLINE)
    first = curves[0]
    assert first.x == (0.8, 1.2)  # type: ignore[union-attr]
    assert [s.name for s in first.series] == [  # type: ignore[union-attr]
        "non_member_price[tesla]=0.48",
        "non_member_price[tesla]=0.64",
    ]
    assert page.warnings == ()
