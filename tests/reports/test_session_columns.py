"""The columnar driver metrics equal metrics.session_metrics value for value, on real runs:
every group the summary measures, with failed tries (attempts) and partner splits; and the
summary, which pauses the cyclic collector, leaves it as it was."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from simulator.model.records import Outcome
from simulator.reports import metrics as m
from simulator.reports import session_columns as sc
from tests.reports.helpers import region_run


@pytest.mark.parametrize(
    "scenario", ["nissan_evgo.toml", "attempts_calibrated.toml", "vw_ea_free.toml"]
)
def test_columnar_driver_metrics_equal_session_metrics_in_every_group(scenario: str) -> None:
    sessions = m.in_window(region_run(scenario).records)
    columns = sc.columns(sessions)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for row, s in enumerate(sessions):
        groups["all", ""].append(row)
        groups["brand", s.brand].append(row)
        groups["network", s.network].append(row)
        groups["port", s.port].append(row)
        groups["partner", str(s.partner)].append(row)
    groups["none", ""] = []
    assert len(groups) > 5
    for key, rows in groups.items():
        expected = m.session_metrics([sessions[r] for r in rows])
        assert sc.driver_metrics(columns, np.array(rows, dtype=np.intp)) == expected, key


def test_the_runs_compared_hold_failed_tries_and_free_sessions() -> None:
    """Without these the equality above would not reach the retried and free branches."""
    tried = m.in_window(region_run("attempts_calibrated.toml").records)
    assert any(s.outcome is Outcome.RETRIED for s in tried)
    free = m.in_window(region_run("vw_ea_free.toml").records)
    assert any(s.free and s.outcome is Outcome.SERVED for s in free)


@pytest.mark.parametrize("enabled", [True, False], ids=["collector on", "collector off"])
def test_the_summary_leaves_the_cyclic_collector_as_it_found_it(enabled: bool) -> None:
    import gc

    from simulator import runner

    run = region_run("nissan_evgo.toml")
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        runner.summarize_world(run.world, run.records)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
