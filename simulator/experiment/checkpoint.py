"""Finished runs kept on disk as each finishes, so that an interrupted `compare` or `sweep` can
`--resume`: run only the missing ones, and write the tables an uninterrupted run writes.

    DIR/runs/experiment.json   what the experiment is: the command, every scenario's validated
                               contents, replications, days, seed and (sweep) the vary grid
    DIR/runs/00003.json        task 3 of the plan (its label, replication, seed) and its summary

Every file is written whole or not at all (a temporary file renamed). The summary is kept as
the worker returned it, and JSON gives floats back exactly, so a resumed experiment's tables
are byte-identical to an uninterrupted one's. Failed runs are not kept: `--resume` runs them
again. Once every run has succeeded and the tables are written, DIR/runs/ is removed.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from simulator.errors import UserError
from simulator.experiment.replications import Run, Task, summary_of

FOLDER = "runs"
MANIFEST = "experiment.json"


def normal(value: Any) -> Any:
    """A value as JSON gives it back (tuples as lists, dates as text): what is compared."""
    return json.loads(json.dumps(value, default=str))


class Checkpoint:
    """The runs folder of one experiment. `identity` names what makes two runs of the command
    the same experiment, in the order the differences are reported; `describe` says each
    field's value in the user's terms (the flag, or "the files' days")."""

    def __init__(self, out: Path, identity: Mapping[str, Any], tasks: Sequence[Task]) -> None:
        self.folder = out / FOLDER
        self.identity = normal(dict(identity))
        self.tasks = tuple(tasks)
        self._manifest_written = False

    def start(self, resume: bool) -> dict[int, Run]:
        """The runs already done (task index -> run): those the interrupted experiment kept,
        with `resume`; none otherwise (a stale runs folder is cleared)."""
        if not resume:
            self.clear()
            return {}
        manifest = self.folder / MANIFEST
        try:
            kept = json.loads(manifest.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UserError(
                f"--resume: {self.folder.parent} holds no interrupted run to resume "
                f"(no {FOLDER}/{MANIFEST}); run without --resume"
            ) from None
        except (OSError, ValueError) as e:
            raise UserError(f"--resume: {manifest} is unreadable ({e})") from None
        difference = differs(kept, self.identity)
        if difference is not None:
            raise UserError(f"--resume: {difference}; run without --resume to start over")
        self._manifest_written = True
        return self._load()

    def save(self, index: int, run: Run) -> None:
        """Keep a finished run (a failed one is left to run again)."""
        if run.summary is None:
            return
        if not self._manifest_written:
            self.folder.mkdir(exist_ok=True)
            _write(self.folder / MANIFEST, self.identity)
            self._manifest_written = True
        task = run.task
        record = {
            "label": task.label,
            "replication": task.replication,
            "seed": task.seed,
            "summary": run.summary.model_dump(exclude_none=True),
        }
        _write(self.folder / _name(index), record)

    def kept(self) -> int:
        """How many of this experiment's runs are on disk (what --resume would not run)."""
        return len(self._load()) if self._manifest_written else 0

    def clear(self) -> None:
        """Remove the runs folder: a fresh start, or every run done and its tables written."""
        if self.folder.is_dir():
            shutil.rmtree(self.folder)
        self._manifest_written = False

    def _load(self) -> dict[int, Run]:
        done: dict[int, Run] = {}
        for i, task in enumerate(self.tasks):
            path = self.folder / _name(i)
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                if (record["label"], record["replication"], record["seed"]) != (
                    task.label,
                    task.replication,
                    task.seed,
                ):
                    continue
                done[i] = Run(task, summary_of(record["summary"]))
            except (OSError, ValueError, KeyError, TypeError):
                continue  # missing, or not this run's: it runs again
        return done


def differs(kept: Mapping[str, Any], now: Mapping[str, Any]) -> str | None:
    """The first difference between the interrupted experiment and this one, in one line."""
    if kept.get("command") != now.get("command"):
        return f"the folder holds an interrupted {kept.get('command')}, not a {now.get('command')}"
    for field, value in now.items():
        before = kept.get(field)
        if before == value:
            continue
        if field == "scenarios":
            return _scenarios_differ(before, value)
        if field == "scenario":
            where = first_difference(before, value)
            return f"the scenario's contents differ from the interrupted run's{where}"
        return f"{field} {_show(value)} differs from the interrupted run's {_show(before)}"
    return None


def _scenarios_differ(before: Any, now: list[list[Any]]) -> str:
    labels_before = [label for label, _ in before or []]
    labels_now = [label for label, _ in now]
    if labels_before != labels_now:
        return (
            f"the scenarios ({', '.join(labels_now)}) differ from the interrupted run's "
            f"({', '.join(labels_before)})"
        )
    for (label, data_before), (_, data_now) in zip(before, now, strict=True):
        if data_before != data_now:
            where = first_difference(data_before, data_now)
            return f"scenario {label!r}'s contents differ from the interrupted run's{where}"
    return "the scenarios differ from the interrupted run's"


def first_difference(before: Any, now: Any, path: str = "") -> str:
    """' at KEY.PATH (now, was before)' for the first differing value, or '' at the root."""
    if isinstance(before, dict) and isinstance(now, dict):
        for key in [*now, *(k for k in before if k not in now)]:
            if before.get(key) != now.get(key):
                sub = f"{path}.{key}" if path else str(key)
                return first_difference(before.get(key), now.get(key), sub)
    if isinstance(before, list) and isinstance(now, list) and len(before) == len(now):
        for i, (b, n) in enumerate(zip(before, now, strict=True)):
            if b != n:
                return first_difference(b, n, f"{path}[{i}]")
    if not path:
        return ""
    return f" at {path} ({_show(now)}, was {_show(before)})"


def _show(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return " ".join(value)
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _name(index: int) -> str:
    return f"{index:05d}.json"


def _write(path: Path, data: Any) -> None:
    tmp = path.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps(data) + "\n", encoding="utf-8")
        tmp.replace(path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
