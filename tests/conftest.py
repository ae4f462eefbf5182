"""The suite's order: the longest units of work first, so that on two test processes none of them
is left running alone at the end (`make test` runs `-n 2 --dist loadgroup
--no-loadscope-reorder`, which keeps this order; an xdist group starts where its first test is)."""

from __future__ import annotations

import pytest

LONGEST_FIRST = (
    "tests/experiment/",  # the Dask cluster's group: 300 replications for the coverage test
    "tests/model/test_validation.py",  # thousands of simulated days of the closed-form cases
    "tests/test_cli.py",  # the quickstart's two days over OCPP
    "tests/test_shipped_scenarios.py",  # a shared-region day over OCPP; every scenario's runs
)


def _rank(item: pytest.Item) -> int:
    path = item.nodeid.split("::", 1)[0]
    return next(
        (i for i, prefix in enumerate(LONGEST_FIRST) if path.startswith(prefix)),
        len(LONGEST_FIRST),
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # a stable sort: each module's tests stay together and in order (module fixtures run once)
    items.sort(key=_rank)
