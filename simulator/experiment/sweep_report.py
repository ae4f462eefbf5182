"""sweep.html: a sweep as a Page of charts and tables (simulator.reports.page), from the
intervals sweep.json holds; simulator.reports.html draws it. Nothing is drawn here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simulator.experiment.cells import (
    METHOD_INTRO,
    interval_cell,
    interval_series,
    metric_key,
    names_of,
    run_window,
)
from simulator.experiment.grid_response import grid_sections
from simulator.experiment.observations import TOTAL_GROUP, Key
from simulator.experiment.sweep import SweepResult
from simulator.reports import html
from simulator.reports.catalogue import (
    HEADLINE,
    Metric,
    info,
)
from simulator.reports.charts import Chart, Lines
from simulator.reports.method import experiment_lines
from simulator.reports.page import Cell, Page, Section, Table
from simulator.reports.views import lines_section

__all__ = ["sweep_page", "write_sweep_report"]

M = Metric


def sweep_page(result: SweepResult) -> Page:
    first, others = result.varies[0], result.varies[1:]
    numeric = result.numeric(first)
    xs: tuple[float, ...] | tuple[str, ...] = (
        tuple(float(v) for v in first.values) if numeric else first.texts
    )
    # one line per combination of the other keys' values
    lines: dict[tuple[Any, ...], list[int]] = {}
    for p in result.points:
        rest = tuple(dict(p.settings)[v.key] for v in others)
        lines.setdefault(rest, []).append(p.index)

    def line_name(rest: tuple[Any, ...]) -> str:
        if not others:
            return result.scenario
        return " ".join(
            f"{v.key}={v.texts[v.values.index(x)]}" for v, x in zip(others, rest, strict=True)
        )

    def curve(title: str, key: Key) -> Lines:
        return Lines(
            title,
            xs,
            first.key,
            tuple(
                interval_series(line_name(rest), [result.estimates[i].get(key) for i in idx])
                for rest, idx in lines.items()
            ),
            info(key.metric).axis,
            share=info(key.metric).share,
        )

    networks = sorted(
        {k.group for est in result.estimates.values() for k in est if k.scope == "networks"},
        key=lambda g: _first_position(result, "networks", g),
    )
    names = names_of(result.runs)[0]
    network_curves: tuple[Chart, ...]
    if not others:
        network_curves = tuple(
            Lines(
                f"{info(m).label} by network",
                xs,
                first.key,
                tuple(
                    interval_series(
                        names.get(n, n),
                        [
                            result.estimates[p.index].get(metric_key("networks", n, m))
                            for p in result.points
                        ],
                    )
                    for n in networks
                ),
                info(m).axis,
                share=info(m).share,
            )
            for m in (M.OCCUPANCY_UTILIZATION, M.P_WAIT, M.REVENUE)
        )
    else:
        network_curves = tuple(
            curve(
                f"{names.get(n, n)}: occupancy", metric_key("networks", n, M.OCCUPANCY_UTILIZATION)
            )
            for n in networks
        )
    level = f"{result.level:.0%}"
    table_metrics = HEADLINE
    rows = tuple(
        (
            Cell(p.label),
            *(
                interval_cell(
                    result.estimates[p.index].get(metric_key("totals", TOTAL_GROUP, m)), m
                )
                for m in table_metrics
            ),
        )
        for p in result.points
    )
    return Page(
        title=f"Sweep of {result.scenario}: " + ", ".join(v.key for v in result.varies),
        kind="sweep",
        facts=(
            ("scenario", result.scenario),
            ("source", result.source),
            *((v.key, ", ".join(v.texts)) for v in result.varies),
            ("points", str(len(result.points))),
            ("replications", str(result.replications)),
            ("seeds", f"{result.seeds[0]}–{result.seeds[-1]}" if result.seeds else ""),
            ("intervals", f"{level} Student t"),
        ),
        sections=(
            Section(
                "Response curves",
                f"Each point is the mean over the replications, with its {level} interval; "
                "replication k of every point shares its seed (common random numbers).",
                charts=tuple(
                    curve(f"{info(m).label}, all networks", metric_key("totals", TOTAL_GROUP, m))
                    for m in HEADLINE
                ),
            ),
            Section("By network", charts=network_curves),
            *grid_sections(result),
            Section(
                "Estimates per point",
                tables=(
                    Table(
                        "All networks (mean ± half-width)",
                        ("point", *(info(m).axis for m in table_metrics)),
                        rows,
                        note="Every metric and group is in sweep.json and sweep.csv.",
                    ),
                ),
            ),
            lines_section(
                experiment_lines(
                    seeds=f"{result.seeds[0]}–{result.seeds[-1]}" if result.seeds else "",
                    replications=result.replications,
                    windows=", ".join(dict.fromkeys(run_window(r) for r in result.runs)),
                    level=level,
                    paired=False,
                ),
                METHOD_INTRO,
            ),
        ),
        warnings=tuple(r.failure() for r in result.runs if not r.ok),
    )


# --- helpers ------------------------------------------------------------------------------


def _first_position(result: SweepResult, scope: str, group: str) -> int:
    for est in result.estimates.values():
        groups = list(dict.fromkeys(k.group for k in est if k.scope == scope))
        if group in groups:
            return groups.index(group)
    return 0


def write_sweep_report(result: SweepResult, path: Path) -> None:
    """sweep.html (`chargenet sweep`)."""
    html.write(sweep_page(result), path)
