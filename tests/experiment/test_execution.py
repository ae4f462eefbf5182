"""Tasks run on a real Dask cluster (scheduler and workers on 127.0.0.1, started by the tests);
a failing run is reported with its scenario, seed and error while the others finish."""

from __future__ import annotations

import socket
import threading

import pytest

from simulator import scenario as sc
from simulator.errors import UserError
from simulator.experiment import execution
from simulator.experiment.replications import Run, plan, scenario_data
from tests.experiment.helpers import ERLANG_C, FAILING_NAME

DAYS = 1.5


def erlang_c(name: str | None = None) -> dict:
    data = scenario_data(sc.load(ERLANG_C))
    if name is not None:
        data["name"] = name
    return data


def test_tasks_run_on_an_existing_cluster_and_come_back_in_task_order(dask_address: str) -> None:
    tasks = plan([("a", erlang_c()), ("b", erlang_c())], replications=3, base_seed=7, days=DAYS)
    seen: list[Run] = []
    with execution.connect(dask_address) as client:
        runs = execution.execute(client, tasks, seen.append)
    assert [r.task for r in runs] == tasks
    assert sorted(id(r) for r in seen) == sorted(id(r) for r in runs)
    assert all(r.ok for r in runs)
    assert [r.summary.seed for r in runs if r.summary] == [7, 7, 8, 8, 9, 9]
    assert all(r.summary.ports == {} for r in runs if r.summary)  # kept off the wire


def test_a_failing_replication_is_reported_and_the_others_finish(dask_address: str) -> None:
    failing = FAILING_NAME.format(seed=2)
    tasks = plan(
        [("fine", erlang_c()), ("flaky", erlang_c(failing))], replications=3, base_seed=1, days=DAYS
    )
    with execution.connect(dask_address) as client:
        runs = execution.execute(client, tasks)
    failed = [r for r in runs if not r.ok]
    assert len(failed) == 1
    (run,) = failed
    assert (run.task.label, run.task.replication, run.task.seed) == ("flaky", 1, 2)
    assert run.error == "RuntimeError: injected fault for seed 2"
    assert run.failure() == (
        "replication 1 of 'flaky' (seed 2) failed: RuntimeError: injected fault for seed 2"
    )
    assert sum(r.ok for r in runs) == 5


def test_an_unreachable_scheduler_is_a_one_line_user_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(execution, "CONNECT_TIMEOUT_S", 1)
    with pytest.raises(UserError) as e, execution.connect("tcp://127.0.0.1:9"):
        pass
    assert str(e.value).startswith("--scheduler tcp://127.0.0.1:9: cannot connect (")
    assert "\n" not in str(e.value)


def test_a_port_where_no_dask_scheduler_answers_is_a_one_line_user_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]

        def answer_like_a_web_server() -> None:
            while True:
                try:
                    conn, _ = server.accept()
                except OSError:  # the test closed the server
                    return
                with conn:
                    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok" * 4)

        thread = threading.Thread(target=answer_like_a_web_server, daemon=True)
        thread.start()
        with pytest.raises(UserError) as e, execution.connect(f"tcp://127.0.0.1:{port}"):
            pass
    assert str(e.value).startswith(
        f"--scheduler tcp://127.0.0.1:{port}: no Dask scheduler answers there ("
    )
    assert "\n" not in str(e.value)


def test_workers_cannot_be_sized_on_an_existing_cluster(dask_address: str) -> None:
    with (
        pytest.raises(UserError, match="--workers sizes the local cluster"),
        execution.connect(dask_address, workers=2),
    ):
        pass


def test_the_default_is_one_worker_per_core_and_never_more_than_tasks() -> None:
    assert execution.default_workers(1) == 1
    assert execution.default_workers(10_000) == execution.cores()
