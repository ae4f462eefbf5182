"""Self-contained HTML reports: one file, inline CSS and inline SVG charts, no script and no
external reference, so that it opens anywhere without a network.

`render(page)` draws a Page (simulator.reports.page) and `write(page, path)` writes it;
`write_run_report` is what the Python API and `chargenet report` call. A page's charts can be
drawn elsewhere (`chargenet run`: simulator.reports.chart_worker): `charts(page)` lists them,
and `render`/`write` take their SVGs, in that order. The experiment reports (compare.html,
sweep.html) are written with the same `write` by the experiment package's `pages` module.
"""

from __future__ import annotations

import html
import math
from collections.abc import Collection, Sequence
from pathlib import Path

from simulator.reports import views
from simulator.reports.charts import Chart, svgs
from simulator.reports.left_out import trimmed
from simulator.reports.method import RunMethod
from simulator.reports.page import Cell, Page, Table
from simulator.reports.summary import Summary

__all__ = ["CSS", "charts", "render", "write", "write_run_report"]

CSS = """
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #1d2330; background: #f6f7f9; }
header { background: #1d2330; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 6px; font-size: 22px; }
header dl { display: flex; flex-wrap: wrap; gap: 4px 22px; margin: 0; font-size: 13px; }
header dt { opacity: 0.7; } header dd { margin: 0 0 0 4px; }
header dl div { display: flex; }
nav { padding: 10px 28px; background: #e9ecf1; font-size: 13px; }
nav a { margin-right: 14px; color: #1f4f8f; text-decoration: none; }
main { padding: 8px 28px 40px; max-width: 1180px; }
section { background: #fff; border-radius: 6px; padding: 6px 20px 16px; margin: 18px 0;
          box-shadow: 0 1px 2px rgba(0,0,0,0.08); }
h2 { font-size: 18px; margin: 14px 0 6px; }
.intro { color: #4a5160; margin: 0 0 8px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr));
          gap: 12px; }
figure { margin: 0; }
figure svg { width: 100%; height: auto; display: block; }
table { border-collapse: collapse; margin: 12px 0 4px; font-size: 12.5px;
        font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { padding: 3px 9px; border-bottom: 1px solid #e3e6eb; text-align: right;
         white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
th { background: #f0f2f5; font-weight: 600; }
td.strong { font-weight: 700; color: #a3261b; }
.table-wrap { overflow-x: auto; }
.note { color: #5b6270; font-size: 12px; margin: 2px 0 8px; }
.warnings { background: #fff4e5; border: 1px solid #f0b45a; border-radius: 6px;
            padding: 8px 14px; margin: 16px 0; }
"""


def charts(page: Page) -> list[tuple[Chart, str]]:
    """The page's charts as `render` draws them, in order: (chart, its ids' prefix)."""
    kept = [c for s in page.sections for c, _ in map(trimmed, s.charts) if c is not None]
    return [(chart, f"f{no}") for no, chart in enumerate(kept, start=1)]


def render(page: Page, drawn: Sequence[str] | None = None) -> str:
    """The page as HTML; `drawn`: the SVGs of `charts(page)` (default: drawn here)."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(page.title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        f'<body data-report="{_e(page.kind)}">',
        "<header>",
        f"<h1>{_e(page.title)}</h1>",
        "<dl>",
        *(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in page.facts),
        "</dl>",
        "</header>",
        "<nav>",
        *(f'<a href="#s{i}">{_e(s.title)}</a>' for i, s in enumerate(page.sections)),
        "</nav>",
        "<main>",
    ]
    if page.warnings:
        parts.append('<div class="warnings" role="alert"><ul>')
        parts += [f"<li>{_e(w)}</li>" for w in page.warnings]
        parts.append("</ul></div>")
    # a chart that would show nothing is left out, a one-line note in its place
    trims = [[trimmed(c) for c in section.charts] for section in page.sections]
    svg = iter(svgs(charts(page)) if drawn is None else drawn)
    chart_no = 0
    for i, (section, trim) in enumerate(zip(page.sections, trims, strict=True)):
        parts.append(f'<section id="s{i}">')
        parts.append(f"<h2>{_e(section.title)}</h2>")
        if section.intro:
            parts.append(f'<p class="intro">{_e(section.intro)}</p>')
        notes = [note for _, note in trim if note]
        if any(chart is not None for chart, _ in trim):
            parts.append('<div class="charts">')
            for chart, _ in trim:
                if chart is None:
                    continue
                chart_no += 1
                parts.append(
                    f'<figure class="chart" data-chart="{chart_no}" '
                    f'aria-label="{_e(chart.title)}">{next(svg)}</figure>'
                )
            parts.append("</div>")
        parts += [f'<p class="note left-out">{_e(note)}</p>' for note in notes]
        parts += [_table(t) for t in section.tables]
        parts.append("</section>")
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


def _table(table: Table) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in table.columns)
    rows = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in table.rows)
    note = f'<p class="note">{_e(table.note)}</p>' if table.note else ""
    return (
        f'<div class="table-wrap"><table><caption>{_e(table.title)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>{note}"
    )


def _cell(cell: Cell) -> str:
    attrs = ""
    if cell.value is not None and not math.isnan(cell.value):
        attrs += f' data-value="{cell.value!r}"'
    if cell.strong:
        attrs += ' class="strong"'
    return f"<td{attrs}>{_e(cell.text)}</td>"


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def write(page: Page, path: Path, drawn: Sequence[str] | None = None) -> None:
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(render(page, drawn), encoding="utf-8")
    tmp.replace(path)


# --- the reports the commands write -------------------------------------------------------


def write_run_report(
    summary: Summary, path: Path, run: RunMethod | None = None, unseen: Collection[str] = ()
) -> None:
    """The report of one run (`chargenet run`, and `chargenet report` with the metrics a
    store cannot tell `unseen`): its tables hold summary.json's numbers, its method section
    the run's own (`run`) too."""
    write(views.run_page(summary, run, unseen), path)
