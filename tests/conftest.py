"""How `make test` (`-n 2 --dist loadgroup --no-loadscope-reorder`) spreads the suite over its
two test processes.

Groups: the tests that share a costly fixture run in one process, which makes it once (the Dask
cluster and test_coverage.py's 300 replications on it; the quickstart's OCPP run; the shipped
scenarios' runs; the validation cases' shared Erlang C and B runs). xdist's own loadgroup names
its groups by rewriting node ids, which pytest 9.2 no longer allows, so the groups are listed
here by node id and `pytest_xdist_make_scheduler` schedules by them; a test that uses one of the
shared fixtures outside its group is refused at collection.

Order: the longest units first, so that none is left running alone at the end (the scheduler
keeps the collection order; a group starts where its first test is).
"""

from __future__ import annotations

import signal
import threading
from typing import Any

import pytest

# A suite started in the background of a non-interactive shell inherits SIGINT ignored, and so
# would every command it starts, which then shrugs off the Ctrl-C tests' signal: give it back
# the disposition a terminal's foreground has (children inherit an ignored signal, not a handler).
if (
    threading.current_thread() is threading.main_thread()
    and signal.getsignal(signal.SIGINT) is signal.SIG_IGN
):
    signal.signal(signal.SIGINT, signal.default_int_handler)

GROUPS: dict[str, tuple[str, ...]] = {
    "dask": (
        "tests/experiment/test_compare_command.py::",
        "tests/experiment/test_comparison.py::",
        "tests/experiment/test_coverage.py::",
        "tests/experiment/test_execution.py::",
        "tests/experiment/test_sweep_command.py::",
        "tests/experiment/test_resume.py::",
        "tests/experiment/test_progress.py::",
    ),
    "validation": ("tests/model/test_validation.py::",),
    "quickstart_run": tuple(
        f"tests/test_cli.py::{name}"
        for name in (
            "test_the_console_script_runs_the_quickstart_in_a_fresh_process",
            "test_run_goes_over_ocpp_by_default_and_writes_an_html_report",
            "test_run_writes_summary_json_with_the_documented_keys",
            "test_the_summary_adds_up_across_networks_and_outcomes",
            "test_run_writes_one_sessions_csv_row_per_arrival_with_the_documented_columns",
        )
    ),
    "shipped_outputs": tuple(
        f"tests/test_shipped_scenarios.py::{name}"
        for name in (
            "test_a_shipped_scenario_matches_its_golden_summary[",
            "test_a_shipped_scenario_gives_byte_identical_summaries_twice[",
            "test_walled_gardens_keeps_every_other_brand_off_the_tesla_network",
            "test_the_nacs_opening_lets_adapter_carrying_brands_charge_at_tesla_but_not_the_leaf",
            "test_nissan_drivers_charge_free_at_evgo_and_nissan_pays",
            "test_id4_drivers_charge_free_at_electrify_america_and_volkswagen_pays[",
            "test_interoperability_opens_every_network_and_charges_roaming_fees",
            "test_the_consortium_is_open_to_all_and_its_owners_drivers_charge_free_paid_by_their",
            "test_the_ariya_is_held_to_its_adapters_50_kw_at_tesla_and_nowhere_else",
        )
    ),
    "v201_day": tuple(
        f"tests/ocpp/test_v201.py::{name}"
        for name in (
            "test_a_201_run_writes_the_fast_engines_summary_and_sessions_byte_for_byte",
            "test_a_16_run_and_a_run_mixing_versions_by_network_write_the_same_bytes",
            "test_every_message_passed_the_stock_validation_and_got_an_answer",
            "test_each_transaction_runs_started_updated_ended_with_seq_nos_from_zero_without_gaps",
            "test_every_started_transaction_is_ended_with_the_reason_the_model_stopped_it",
            "test_started_carries_the_begin_register_and_the_driver_token_and_updates_sample_periodic",
            "test_status_notifications_use_the_201_connector_statuses_per_evse_connector",
            "test_a_run_mixing_versions_against_the_built_in_central_system_writes_the_same_bytes",
        )
    ),
    # the CLI run the facade and the notebook are held against, and the notebook's kernel run
    "chargenet_cli": ("tests/chargenet/test_notebook.py::", "tests/chargenet/test_results.py::"),
    # operator calls at fixed instants: the model's run and three over OCPP, made once
    "v201_operator": ("tests/ocpp/test_v201_operator_calls.py::",),
    # one OCPP run against the test's stock central system for every smart-charging check
    "smart_charging_run": ("tests/ocpp/test_smart_charging.py::",),
    # the same over 2.0.1
    "smart_charging_201_run": ("tests/ocpp/test_v201_smart_charging.py::",),
    # the paced day against ocpp-csms: split over both processes, one of them waited on the
    # other's run (its file lock) for 19 s
    "interop_day": ("tests/ocpp/test_interop_ocpp_csms.py::",),
}
SHARED_FIXTURES = {
    "dask_address": "dask",
    "quickstart_process": "quickstart_run",
    "outputs": "shipped_outputs",
    "failing_day": "v201_day",
    "cli_run": "chargenet_cli",
    "operator_runs": "v201_operator",
    "smart_run": "smart_charging_run",
    "smart201_run": "smart_charging_201_run",
    "day": "interop_day",
}
"""The fixtures made once per process, and the group whose process makes them."""
SHARED_FIXTURE_TIMEOUT_S = 600
"""pytest-timeout for their users: the first one pays for the fixture (a two-day OCPP run, a
Dask cluster), which took over 110 s at load averages of 12-18 on 2 cores (2026-12-01)."""

