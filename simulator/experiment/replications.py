"""The runs an experiment consists of, and the function a worker runs for each.

Common random numbers: replication k of every scenario (and every sweep point) runs with seed
`base_seed + k`. The engine draws each purpose (arrivals, vehicle, state of charge, choice, ...)
from its own stream keyed by (seed, purpose), so replication k of two scenarios sees the same
arrivals and the same drivers wherever their demand agrees, and their difference measures the
rules alone.

What crosses the wire is small: a task ships the validated scenario as plain data, the days
and the seed; the worker returns the summary as plain data, without its per-port part.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from simulator import runner
from simulator import scenario as sc
from simulator.reports.summary import Summary


@dataclass(frozen=True, slots=True)
class Task:
    """One run: replication `replication` of the scenario (or sweep point) called `label`."""

    label: str
    replication: int
    seed: int
    days: float | None
    scenario: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Run:
    """A finished task: its summary, or the one-line error it failed with."""

    task: Task
    summary: Summary | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.summary is not None

    def failure(self) -> str:
        """The one line that reports a failed run: which scenario, replication and seed."""
        return (
            f"replication {self.task.replication} of {self.task.label!r} "
            f"(seed {self.task.seed}) failed: {self.error}"
        )


def seed_of(base_seed: int, replication: int) -> int:
    return base_seed + replication


def scenario_data(scenario: sc.Scenario) -> dict[str, Any]:
    """A validated scenario as plain data, which `scenario.parse` accepts back."""
    return scenario.model_dump()


def plan(
    scenarios: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    replications: int,
    base_seed: int,
    days: float | None,
) -> list[Task]:
    """Every scenario times every replication, replication-major so that early results pair."""
    return [
        Task(label, k, seed_of(base_seed, k), days, data)
        for k in range(replications)
        for label, data in scenarios
    ]


def simulate(scenario: Mapping[str, Any], days: float | None, seed: int) -> dict[str, Any]:
    """What a worker runs: validate, simulate on the fast engine, return the summary's data."""
    parsed = sc.parse(dict(scenario))
    summary = runner.run(parsed, days=days, seed=seed).summary
    update: dict[str, Any] = {"ports": {}}
    if summary.ev_charging_use_spec is not None:  # its per-port part too
        update["ev_charging_use_spec"] = summary.ev_charging_use_spec.model_copy(
            update={"ports": {}}
        )
    return summary.model_copy(update=update).model_dump(exclude_none=True)


def run_on_worker(scenario: Mapping[str, Any], days: float | None, seed: int) -> dict[str, Any]:
    """The task a worker runs: {"summary": data} or {"error": one line}. Errors are caught on
    the worker so that only one line, never a traceback, crosses the wire; the worker dying is
    left to Dask."""
    try:
        return {"summary": simulate(scenario, days, seed)}
    except Exception as e:
        return {"error": one_line(e)}


def one_line(error: BaseException | None) -> str:
    if error is None:
        return "unknown error"
    text = str(error).strip().splitlines()
    name = type(error).__name__
    return f"{name}: {text[0]}" if text else name


def summary_of(data: Mapping[str, Any]) -> Summary:
    """A worker's answer back as a Summary: a worker running another version fails here."""
    return Summary.model_validate(data)
