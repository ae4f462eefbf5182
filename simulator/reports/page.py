"""What an HTML report holds, before it is drawn: sections of charts and tables.

`simulator.reports.views` fills these from a summary and records, the experiment package's
`pages` from estimates; `simulator.reports.html` draws them. A table cell carries its text
and, for numbers, the exact value it shows (the number in summary.json, compare.json or sweep.json).
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.reports.charts import Chart


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    value: float | None = None
    """The number shown, as in the JSON document (None for text)."""
    strong: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    intro: str = ""
    charts: tuple[Chart, ...] = ()
    tables: tuple[Table, ...] = ()


@dataclass(frozen=True, slots=True)
class Page:
    title: str
    kind: str
    """run, compare or sweep"""
    facts: tuple[tuple[str, str], ...]
    sections: tuple[Section, ...]
    warnings: tuple[str, ...] = ()
