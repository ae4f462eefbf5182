"""The HTML report of a load run (DIR/report.html): one self-contained file drawn from the
run's load.json document, with no script and no external reference.

Charts, each over the run's windows against the ramp's target: connected charge points,
throughput, and latency percentiles (p50, p90, p99, max) of every action together and of each
action; then latency by percentile. Tables: the SLO verdicts (when given), every action's
figures, and the totals. Window percentiles come from the window's histograms (p90 and the
"all actions" merge are computed here with hdrh: load.json keeps the histograms, not every
figure); the run's figures are load.json's own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from simulator.load.slo import Verdict, at_percentile_ms, merged_histogram, percentile_ms
from simulator.reports.charts import Chart, Lines, Series, Timeline
from simulator.reports.html import render
from simulator.reports.page import Cell, Page, Section, Table

__all__ = ["load_page", "render_report", "write_report"]

#: Window latency lines: (label, figure).
_WINDOW_FIGURES: Final = (("p50", "p50"), ("p90", "p90"), ("p99", "p99"), ("max", "max"))
#: Latency by percentile: (label, percentile); "max" last.
_DISTRIBUTION: Final = (
    ("p50", 50.0),
    ("p90", 90.0),
    ("p99", 99.0),
    ("p99.9", 99.9),
    ("p99.99", 99.99),
)
#: The value axis turns logarithmic past this max/min ratio (a stall beside fast answers).
_LOG_RATIO: Final = 30.0


def write_report(document: Mapping[str, Any], path: Path, verdicts: Sequence[Verdict] = ()) -> None:
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(render_report(document, verdicts), encoding="utf-8")
    tmp.replace(path)


def render_report(document: Mapping[str, Any], verdicts: Sequence[Verdict] = ()) -> str:
    return render(load_page(document, verdicts))


def load_page(document: Mapping[str, Any], verdicts: Sequence[Verdict] = ()) -> Page:
    totals = document["totals"]
    connections = totals["connections"]
    facts = (
        ("target", str(document["target"])),
        ("OCPP", str(document.get("ocpp", "1.6"))),
        ("started", str(document["started_at"])),
        ("duration", _duration(float(document["duration_s"]))),
        ("ramp", str(document["ramp"])),
        ("shards", str(document["shards"])),
        ("calls", f"{totals['calls']:,}"),
        ("msgs/s", f"{totals['msgs_per_s']:,.1f}"),
        ("peak connected", f"{connections['peak_connected']:,}"),
    )
    broken = [v.line() for v in verdicts if not v.held]
    if document.get("stopped"):
        broken.insert(0, f"the run stopped early: {document['stopped']}")
    sections: list[Section] = []
    if verdicts:
        sections.append(Section("Service-level objectives", tables=(_slo_table(verdicts),)))
    sections.append(
        Section(
            "Over time",
            intro="Every figure per window of the run, against the ramp's target (dashed, "
            "right axis). Latency counts from each call's intended send time (open loop), so a "
            "stalled backend shows as latency, not as fewer calls.",
            charts=_time_charts(document),
        )
    )
    sections.append(
        Section(
            "Latency",
            intro="Over the whole run, from the merged HDR histograms (ms).",
            charts=(_distribution_chart(document),),
            tables=(_actions_table(document),),
        )
    )
    sections.append(Section("Totals", tables=(_totals_table(document),)))
    return Page(
        title=f"Load test of {document['target']}",
        kind="load",
        facts=facts,
        sections=tuple(sections),
        warnings=tuple(broken),
    )


# --- charts --------------------------------------------------------------------------------


def _time_charts(document: Mapping[str, Any]) -> tuple[Chart, ...]:
    windows: Sequence[Mapping[str, Any]] = document["windows"]
    if not windows:
        return ()
    duration_s = float(windows[-1]["end_s"])
    scale, x_axis = (60.0, "time since start (min)") if duration_s > 1200 else (1.0, "time (s)")
    x = tuple((float(w["start_s"]) + float(w["end_s"])) / 2 / scale for w in windows)
    target = Series("target charge points", tuple(float(w["target"]) for w in windows))
    charts: list[Chart] = [
        Timeline(
            "Connected charge points",
            x,
            x_axis,
            (
                Series("connected", tuple(float(w["connected"]) for w in windows)),
                Series("target", target.values),
            ),
            "charge points",
        ),
        Timeline(
            "Throughput",
            x,
            x_axis,
            (
                Series("answered calls/s", tuple(float(w["msgs_per_s"]) for w in windows)),
                Series(
                    "errors + timeouts /s",
                    tuple(
                        (float(w["errors"]) + float(w["timeouts"]))
                        / max(1e-9, float(w["end_s"]) - float(w["start_s"]))
                        for w in windows
                    ),
                ),
            ),
            "calls/s",
            reference=target,
            reference_axis="charge points",
        ),
        _latency_timeline("Latency, all actions", x, x_axis, windows, None, target),
    ]
    charts += [
        _latency_timeline(f"Latency, {name}", x, x_axis, windows, name, target)
        for name in _actions(document)
    ]
    return tuple(charts)


def _latency_timeline(
    title: str,
    x: tuple[float, ...],
    x_axis: str,
    windows: Sequence[Mapping[str, Any]],
    action: str | None,
    target: Series,
) -> Timeline:
    lines: dict[str, list[float]] = {label: [] for label, _ in _WINDOW_FIGURES}
    for window in windows:
        histogram = merged_histogram(window, None if action is None else [action])
        for label, figure in _WINDOW_FIGURES:
            empty = histogram is None or histogram.get_total_count() == 0
            lines[label].append(math.nan if empty else percentile_ms(histogram, figure))
    series = tuple(Series(label, tuple(values)) for label, values in lines.items())
    return Timeline(
        title,
        x,
        x_axis,
        series,
        "latency (ms)",
        reference=target,
        reference_axis="charge points",
        log=_spans_decades([v for s in series for v in s.values]),
    )


def _distribution_chart(document: Mapping[str, Any]) -> Lines:
    labels = (*(label for label, _ in _DISTRIBUTION), "max")
    series = []
    for name in (None, *_actions(document)):
        histogram = merged_histogram(document, None if name is None else [name])
        if histogram is None or histogram.get_total_count() == 0:
            continue
        values = [at_percentile_ms(histogram, p) for _, p in _DISTRIBUTION]
        values.append(histogram.get_max_value() / 1000.0)
        series.append(Series("all actions" if name is None else name, tuple(values)))
    service = _service_histogram(document)
    if service is not None and service.get_total_count():
        values = [at_percentile_ms(service, p) for _, p in _DISTRIBUTION]
        values.append(service.get_max_value() / 1000.0)
        series.append(Series("all, closed loop", tuple(values)))
    if not series:  # nothing was answered: an empty line still says so on the page
        series.append(Series("no answers", tuple(0.0 for _ in labels)))
    return Lines("Latency by percentile", labels, "percentile", tuple(series), "latency (ms)")


def _service_histogram(document: Mapping[str, Any]) -> Any:
    """Every action's latency from its actual send, merged (None when load.json has none)."""
    services = {
        name: entry["service"]
        for name, entry in document["actions"].items()
        if name != "all" and isinstance(entry.get("service"), Mapping)
    }
    return merged_histogram({"actions": services})


