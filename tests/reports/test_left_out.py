"""Charts that would show nothing are left out with a one-line note (issue 12): a p95 wait of
0 min at every site, a metric the source cannot tell (all NaN); a series of zeros beside
others that vary (perks) is dropped from its chart and named."""

from __future__ import annotations

import math
import re

from simulator.reports.charts import Bars, Forest, Lines, Series
from simulator.reports.html import render
from simulator.reports.left_out import trimmed
from simulator.reports.page import Page, Section

SITES = ("a", "b", "c")


def _bars(*series: Series, title: str = "95th percentile wait by site") -> Bars:
    return Bars(title, SITES, series, "wait (min)")


def test_a_chart_of_zeros_is_left_out_with_its_value_in_a_note() -> None:
    chart, note = trimmed(_bars(Series("p95", (0.0, 0.0, 0.0))))
    assert chart is None
    assert note == "95th percentile wait by site: 0 min everywhere — chart left out"


def test_a_chart_with_no_number_is_left_out_as_no_data() -> None:
    chart, note = trimmed(_bars(Series("revenue", (math.nan,) * 3), title="Revenue"))
    assert chart is None
    assert note == "Revenue: no data — chart left out"


def test_a_constant_share_is_noted_in_percent() -> None:
    lines = Lines("Occupancy", (0, 1), "day", (Series("all", (0.25, 0.25)),), "occ", share=True)
    assert trimmed(lines) == (None, "Occupancy: 25 % everywhere — chart left out")


def test_a_constant_value_with_an_interval_around_it_is_drawn() -> None:
    chart = _bars(Series("p95", (2.0, 2.0, 2.0), (0.5, 0.1, 0.3)))
    assert trimmed(chart) == (chart, "")


def test_a_varying_chart_is_drawn_as_it_is() -> None:
    chart = _bars(Series("mean", (0.0, 1.5, 3.0)), Series("p95", (1.0, 2.0, 9.0)))
    assert trimmed(chart) == (chart, "")


def test_a_series_of_zeros_beside_one_that_varies_is_dropped_and_named() -> None:
    spend, perks = Series("driver spend", (10.0, 20.0, 5.0)), Series("perks given", (0.0,) * 3)
    chart, note = trimmed(Bars("Driver spend and perks by brand", SITES, (spend, perks), "($)"))
    assert isinstance(chart, Bars)
    assert [(x.name, x.values) for x in chart.series] == [(spend.name, spend.values)]
    assert (
        note
        == "Driver spend and perks by brand: perks given: $0 everywhere — left out of the chart"
    )


def test_a_forest_of_zero_differences_is_left_out() -> None:
    forest = Forest("P(wait): difference", ("b", "c"), (0.0, 0.0), (0.0, 0.0), "pp", share=True)
    assert trimmed(forest) == (None, "P(wait): difference: every difference 0 — chart left out")
    drawn = Forest("P(wait): difference", ("b",), (0.0003,), (0.0001,), "pp", share=True)
    assert trimmed(drawn) == (drawn, "")


def test_the_html_report_draws_the_others_and_prints_the_note_in_place() -> None:
    empty = _bars(Series("p95", (0.0, 0.0, 0.0)))
    drawn = _bars(Series("mean", (0.0, 1.5, 3.0)), title="Mean wait by site")
    page = Page("t", "run", (), (Section("Waiting", charts=(empty, drawn)),))
    text = render(page)
    assert len(re.findall(r'<figure class="chart"', text)) == 1
    assert 'aria-label="Mean wait by site"' in text
    assert (
        '<p class="note left-out">95th percentile wait by site: 0 min everywhere — chart left'
        " out</p>" in text
    )


def test_a_series_after_a_dropped_one_keeps_its_colour_and_style() -> None:
    tesla, ea = Series("Tesla", (0.0, 0.0)), Series("EA", (0.1, 0.3))
    evgo = Series("EVgo", (0.2, 0.1))
    chart, _ = trimmed(Lines("Cars waiting", (0, 1), "day", (tesla, ea, evgo), "cars"))
    assert isinstance(chart, Lines)
    assert [(x.name, x.slot) for x in chart.series] == [("EA", 1), ("EVgo", 2)]
