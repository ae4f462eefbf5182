"""Running an experiment's tasks on Dask: a local cluster by default, or an existing scheduler.

The local cluster is processes (one thread each, at most one per core), bound to 127.0.0.1
(its HTTP endpoint on a free port), with its logging and warnings kept off the terminal;
nothing needs to be started by hand.
`--scheduler ADDRESS` sends the same tasks to a running cluster instead; its workers need
chargenet installed (checked before anything is submitted).

Tasks run independently: a task that fails is reported as a `Run` with its error, and every
other task still finishes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import threading
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence

from simulator.errors import UserError
from simulator.experiment.replications import Run, Task, one_line, run_on_worker, summary_of

CONNECT_TIMEOUT_S = 10
WORKERS_TIMEOUT_S = 30
_NOISY_LOGGERS = ("distributed", "tornado", "asyncio")
LOCAL_WORKER_CONFIG = {
    # a run is seconds of pure Python: no sampling profiler or GIL monitor stealing from it
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.gil.enabled": False,
}


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_workers(tasks: int) -> int:
    """One worker per core, and never more workers than tasks."""
    return max(1, min(cores(), tasks))


@contextlib.contextmanager
def quiet_dask() -> Iterator[None]:
    """Keep Dask's informational logging (and its shutdown chatter) off the terminal."""
    loggers = [logging.getLogger(name) for name in _NOISY_LOGGERS]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=r"distributed\.")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


@contextlib.contextmanager
def connect(scheduler: str | None = None, workers: int | None = None) -> Iterator[object]:
    """A `distributed.Client` on a fresh local cluster of `workers` processes (default: one per
    core), or on the scheduler at `scheduler`. User mistakes become a one-line UserError."""
    import dask
    from dask.distributed import Client, LocalCluster

    with quiet_dask(), contextlib.ExitStack() as stack:
        if scheduler:
            if workers is not None:
                raise UserError("--workers sizes the local cluster; it cannot go with --scheduler")
            _check_reachable(scheduler)
            try:
                client = Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as e:
                raise UserError(
                    f"--scheduler {scheduler}: cannot connect ({one_line(e)})"
                ) from None
            stack.callback(client.close)
            try:
                client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_S)
            except TimeoutError:
                raise UserError(
                    f"--scheduler {scheduler}: no worker joined within {WORKERS_TIMEOUT_S} s"
                ) from None
        else:
            stack.enter_context(dask.config.set(LOCAL_WORKER_CONFIG))
            with sigint_blocked():
                cluster = LocalCluster(
                    n_workers=workers or cores(),
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address="127.0.0.1:0",  # its HTTP server; never the busy :8787
                    silence_logs=logging.CRITICAL,
                )
                stack.callback(cluster.close)
            client = Client(cluster, set_as_default=False)
            stack.callback(client.close)
        _check_workers(client, scheduler)
        yield client


@contextlib.contextmanager
def sigint_blocked() -> Iterator[None]:
    """SIGINT held back while the local cluster starts. Its worker processes, and the thread
    that starts and restarts them, inherit the signal mask: Ctrl-C on a terminal, which signals
    the whole process group, then reaches this process alone (the workers would each print a
    traceback), and the cluster's own shutdown stops them. A Ctrl-C meanwhile is delivered
    when the mask is lifted, as KeyboardInterrupt, once the cluster can be closed."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not (
        threading.main_thread()
    ):
        yield
        return
    # Started now, not by the first worker's spawn: starting it unblocks SIGINT in the thread
    # that starts it (multiprocessing.resource_tracker), and the workers would inherit that.
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _check_reachable(scheduler: str) -> None:
    """A malformed or closed address fails here, fast and in one line, before a Client exists
    (a Client that failed to connect lingers and complains when it is collected)."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(scheduler)
        host, port = parse_host_port(location)
    except ValueError as e:
        raise UserError(f"--scheduler {scheduler}: not an address ({e})") from None
    if scheme not in ("tcp", "tls"):
        raise UserError(f"--scheduler {scheduler}: expected tcp://HOST:PORT (or tls://)")
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as e:
        reason = e.strerror or type(e).__name__
        raise UserError(f"--scheduler {scheduler}: cannot connect ({reason})") from None
    try:
        asyncio.run(asyncio.wait_for(_handshake(scheduler), CONNECT_TIMEOUT_S))
    except Exception as e:
        raise UserError(
            f"--scheduler {scheduler}: no Dask scheduler answers there ({one_line(e)})"
        ) from None


async def _handshake(address: str) -> None:
    from distributed.comm import connect as dask_connect

    comm = await dask_connect(address, timeout=CONNECT_TIMEOUT_S)
    await comm.close()


def _check_workers(client: object, scheduler: str | None) -> None:
    try:
        client.run(_worker_probe)  # type: ignore[attr-defined]
    except Exception as e:
        where = f"--scheduler {scheduler}" if scheduler else "local cluster"
        raise UserError(f"{where}: workers cannot run chargenet ({one_line(e)})") from None


def _worker_probe() -> bool:
    import simulator.experiment.replications  # noqa: F401  (fails on a worker without chargenet)

    return True


def execute(
    client: object, tasks: Sequence[Task], on_run: Callable[[Run], None] | None = None
) -> list[Run]:
    """Run every task; call `on_run` as each finishes (in completion order); return the runs in
    task order. A failing task becomes a Run with its error; the others carry on."""
    from dask.distributed import as_completed

    token = uuid.uuid4().hex[:8]
    futures = {
        client.submit(  # type: ignore[attr-defined]
            run_on_worker,
            dict(task.scenario),
            task.days,
            task.seed,
            key=f"chargenet-{token}-{i}-{task.label}-r{task.replication}",
            pure=False,
        ): i
        for i, task in enumerate(tasks)
    }
    runs: dict[int, Run] = {}
    for future in as_completed(list(futures), loop=client.loop):  # type: ignore[attr-defined]
        i = futures[future]
        run = _collect(tasks[i], future)
        future.release()
        runs[i] = run
        if on_run is not None:
            on_run(run)
    return [runs[i] for i in range(len(tasks))]


def _collect(task: Task, future: object) -> Run:
    if future.status != "finished":  # type: ignore[attr-defined]
        # the worker died, or Dask gave up on the task (KilledWorker)
        return Run(task, None, one_line(future.exception()))  # type: ignore[attr-defined]
    answer = future.result()  # type: ignore[attr-defined]
    if "error" in answer:
        return Run(task, None, str(answer["error"]))
    try:
        return Run(task, summary_of(answer["summary"]))
    except Exception as e:
        return Run(task, None, f"unreadable result ({one_line(e)})")