def _spans_decades(values: Sequence[float]) -> bool:
    positive = [v for v in values if v > 0 and not math.isnan(v)]
    return bool(positive) and max(positive) / min(positive) > _LOG_RATIO


# --- tables --------------------------------------------------------------------------------


def _slo_table(verdicts: Sequence[Verdict]) -> Table:
    rows = tuple(
        (
            Cell(v.slo.text),
            Cell("held" if v.held else "BROKEN", strong=not v.held),
            Cell(v.slo.show(v.measured) if v.measured is not None else v.why, v.measured),
            Cell(f"{v.slo.op} {v.slo.show(v.slo.bound)}", v.slo.bound),
        )
        for v in verdicts
    )
    return Table("SLO verdicts", ("SLO", "verdict", "measured", "bound"), rows)


def _actions_table(document: Mapping[str, Any]) -> Table:
    figures = ("p50", "p90", "p99", "p99.9", "max", "mean")
    keys = ("p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "mean_ms")
    counts = ("count", "errors", "timeouts", "lost")
    rows: list[tuple[Cell, ...]] = []
    actions: Mapping[str, Any] = document["actions"]
    names = _actions(document)
    for name in names:
        entry = actions[name]
        service = entry.get("service") or {}
        rows.append(
            (
                Cell(name),
                *(_count(entry.get(c, 0)) for c in counts),
                *(_ms(float(entry[k])) for k in keys),
                *(_ms(float(service[k])) if k in service else Cell("") for k in _SERVICE_KEYS),
            )
        )
    merged = merged_histogram(document)
    if merged is not None and merged.get_total_count():
        service_all = _service_histogram(document)
        rows.append(
            (
                Cell("all actions"),
                *(_count(sum(int(actions[n].get(c, 0)) for n in names)) for c in counts),
                *(_ms(percentile_ms(merged, f)) for f in figures),
                *(
                    _ms(percentile_ms(service_all, f)) if service_all is not None else Cell("")
                    for f in ("p99", "max")
                ),
            )
        )
    handshake = document.get("handshake")
    if handshake and handshake.get("count"):
        rows.append(
            (
                Cell("websocket handshake"),
                _count(handshake["count"]),
                *(Cell("") for _ in counts[1:]),
                *(_ms(float(handshake[k])) for k in keys),
                *(Cell("") for _ in _SERVICE_KEYS),
            )
        )
    return Table(
        "Latency by action (ms)",
        ("action", "calls", "CALLERRORs", "timeouts", "lost", *figures, *_SERVICE_COLUMNS),
        tuple(rows),
        note="calls: CALLs sent; lost: unanswered when their connection closed; latency: of "
        "the answered calls, from the intended send time (open loop); closed-loop: from the "
        "actual send, what a tester that waits for each answer would report; the handshake "
        "row: the websocket opening handshakes, from the intended connect time.",
    )


#: The closed-loop columns: keys of an action's "service" entry.
_SERVICE_KEYS: Final = ("p99_ms", "max_ms")
_SERVICE_COLUMNS: Final = ("closed-loop p99", "closed-loop max")


def _totals_table(document: Mapping[str, Any]) -> Table:
    totals = document["totals"]
    connections = totals["connections"]
    rows: list[tuple[Cell, ...]] = [
        (Cell("calls sent"), _count(totals["calls"])),
        (Cell("calls answered"), _count(totals["answered"])),
    ]
    rows += [
        (Cell(f"CALLERROR {code}"), _count(n)) for code, n in sorted(totals["callerrors"].items())
    ]
    rows += [
        (Cell("timeouts"), _count(totals["timeouts"])),
        (Cell("lost with their connection"), _count(totals.get("lost", 0))),
        (Cell("answered calls/s"), Cell(f"{totals['msgs_per_s']:,.1f}", totals["msgs_per_s"])),
        (Cell("calls from the central system"), _count(totals.get("server_calls", 0))),
        (
            Cell("generator's send lag, max (ms)"),
            _ms(float(totals.get("send_lag_max_ms", 0.0))),
        ),
        (Cell("connection attempts"), _count(connections["attempts"])),
        (Cell("connections opened"), _count(connections["opened"])),
    ]
    rows += [
        (Cell(f"connections failed: {cause}"), _count(n))
        for cause, n in sorted(connections["failed"].items())
    ]
    rows += [
        (Cell("reconnects"), _count(connections["reconnects"])),
        (Cell("drops"), _count(connections.get("drops", 0))),
        (Cell("peak connected"), _count(connections["peak_connected"])),
    ]
    return Table("Totals", ("", "value"), tuple(rows))


def _actions(document: Mapping[str, Any]) -> list[str]:
    """The actions measured, "all" (a merge, when present) left out, most calls first."""
    entries: Mapping[str, Any] = document["actions"]
    return sorted((n for n in entries if n != "all"), key=lambda n: (-int(entries[n]["count"]), n))


def _count(value: Any) -> Cell:
    return Cell(f"{int(value):,}", float(value))


def _ms(value: float) -> Cell:
    return Cell(f"{value:,.1f}" if value >= 100 else f"{value:.3g}", value)


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.2g} h"
    if seconds >= 120:
        return f"{seconds / 60:.3g} min"
    return f"{seconds:.3g} s"
