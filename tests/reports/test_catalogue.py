"""The metric catalogue: every metric has exactly one entry, and every entry a metric, in the
typed values, summary.json's schema, a real summary.json and the documentation alike; shares
are on one scale, and only uptime_pct is scaled for the document."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from simulator.model.records import PortInterval, PortState
from simulator.reports import catalogue as cat
from simulator.reports import metrics as m
from simulator.reports.catalogue import CATALOGUE, DRIVER_METRICS, PORT_METRICS, Metric, info
from simulator.reports.summary import Metrics, to_json
from tests.reports.helpers import region_run

OUTPUTS_DOC = Path(__file__).resolve().parents[2] / "docs" / "outputs.md"
STRUCTURE = {"network", "partner", "non_partner"}
"""The keys of a summary group that are not metrics."""


def test_every_metric_has_exactly_one_entry_in_summary_order() -> None:
    assert list(CATALOGUE) == list(Metric)
    assert all(entry.metric is metric for metric, entry in CATALOGUE.items())
    assert len({e.key for e in CATALOGUE.values()}) == len(Metric)
    assert (*DRIVER_METRICS, *PORT_METRICS) == tuple(CATALOGUE.values())


def test_the_typed_values_and_the_schema_carry_exactly_the_catalogue_metrics() -> None:
    assert [f.name for f in dataclasses.fields(m.DriverMetrics)] == [
        e.metric.value for e in DRIVER_METRICS
    ]
    assert [f.name for f in dataclasses.fields(m.PortMetrics)] == [
        e.metric.value for e in PORT_METRICS
    ]
    assert list(Metrics.model_fields) == [e.key for e in CATALOGUE.values()] + [
        "network",
        "partner",
        "non_partner",
    ]


def test_a_catalogue_without_an_entry_for_a_metric_is_refused() -> None:
    entries = [e for e in CATALOGUE.values() if e.metric is not Metric.P95_WAIT_MIN]
    with pytest.raises(TypeError, match="P95_WAIT_MIN"):
        cat.catalogue_of(entries)
    with pytest.raises(TypeError, match="duplicate"):
        cat.catalogue_of([*CATALOGUE.values(), CATALOGUE[Metric.P_WAIT]])


def test_a_typed_value_with_a_metric_the_catalogue_does_not_know_is_refused() -> None:
    @dataclasses.dataclass(frozen=True)
    class Misspelt:
        ports: int
        occupancy_utilisation: float  # the catalogue says utilization

    with pytest.raises(TypeError, match="occupancy_utilisation"):
        cat.check_fields(Misspelt, PORT_METRICS)


def test_a_typed_value_missing_a_catalogue_metric_is_refused() -> None:
    fields = [(e.metric.value, float) for e in PORT_METRICS if e.metric is not Metric.PEAK_KW]
    short = dataclasses.make_dataclass("Short", fields)
    with pytest.raises(TypeError, match="peak_kw"):
        cat.check_fields(short, PORT_METRICS)


def test_every_key_of_a_real_summary_json_is_a_catalogue_key_and_back() -> None:
    data = json.loads(to_json(region_run().summary))
    all_keys = {e.key for e in CATALOGUE.values()}
    driver_keys = {e.key for e in DRIVER_METRICS}
    assert set(data["totals"]) - STRUCTURE == all_keys
    for group in (*data["networks"].values(), *data["sites"].values(), *data["ports"].values()):
        assert set(group) - STRUCTURE == all_keys
    for group in data["brands"].values():
        assert set(group) == driver_keys
    assert set(data["totals"]["partner"]) == driver_keys


def test_uptime_is_a_share_inside_and_uptime_pct_in_summary_json_as_before() -> None:
    entry = info("uptime_pct")
    assert entry.metric is Metric.UPTIME
    assert entry.scale == 100.0
    assert all(e.scale == 1.0 for e in CATALOGUE.values() if e.metric is not Metric.UPTIME)
    ports = [m.PortInfo("p", "s", "n", 50.0)]
    down = [PortInterval("p", PortState.DOWN, 0.0, 21_600.0)]
    values = cat.document_values(m.port_metrics(ports, down, [], 0, (0.0, 86_400.0)))
    assert values["uptime_pct"] == 75.0
    assert "uptime" not in values
    result = region_run()
    assert 0 < result.summary.totals.uptime_pct <= 100  # type: ignore[operator]


def test_an_unknown_metric_key_is_an_error_not_a_blank_column() -> None:
    for key in ("p_waitt", "uptime", "hourly_occupancy_h24", "wait_share_b9", "wait_share_bx"):
        with pytest.raises(KeyError):
            info(key)
    assert info(cat.hourly_metric(7)).label == "occupancy at 07:00"
    assert info(cat.wait_metric(0)).label == "no wait"
    assert info(cat.wait_metric(8)).label == "wait > 60 min"


def test_shares_are_shown_in_percent_and_differences_in_points() -> None:
    p_wait = info(Metric.P_WAIT)
    assert (p_wait.text(0.25), p_wait.delta(-0.015), p_wait.axis) == (
        "25.0 %",
        "-1.5 pp",
        "P(wait) (%)",
    )
    uptime = info(Metric.UPTIME)
    assert (uptime.text(99.5), uptime.axis) == ("99.50", "uptime (% of time)")


def test_every_metric_key_of_summary_json_is_documented_in_outputs_md() -> None:
    documented = set(re.findall(r"`([a-z0-9_]+)`", OUTPUTS_DOC.read_text(encoding="utf-8")))
    missing = [e.key for e in CATALOGUE.values() if e.key not in documented]
    assert missing == []
