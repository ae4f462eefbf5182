"""The method section: summary.json's part is fixed by the scenario and seed, method.json and
the reports add the engine, version, run time and machine; both reports show it, and the
industry's measures under their own names."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from rich.console import Console

from simulator.reports import render, views
from simulator.reports.document import Method
from simulator.reports.html import render as html
from simulator.reports.method import RunMethod, machine, method_lines, run_method
from simulator.version import __version__
from tests.reports.helpers import DAYS, region_run

ROOT = Path(__file__).resolve().parents[2]


def test_summary_json_holds_the_seed_window_and_interval_method() -> None:
    method = region_run().summary.method
    assert method is not None
    assert (method.seeds, method.replications) == ([1], 1)
    assert method.horizon_days == DAYS
    assert method.measured_days == DAYS - method.warmup_days
    assert method.intervals.startswith("none: one run")


def test_method_json_adds_the_engine_version_run_time_and_machine() -> None:
    run = run_method("ocpp", 1.23456, {"tesla": "ocpp1.6", "ea": "ocpp2.0.1"})
    data = json.loads(run.to_json(region_run().summary.method))
    assert data["seeds"] == [1]
    assert (data["engine"], data["run_time_s"]) == ("ocpp", 1.235)
    assert data["ocpp_versions"] == {"tesla": "ocpp1.6", "ea": "ocpp2.0.1"}
    assert data["chargenet_version"] == __version__
    assert data["machine"] == machine()
    assert data["machine"]["cpu_count"] >= 1


def test_the_method_lines_name_the_engine_with_its_ocpp_versions() -> None:
    run = RunMethod("ocpp", {"a": "ocpp2.0.1", "b": "ocpp1.6"}, 2.0, "2026-01-01T00:00:00+00:00")
    lines = dict(method_lines(region_run().summary.method, run))
    assert lines["engine"] == "ocpp (1.6, 2.0.1)"
    assert lines["seeds"] == "1"
    assert lines["run time"].startswith("2.0 s")
    assert "CPUs" in lines["machine"]


def test_the_html_report_has_the_vocabulary_and_a_method_section() -> None:
    summary = region_run().summary
    page = views.run_page(summary, run_method("fast", 0.5))
    titles = [s.title for s in page.sections]
    assert titles[-3:] == ["EV Charging Use Specification", "ChargeX customer KPIs", "Method"]
    text = html(page)
    for name in ("Occupied Utilization Rate", "Capacity Factor", "Site Congestion Rate"):
        assert name in text
    assert "first-attempt success rate" in text
    spec = summary.ev_charging_use_spec
    assert spec is not None
    assert f'data-value="{round(spec.totals.capacity_factor_pct, 6)!r}"' in text
    assert "CPUs" in text


def test_the_text_report_prints_the_vocabulary_and_the_method() -> None:
    console = Console(width=200, record=True)
    render.print_summary(region_run().summary, console, run_method("fast", 0.5))
    text = console.export_text()
    for shown in ("occupied UR", "1st-try ok", "replications", "engine", "fast"):
        assert shown in text


def test_every_key_of_the_method_and_method_json_is_documented_in_outputs_md() -> None:
    text = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z0-9_]+)`", text))
    keys = [*Method.model_fields, *(f.name for f in dataclasses.fields(RunMethod))]
    assert [k for k in keys if k not in documented] == []
