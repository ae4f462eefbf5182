"""Intervals are printed with enough digits to agree with their charts (issue 12): a small
difference (+0.015 to +0.043 pp) reads as such in the page's table and the terminal's, not as
`+0.0 pp [+0.0, +0.0]` in bold beside a chart that shows it away from zero."""

from __future__ import annotations

import re

import pytest

from simulator.experiment import cells, compare_report, estimates
from simulator.experiment.comparison import Comparison
from simulator.experiment.observations import TOTAL_GROUP, Key
from simulator.experiment.statistics import Interval
from simulator.reports.catalogue import HEADLINE, Metric, info
from simulator.reports.charts import Forest

P_WAIT = Key("totals", TOTAL_GROUP, "all", info(Metric.P_WAIT).key)
LOW_PP, HIGH_PP = 0.015, 0.043


def _small_difference() -> Comparison:
    share = Interval(5, 0.20, 0.01, 0.012)
    diff = Interval(5, (LOW_PP + HIGH_PP) / 200, 0.0001, (HIGH_PP - LOW_PP) / 200)
    return Comparison(
        labels=("base", "other"),
        estimates={"base": {P_WAIT: share}, "other": {P_WAIT: share}},
        differences={"other": {P_WAIT: diff}},
    )


def _numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"[+-]?\d+(?:\.\d+)?", text)]


def _forest(comp: Comparison) -> Forest:
    page = compare_report.compare_page(comp, [], [])
    forests = [c for s in page.sections for c in s.charts if isinstance(c, Forest)]
    return forests[HEADLINE.index(Metric.P_WAIT)]


def _agrees_with_chart(text: str, chart: Forest) -> None:
    scale = 100.0 if chart.share else 1.0
    mean, hw = scale * chart.means[0], scale * chart.half_widths[0]
    shown_mean, low, high = _numbers(text)
    digits = len(text.split("[")[1].split(",")[0].split(".")[1])
    tolerance = 0.5 * 10.0**-digits + 1e-12
    assert shown_mean == pytest.approx(mean, abs=tolerance)
    assert low == pytest.approx(mean - hw, abs=tolerance)
    assert high == pytest.approx(mean + hw, abs=tolerance)
    assert 10.0**-digits <= hw / 10  # two significant digits of the half-width at least


def test_a_small_difference_prints_the_digits_its_forest_chart_draws() -> None:
    comp = _small_difference()
    chart = _forest(comp)
    assert 100 * (chart.means[0] - chart.half_widths[0]) == pytest.approx(LOW_PP)
    cell = cells.difference_cell(comp.differences["other"][P_WAIT], P_WAIT.metric)
    assert cell.text == "+0.029 pp [+0.015, +0.043]"
    assert cell.strong  # the interval excludes zero, and the printed bounds say so
    _agrees_with_chart(cell.text, chart)


def test_the_page_table_and_the_terminal_table_print_the_same_interval() -> None:
    comp = _small_difference()
    page = compare_report.compare_page(comp, [], [])
    table = next(t for s in page.sections for t in s.tables if t.title.startswith("Differences"))
    row = next(r for r in table.rows if r[0].text == cells.row_label(P_WAIT))
    terminal = estimates.comparison_tables(comp)[0]
    later = [str(c) for c in terminal.columns[2].cells]
    shown = next(c for c in later if "Δ" in c).split("Δ ")[1]
    assert shown == row[1].text
    _agrees_with_chart(shown, _forest(comp))


@pytest.mark.parametrize("half_width", [0.5, 0.04, 0.0037, 1e-5])
def test_an_interval_that_excludes_zero_never_prints_as_zero_to_zero(half_width: float) -> None:
    diff = Interval(3, 1.5 * half_width, 0.0, half_width)
    for metric in (Metric.P_WAIT, Metric.MEAN_WAIT_MIN, Metric.REVENUE):
        text = cells.difference_cell(diff, info(metric).key).text
        low, high = _numbers(text.split("[")[1])
        assert high != 0.0
        assert (low, high) != (0.0, 0.0), text


def test_a_wide_interval_keeps_the_metrics_own_digits() -> None:
    est = Interval(5, 0.31234, 0.05, 0.0523)
    assert cells.interval_cell(est, info(Metric.P_WAIT).key).text == "31.2 % ± 5.2"


def test_the_bound_nearer_zero_of_an_interval_that_excludes_zero_is_not_printed_as_zero() -> None:
    diff = Interval(6, -0.0010746, 0.001, 0.0010286)  # -0.11 pp [-0.21, -0.0046]
    cell = cells.difference_cell(diff, info(Metric.GAVE_UP_SHARE).key)
    assert cell.strong
    assert cell.text == "-0.107 pp [-0.210, -0.005]"
