"""A summary flattened for experiments: every number it records is a catalogue metric, the
hourly profile and the wait histogram one metric per hour and per bin."""

from __future__ import annotations

from simulator.experiment.observations import SCOPES, TOTAL_GROUP, Key, observations
from simulator.reports.catalogue import (
    CATALOGUE,
    Metric,
    hourly_metric,
    info,
    wait_metric,
)
from simulator.reports.metrics import wait_bin_labels
from tests.reports.helpers import region_run


def _observed() -> dict[Key, float]:
    summary = region_run().summary
    return observations(summary.model_copy(update={"ports": {}}).model_dump(exclude_none=True))


def test_every_number_an_experiment_records_has_a_catalogue_entry() -> None:
    obs = _observed()
    assert {k.scope for k in obs} == set(SCOPES)
    entries = {k.metric: info(k.metric) for k in obs}  # a KeyError for an unknown metric
    scalar_keys = {e.key for e in CATALOGUE.values() if not e.profile}
    assert scalar_keys <= set(entries)


def test_the_profiles_become_one_metric_per_hour_and_per_bin_on_the_document_scale() -> None:
    obs = _observed()
    totals = region_run().summary.totals
    hourly = [obs[Key("totals", TOTAL_GROUP, "all", hourly_metric(h))] for h in range(24)]
    assert hourly == totals.hourly_occupancy
    bins = [
        obs[Key("totals", TOTAL_GROUP, "all", wait_metric(k))]
        for k in range(len(wait_bin_labels()))
    ]
    assert bins == totals.wait_distribution
    uptime = Key("totals", TOTAL_GROUP, "all", info(Metric.UPTIME).key)
    assert obs[uptime] == totals.uptime_pct
