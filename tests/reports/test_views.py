"""What the run report shows: its tables hold summary.json's numbers; the wait-time distribution
agrees with P(wait). (The experiment reports: tests/experiment/test_reports.py.)"""

from __future__ import annotations

import json
import re

import pytest

from simulator.model.records import Outcome
from simulator.reports import views
from simulator.reports.catalogue import info
from simulator.reports.html import render
from simulator.reports.metrics import wait_bin_labels
from simulator.reports.page import Table
from simulator.reports.summary import to_json
from tests.reports.helpers import region_run

TABLE_METRICS = {
    "Networks": views.NETWORK_COLUMNS,
    "Sites": views.SITE_COLUMNS,
    "Waiting": views.WAIT_COLUMNS,
    "Brands": views.BRAND_COLUMNS,
    "Energy and money": views.MONEY_COLUMNS,
    "Partner vs non-partner": views.PARTNER_COLUMNS,
}


VOCABULARY = {
    "Use Specification by network": ("ev_charging_use_spec", "groups", views.USE_SPEC_COLUMNS),
    "Use Specification by site": ("ev_charging_use_spec", "sites", views.USE_SPEC_COLUMNS),
    "ChargeX by network": ("chargex", "groups", views.CHARGEX_COLUMNS),
    "ChargeX by brand": ("chargex", "brands", views.CHARGEX_COLUMNS),
}
"""The industry's measures: (summary.json block, its groups, the table's columns)."""


def _tables(page: object) -> dict[str, Table]:
    return {t.title: t for s in page.sections for t in s.tables}  # type: ignore[attr-defined]


def test_the_run_report_tables_hold_exactly_the_numbers_of_summary_json() -> None:
    result = region_run()
    data = json.loads(to_json(result.summary))
    names = data["network_names"]  # the tables name networks so, and sites under them
    assert names["tesla"] == "Tesla Supercharger"
    networks = {names[n]: g for n, g in data["networks"].items()}
    sites = {
        f"{names[network]} / {site}": g
        for network in data["networks"]
        for site, g in data["sites"].items()
        if g["network"] == network
    }
    assert list(data["sites"])[:3] == ["tesla-1", "ea-1", "evgo-1"]  # interleaved by the model
    assert list(sites)[:2] == ["Tesla Supercharger / tesla-1", "Tesla Supercharger / tesla-2"]
    groups = {
        "Networks": {**networks, "all": data["totals"]},
        "Sites": sites,
        "Waiting": {**networks, "all": data["totals"]},
        "Brands": data["brands"],
        "Energy and money": {**networks, "all": data["totals"]},
        "Partner vs non-partner": {
            f"{n} {seg.replace('_', '-')}": g[seg]
            for n, g in {**networks, "all": data["totals"]}.items()
            for seg in ("partner", "non_partner")
        },
    }
    tables = _tables(views.run_page(result.summary))
    assert set(tables) == {
        *TABLE_METRICS,
        *VOCABULARY,
        views.VISITS_WITHOUT_CHARGE,
        "Method",
        "The day",  # day_by_day of a window under two days
    }
    checked = 0
    for title, metrics in TABLE_METRICS.items():
        table = tables[title]
        assert [row[0].text for row in table.rows] == list(groups[title])
        for row in table.rows:
            group = groups[title][row[0].text]
            for cell, metric in zip(row[1:], metrics, strict=True):
                assert cell.value == group[info(metric).key], (title, row[0].text, metric)
                checked += 1
    assert checked > 300
    for title, (block, scope, columns) in VOCABULARY.items():
        named = {names[n]: g for n, g in data[block]["networks"].items()}
        rows = {
            "groups": {**named, "all": data[block]["totals"]},
            "brands": data[block].get("brands"),
            "sites": {label: data[block]["sites"][label.split(" / ")[1]] for label in sites},
        }[scope]
        assert [row[0].text for row in tables[title].rows] == list(rows)
        for row in tables[title].rows:
            for cell, (key, _, _) in zip(row[1:], columns, strict=True):
                assert cell.value == rows[row[0].text].get(key), (title, row[0].text, key)
                checked += cell.value is not None
    day = data["day_by_day"]
    assert len(day["days"]) == 1
    by_day = {**{names[n]: g for n, g in day["networks"].items()}, "all": day["totals"]}
    assert [row[0].text for row in tables["The day"].rows] == list(by_day)
    for row in tables["The day"].rows:
        for cell, key in zip(row[1:], ("occupancy", "mean_waiting", "max_waiting"), strict=True):
            assert cell.value == by_day[row[0].text][key][0]
            checked += 1
    reasons = data["chargex"]["totals"]["without_charge_reasons"]
    assert {r[0].text: r[1].value for r in tables[views.VISITS_WITHOUT_CHARGE].rows} == reasons
    checked += len(reasons)
    # and the page carries each of them, exactly, next to its formatted text
    html = render(views.run_page(result.summary))
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
