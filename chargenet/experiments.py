"""Experiments in the Python API: compare and sweep, returning tidy DataFrames.

Over the same machinery as `chargenet compare` and `chargenet sweep` (simulator/experiment):
the same tasks and seeds (replication k with seed S + k, common random numbers), the same
intervals, and the same tables: `compare(...)` is compare.csv, `sweep(...)` is
sweep_intervals.csv, and `per_run=True` gives replications.parquet or sweep.csv instead.

`workers=1` runs the replications one after another in this process (no cluster to start);
otherwise they run on a local Dask cluster of `workers` processes (default: one per core), or
on the Dask scheduler at `scheduler`. A failing run is left out of the intervals and reported
as a warning naming its scenario, replication and seed; the frame's `attrs["failures"]` lists
them.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from chargenet.progress import progress as show_progress
from chargenet.scenarios import Scenario, check_window, key_path, scenario_of
from simulator.errors import UserError
from simulator.experiment import comparison as cmp
from simulator.experiment import grid as gr
from simulator.experiment import sweep as sw
from simulator.experiment.replications import (
    Run,
    Task,
    plan,
    run_on_worker,
    scenario_data,
    seed_of,
    summary_of,
)
from simulator.experiment.tables import intervals_frame, runs_frame

DEFAULT_COMPARE_REPLICATIONS = 10  # chargenet compare's
DEFAULT_SWEEP_REPLICATIONS = 5  # chargenet sweep's

ScenarioLike = Scenario | str | Path


def compare(
    scenarios: Sequence[ScenarioLike] | Mapping[str, ScenarioLike],
    *,
    replications: int = DEFAULT_COMPARE_REPLICATIONS,
    days: float | None = None,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    per_run: bool = False,
    progress: bool = True,
) -> pd.DataFrame:
    """Every metric's interval per scenario (kind "estimate") and the paired difference of
    each later scenario from the first (kind "difference"), as compare.csv has them.

    `scenarios` is a list (labelled by name, as the command line labels them) or a mapping
    label -> scenario. The seed defaults to the first scenario's."""
    labelled = _labelled(scenarios)
    _check_replications(replications)
    labels = [label for label, _ in labelled]
    for _, s in labelled:
        check_window(s.source, s.model.simulation, days)
    base_seed = seed if seed is not None else labelled[0][1].seed
    tasks = plan(
        [(label, scenario_data(s.model)) for label, s in labelled],
        replications=replications,
        base_seed=base_seed,
        days=days,
    )
    runs = _execute(tasks, workers=workers, scheduler=scheduler, progress=progress)
    if per_run:
        frame = runs_frame(runs, lambda task: {"scenario": task.label})
    else:
        comparison = cmp.compare(labels, runs)
        frame = intervals_frame(
            [
                ({"kind": "estimate", "scenario": lb, "baseline": ""}, comparison.estimates[lb])
                for lb in labels
            ]
            + [
                (
                    {"kind": "difference", "scenario": lb, "baseline": comparison.baseline},
                    comparison.differences[lb],
                )
                for lb in labels[1:]
            ]
        )
    return _with_failures(frame, runs)


def sweep(
    scenario: ScenarioLike,
    vary: Mapping[str, Sequence[Any]],
    *,
    replications: int = DEFAULT_SWEEP_REPLICATIONS,
    days: float | None = None,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    per_run: bool = False,
    progress: bool = True,
) -> pd.DataFrame:
    """Every metric's interval at every point of the grid `vary` spans (key -> values, the
    first key varying slowest), one column per varied key, as sweep_intervals.csv has them.

    Keys are those of `Scenario.with_` and `chargenet sweep --vary` ("demand",
    "price[tesla]", "sites.sc-1.ports", ...)."""
    base = scenario_of(scenario)
    _check_replications(replications)
    if not vary:
        raise UserError("sweep: give at least one key to vary, e.g. {'demand': [0.8, 1.2]}")
    data = base.to_dict()
    varies = [_vary(key, values, data) for key, values in vary.items()]
    points = gr.grid(base.model, varies)
    for point in points:
        simulation = base.model.simulation.model_validate(point.scenario["simulation"])
        check_window(f"{base.source} at {point.label}", simulation, days)
    base_seed = seed if seed is not None else base.seed
    tasks = sw.tasks(points, replications=replications, base_seed=base_seed, days=days)
    runs = _execute(tasks, workers=workers, scheduler=scheduler, progress=progress)
    result = sw.summarize(
        scenario=base.name,
        source=base.source,
        varies=varies,
        points=points,
        replications=replications,
        seeds=[seed_of(base_seed, k) for k in range(replications)],
        runs=runs,
    )
    frame = sw.runs_table(result) if per_run else sw.intervals_table(result)
    return _with_failures(frame, runs)


def _labelled(
    scenarios: Sequence[ScenarioLike] | Mapping[str, ScenarioLike],
) -> list[tuple[str, Scenario]]:
    if isinstance(scenarios, Mapping):
        pairs = [(str(label), scenario_of(s)) for label, s in scenarios.items()]
    else:
        loaded = [scenario_of(s) for s in scenarios]
        pairs = list(zip(_labels(loaded), loaded, strict=True))
    if not pairs:
        raise UserError("compare: give at least one scenario")
    return pairs


def _labels(scenarios: Sequence[Scenario]) -> list[str]:
    """Names, made unique as the command line makes them (a file's stem where names repeat)."""
    from simulator.commands.compare import labels_of

    return labels_of([Path(s.source) for s in scenarios], [s.model for s in scenarios])


def _check_replications(n: int) -> None:
    if n < 2:
        raise UserError(f"replications={n}: need at least 2 for confidence intervals")


def _vary(key: str, values: Sequence[Any], data: Mapping[str, Any]) -> gr.Vary:
    if isinstance(values, str) or not isinstance(values, Sequence) or not values:
        raise UserError(f"sweep: {key} needs a list of values, e.g. [0.8, 1.2]")
    texts = tuple(_text(v) for v in values)
    if len(set(texts)) != len(texts):
        raise UserError(f"sweep: {key}: a value appears twice")
    path = key_path(key, data)
    try:
        gr.steps(path)
    except ValueError as e:
        raise UserError(f"sweep: {key}: {e}") from None
    return gr.Vary(key, path, tuple(values), texts)


def _text(value: Any) -> str:
    """A value as `--vary` would be written (TOML's spelling for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _execute(
    tasks: Sequence[Task], *, workers: int | None, scheduler: str | None, progress: bool
) -> list[Run]:
    with show_progress(progress, "finished", len(tasks), "runs") as advance:
        if workers == 1 and scheduler is None:
            runs = []
            for task in tasks:
                runs.append(_run_here(task))
                advance(len(runs))
            return runs
        from simulator.experiment.execution import execute
        from simulator.experiment.progress import cluster

        with cluster(scheduler, workers, len(tasks)) as client:
            finished = 0

            def on_run(_run: Run) -> None:
                nonlocal finished
                finished += 1
                advance(finished)

            return execute(client, tasks, on_run)


def _run_here(task: Task) -> Run:
    """A task in this process, exactly as a worker runs it (errors in one line)."""
    answer = run_on_worker(dict(task.scenario), task.days, task.seed)
    if "error" in answer:
        return Run(task, None, str(answer["error"]))
    return Run(task, summary_of(answer["summary"]))


def _with_failures(frame: pd.DataFrame, runs: Sequence[Run]) -> pd.DataFrame:
    failures = [run.failure() for run in runs if not run.ok]
    for line in failures:
        warnings.warn(line, RuntimeWarning, stacklevel=3)
    frame.attrs["failures"] = failures
    return frame
