"""Comparisons: common random numbers make identical scenarios differ by exactly zero, and
scenarios that differ only in their rules see the same arrivals, so paired differences are
tighter than independent intervals."""

from __future__ import annotations

import math

from simulator import scenario as sc
from simulator.experiment import comparison as cmp
from simulator.experiment import execution
from simulator.experiment.observations import Key
from simulator.experiment.replications import plan, scenario_data
from simulator.experiment.statistics import interval
from tests.experiment.helpers import ERLANG_C, SCENARIOS

TOTAL = "totals", "all", "all"


def key(metric: str) -> Key:
    return Key(*TOTAL, metric)


def test_common_random_numbers_make_two_identical_scenarios_differ_by_exactly_zero(
    dask_address: str,
) -> None:
    data = scenario_data(sc.load(ERLANG_C))
    tasks = plan([("A", data), ("B", data)], replications=4, base_seed=11, days=2)
    with execution.connect(dask_address) as client:
        runs = execution.execute(client, tasks)
    comparison = cmp.compare(["A", "B"], runs)
    differences = comparison.differences["B"]
    assert len(differences) == len(comparison.estimates["A"]) > 50
    for k, d in differences.items():
        assert (d.n, d.mean, d.half_width) == (4, 0.0, 0.0), k
    # ... while each scenario's own interval is not degenerate
    assert comparison.estimates["A"][key("p_wait")].half_width > 0


def test_rules_that_leave_demand_alone_see_the_same_arrivals_and_pair_tightly(
    dask_address: str,
) -> None:
    walled = scenario_data(sc.load(SCENARIOS / "walled_gardens.toml"))
    opening = scenario_data(sc.load(SCENARIOS / "nacs_opening.toml"))
    # 3.5 days: the opening (from day 1) runs 2.5 of them; the paired interval is 3.7 times
    # tighter here (2.7 times at 2.5 days, where the opening had run only 1.5 days)
    tasks = plan([("walled", walled), ("open", opening)], replications=5, base_seed=1, days=3.5)
    with execution.connect(dask_address) as client:
        runs = execution.execute(client, tasks)
    comparison = cmp.compare(["walled", "open"], runs)
    arrivals = comparison.differences["open"][key("arrivals")]
    assert (arrivals.mean, arrivals.half_width) == (0.0, 0.0)
    # Tesla's occupancy moves with the opening: the paired interval is far tighter than the
    # difference of two independent intervals would be
    tesla = Key("networks", "tesla", "all", "occupancy_utilization")
    paired = comparison.differences["open"][tesla]
    values = cmp.values_by_label(runs)
    unpaired = math.hypot(
        interval(list(values["walled"][tesla].values())).half_width,
        interval(list(values["open"][tesla].values())).half_width,
    )
    assert paired.half_width < unpaired / 3
    assert paired.excludes_zero()


def test_the_document_mirrors_the_summary_layout_with_intervals(dask_address: str) -> None:
    data = scenario_data(sc.load(SCENARIOS / "nissan_evgo.toml"))
    tasks = plan([("x", data), ("y", data)], replications=2, base_seed=3, days=1.5)
    with execution.connect(dask_address) as client:
        runs = execution.execute(client, tasks)
    comparison = cmp.compare(["x", "y"], runs)
    doc = cmp.document(comparison, scenarios=[], replications=2, seeds=[3, 4], runs=runs)
    data_out = doc.model_dump()
    x = data_out["estimates"]["x"]
    assert set(x) == {"totals", "networks", "sites", "brands"}
    occupancy = x["networks"]["evgo"]["occupancy_utilization"]
    assert set(occupancy) == {"n", "mean", "sd", "half_width", "low", "high"}
    assert occupancy["n"] == 2
    assert "p_wait" in x["networks"]["evgo"]["partner"]
    assert data_out["differences"]["y"]["totals"]["all"]["revenue"]["mean"] == 0.0
    assert cmp.CompareDocument.model_validate_json(doc.model_dump_json()) == doc
