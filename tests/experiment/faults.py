"""A Dask worker preload for the tests: makes chosen runs fail, on the worker, for real.

`dask worker --preload tests/experiment/faults.py` replaces the function that workers run with
one that raises for a scenario named `fails on seed N` when it runs with seed N; every other run
is untouched. Nothing in chargenet knows about it. Only workers load it: the test process
must not (a patched function would be shipped by value instead of by reference).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.experiment import replications

FAILING_NAME = "fails on seed {seed}"  # tests import it from tests.experiment.helpers
# Dask may load a preload twice in one process: wrap the original function only once.
_simulate = getattr(replications, "_unfaulted_simulate", replications.simulate)
replications._unfaulted_simulate = _simulate  # type: ignore[attr-defined]


def simulate(scenario: Mapping[str, Any], days: float | None, seed: int) -> dict[str, Any]:
    if scenario.get("name") == FAILING_NAME.format(seed=seed):
        raise RuntimeError(f"injected fault for seed {seed}")
    return _simulate(scenario, days, seed)


replications.simulate = simulate  # type: ignore[assignment]
