"""Running an experiment's tasks from the command line: connect to Dask, count finished runs on
a progress bar (stderr), and report each failing run in one line as it happens."""

from __future__ import annotations

from collections.abc import Sequence

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


def run_tasks(
    tasks: Sequence[Task],
    *,
    scheduler: str | None,
    workers: int | None,
    quiet: bool = False,
    stderr: Console | None = None,
) -> list[Run]:
    err = stderr or Console(stderr=True, highlight=False)
    if scheduler is None and workers is None:
        workers = default_workers(len(tasks))
    with (
        connect(scheduler, workers) as client,
        Progress(
            TextColumn("runs"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
            disable=quiet,
        ) as bar,
    ):
        progress = bar.add_task("runs", total=len(tasks), failed="")
        failed = 0

        def on_run(run: Run) -> None:
            nonlocal failed
            if not run.ok:
                failed += 1
                err.print(f"chargenet: {run.failure()}", markup=False)
            bar.update(progress, advance=1, failed=f"{failed} failed" if failed else "")

        return execute(client, tasks, on_run)
