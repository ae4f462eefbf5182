"""The terminal tables: one row per network and one for all, one per brand, every column a
catalogue metric under its short header."""

from __future__ import annotations

import io

from rich.console import Console

from simulator.reports import render
from simulator.reports.catalogue import Metric, info
from tests.reports.helpers import region_run

WIDTH = 120


def _text(summary: object) -> str:
    console = Console(width=WIDTH, record=True, file=io.StringIO())
    render.print_summary(summary, console)  # type: ignore[arg-type]
    return console.export_text()


def test_the_network_table_has_a_row_per_network_and_one_for_all() -> None:
    summary = region_run().summary
    table = render.networks_table(summary)
    assert [c.header for c in table.columns] == ["network", *(h for _, h in render.NETWORK_COLUMNS)]
    names = list(table.columns[0].cells)
    assert names == [*summary.networks, "all"]
    occupied = list(table.columns[2].cells)
    assert occupied[-1] == f"{100 * summary.totals.occupancy_utilization:.1f}%"  # type: ignore[operator]
    assert list(table.columns[1].cells)[-1] == str(summary.totals.ports)


def test_terminal_cells_show_shares_in_percent_money_in_dollars_and_counts_as_they_are() -> None:
    assert render.cell(info(Metric.P_WAIT), 0.1234) == "12.3%"
    assert render.cell(info(Metric.REVENUE), 14_375.4) == "14,375"
    assert render.cell(info(Metric.ARRIVALS), 686) == "686"
    assert render.cell(info(Metric.MEAN_WAIT_MIN), 0.25) == "0.2"
    assert render.cell(info(Metric.PORTS), None) == ""


def test_a_wide_terminal_shows_every_column_of_both_tables() -> None:
    text = _text(region_run().summary)
    headers = [h for _, h in (*render.NETWORK_COLUMNS, *render.BRAND_COLUMNS)]
    assert [h for h in headers if h not in text] == []
    assert "by brand" in text
    assert "Volkswagen" in text
    assert max(len(line) for line in text.splitlines()) <= WIDTH
