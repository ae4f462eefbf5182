"""The experiments' terminal tables: a row per headline metric and scope, a column per
scenario, the difference from the baseline under every later scenario; a sweep row per point."""

from __future__ import annotations

import io

from rich.console import Console

from simulator.experiment import estimates
from simulator.reports.catalogue import HEADLINE, info
from tests.experiment.helpers import comparison, sweep


def test_the_comparison_tables_show_every_headline_metric_for_every_scenario() -> None:
    comp, _, _ = comparison()
    totals, *others = estimates.comparison_tables(comp)
    assert [str(c.header) for c in totals.columns] == ["metric", *comp.labels]
    rows = [str(cell) for cell in totals.columns[0].cells]
    assert rows == [info(m).axis for m in HEADLINE]
    later = [str(cell) for cell in totals.columns[2].cells]
    assert all("\nΔ " in cell for cell in later)
    assert [str(t.title).split(":")[0] for t in others] == ["by network", "by brand"]


def test_the_sweep_table_has_a_row_per_point_and_a_column_per_headline_metric() -> None:
    result = sweep()
    table = estimates.sweep_table(result)
    assert [str(c.header) for c in table.columns] == [
        "point",
        *(info(m).axis for m in estimates.SWEEP_COLUMNS),
    ]
    assert [str(c) for c in table.columns[0].cells] == [p.label for p in result.points]
    out = io.StringIO()
    estimates.print_sweep(result, Console(file=out, width=120))
    assert "±" in out.getvalue()


def test_the_network_rows_name_the_networks_by_their_display_names() -> None:
    comp, _, _ = comparison()
    _, by_network, _ = estimates.comparison_tables(comp)
    rows = [str(cell) for cell in by_network.columns[0].cells]
    assert comp.network_names["tesla"] == "Tesla Supercharger"
    assert "Tesla Supercharger: occupancy (%)" in rows
    assert not any(row.startswith("tesla: ") for row in rows)
