"""Running an experiment's tasks from the command line: connect to Dask, count finished runs on
a progress bar (stderr), and report each failing run in one line as it happens."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from simulator.experiment.execution import connect, default_workers, execute
from simulator.experiment.replications import Run, Task


@contextlib.contextmanager
def cluster(scheduler: str | None, workers: int | None, tasks: int) -> Iterator[object]:
    """A Dask client for `tasks` runs: the scheduler given, or a local cluster of `workers`
    processes (default: one per core, at most one per task)."""
    if scheduler is None and workers is None:
        workers = default_workers(tasks)
    with connect(scheduler, workers) as client:
        yield client


def run_tasks(
    client: object,
    tasks: Sequence[Task],
    *,
    quiet: bool = False,
    stderr: Console | None = None,
) -> list[Run]:
    """Run the tasks, counting finished runs on a progress bar and reporting each failing run
    in one line (stderr) as it happens."""
    err = stderr or Console(stderr=True, highlight=False)
    with Progress(
        TextColumn("runs"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=quiet or not err.is_terminal,
    ) as bar:
        progress = bar.add_task("runs", total=len(tasks), failed="")
        failed = 0

        def on_run(run: Run) -> None:
            nonlocal failed
            if not run.ok:
                failed += 1
                err.print(f"chargenet: {run.failure()}", markup=False, soft_wrap=True)
            bar.update(progress, advance=1, failed=f"{failed} failed" if failed else "")

        return execute(client, tasks, on_run)