LONGEST_FIRST = (
    "tests/experiment/",  # the Dask group: 300 replications for the coverage test
    # the longest single test (a shared-region day over OCPP 1.6, 121 stations): from the
    # start, on the other process, rather than behind its module's 40 short ones
    "tests/test_shipped_scenarios.py::test_a_shared_region_scenario_runs_for_one_day_over_ocpp",
    "tests/test_shipped_scenarios.py",  # every shipped scenario's runs
    "tests/test_cli.py",  # the quickstart's two days over OCPP
    "tests/ocpp/test_v201_region.py",  # a shared-region day over 2.0.1, stock v201 CSMS
    # the last of the collection order's long tests (13.5 s, 8 s each): they were the suite's
    # last units, one process running them while the other had nothing left (2026-12-02)
    "tests/test_scenario_templates.py::test_over_the_wire_the_central_system_records_each_",
    "tests/test_interrupts.py",
)
"""Not the validation cases: started next to the Dask group's replications (CPU-bound both), five
of them hit the 120 s timeout at load 8 to 17 (2026-12-01); in collection order they passed."""


def group_of(nodeid: str) -> str | None:
    return next((group for group, prefixes in GROUPS.items() if nodeid.startswith(prefixes)), None)


def _rank(item: pytest.Item) -> int:
    return next(
        (i for i, prefix in enumerate(LONGEST_FIRST) if item.nodeid.startswith(prefix)),
        len(LONGEST_FIRST),
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, group in SHARED_FIXTURES.items():
            if fixture not in getattr(item, "fixturenames", ()):
                continue
            if group_of(item.nodeid) != group:
                raise pytest.UsageError(
                    f"{item.nodeid} uses {fixture}: list it in tests/conftest.py's {group} group"
                )
            if item.get_closest_marker("timeout") is None:
                item.add_marker(pytest.mark.timeout(SHARED_FIXTURE_TIMEOUT_S))
    # a stable sort: each module's tests stay together and in order (module fixtures run once)
    items.sort(key=_rank)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByGroup(LoadScopeScheduling):
        """A work unit is a group of GROUPS, or one test."""

        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid) or nodeid

    return ByGroup(config, log)
