"""The 95 % intervals cover the exact value of a closed-form case at about the nominal rate.

Erlang C (validation.md): lambda = 6/h, mean charge 30 min, c = 4 ports, unlimited patience:
utilization 0.75, P(wait) 0.5094. 300 independent replications (4 measured days after a day of
warm-up each) run on the test cluster and form 100 experiments of 3 replications. If the
intervals are right, the number of experiments whose interval covers the exact value is
Binomial(100, level): at 95 % it lies in [88, 100] and at 50 % in [35, 65] except with
probability below 0.002 each. The 50 % check catches intervals that are too wide, which 95 %
alone cannot.
"""

from __future__ import annotations

import pytest

from simulator import scenario as sc
from simulator.experiment import execution
from simulator.experiment.replications import plan, scenario_data
from simulator.experiment.statistics import interval
from tests.experiment.helpers import ERLANG_C, ERLANG_C_P_WAIT, ERLANG_C_UTILIZATION

EXPERIMENTS = 100
REPLICATIONS = 3
ACCEPT = {0.95: (88, 100), 0.5: (35, 65)}


@pytest.fixture(scope="module")
def erlang_c_runs(dask_address: str) -> list[tuple[float, float]]:
    data = scenario_data(sc.load(ERLANG_C))
    tasks = plan(
        [("erlang C", data)], replications=EXPERIMENTS * REPLICATIONS, base_seed=100_000, days=5
    )
    with execution.connect(dask_address) as client:
        runs = execution.execute(client, tasks)
    assert all(r.ok for r in runs)
    return [
        (r.summary.totals.occupancy_utilization or 0.0, r.summary.totals.p_wait)
        for r in runs
        if r.summary is not None
    ]


@pytest.mark.parametrize(("column", "exact"), [(0, ERLANG_C_UTILIZATION), (1, ERLANG_C_P_WAIT)])
@pytest.mark.parametrize("level", sorted(ACCEPT))
def test_intervals_cover_the_exact_erlang_c_value_at_their_nominal_rate(
    erlang_c_runs: list[tuple[float, float]], column: int, exact: float, level: float
) -> None:
    values = [run[column] for run in erlang_c_runs]
    groups = [values[i : i + REPLICATIONS] for i in range(0, len(values), REPLICATIONS)]
    covered = sum(interval(g, level).covers(exact) for g in groups)
    low, high = ACCEPT[level]
    print(f"level {level}: {covered} of {len(groups)} intervals cover {exact}")
    assert low <= covered <= high
