"""Running an experiment's tasks from the command line: connect to Dask (a status line while the
cluster starts), count finished runs on a progress bar (stderr), report each failing run in one
line as it happens, and hand each finished run to the caller (who keeps it on disk)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence

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
def cluster(
    scheduler: str | None,
    workers: int | None,
    tasks: int,
    *,
    quiet: bool = True,
    stderr: Console | None = None,
) -> Iterator[object]:
    """A Dask client for `tasks` runs: the scheduler given, or a local cluster of `workers`
    processes (default: one per core, at most one per task). Unless `quiet`, a spinner on a
    terminal says what is starting until the cluster is ready."""
    if scheduler is None and workers is None:
        workers = default_workers(tasks)
    err = stderr or Console(stderr=True, highlight=False)
    what = (
        f"connecting to {scheduler}"
        if scheduler
        else f"starting a local Dask cluster of {workers} worker{'s' if workers != 1 else ''}"
    )
    with contextlib.ExitStack() as stack:
        status = (
            contextlib.nullcontext()
            if quiet or not err.is_terminal
            else err.status(what, spinner="dots")
        )
        with status:
            client = stack.enter_context(connect(scheduler, workers))
        yield client


def run_tasks(
    client: object,
    tasks: Sequence[Task],
    *,
    quiet: bool = False,
    stderr: Console | None = None,
    done: Mapping[int, Run] | None = None,
    on_run: Callable[[int, Run], None] | None = None,
) -> list[Run]:
    """Run the tasks not `done` (task index -> run, from a resumed experiment), counting
    finished runs on a progress bar and reporting each failing run in one line (stderr) as it
    happens; `on_run(index, run)` as each finishes. Returns every run in task order."""
    err = stderr or Console(stderr=True, highlight=False)
    done = dict(done or {})
    todo = [i for i in range(len(tasks)) if i not in done]
    # a Run carries the very Task object it ran: its identity finds the task's index
    index_of = {id(tasks[i]): i for i in todo}
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
        progress = bar.add_task("runs", total=len(tasks), completed=len(done), failed="")
        failed = 0

        def finished(run: Run) -> None:
            nonlocal failed
            if not run.ok:
                failed += 1
                err.print(f"chargenet: {run.failure()}", markup=False, soft_wrap=True)
            if on_run is not None:
                on_run(index_of[id(run.task)], run)
            bar.update(progress, advance=1, failed=f"{failed} failed" if failed else "")

        ran = execute(client, [tasks[i] for i in todo], finished) if todo else []
    done.update(zip(todo, ran, strict=True))
    return [done[i] for i in range(len(tasks))]
