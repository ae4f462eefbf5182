"""A run's method: what a reader needs to reproduce or judge its numbers.

summary.json's `method` holds the part the scenario and seed fix (seeds, replications,
warm-up, horizon, interval method: `simulator.reports.summary.Method`); a `RunMethod` adds what
varies between runs of the same scenario and seed (engine, chargenet's version, run time, the
machine), so it goes to method.json and the reports, never into a file compared byte for byte.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from simulator.reports.document import Method
from simulator.version import __version__

__all__ = [
    "RunMethod",
    "experiment_lines",
    "machine",
    "method_line",
    "method_lines",
    "run_lines",
    "run_method",
]


def machine() -> dict[str, str | int]:
    """The machine a run ran on: Python, platform and CPU count."""
    return {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "cpu_count": os.cpu_count() or 0,
    }


@dataclass(frozen=True, slots=True)
class RunMethod:
    engine: str
    """fast, or ocpp with the versions its networks spoke"""
    ocpp_versions: Mapping[str, str]
    """network id -> subprotocol (ocpp1.6, ocpp2.0.1); empty on the fast engine"""
    run_time_s: float
    """wall-clock seconds of the simulation and its summary"""
    finished_at: str
    """UTC, ISO 8601"""
    chargenet_version: str = __version__
    machine: Mapping[str, str | int] = field(default_factory=machine)

    def to_json(self, method: Method | None = None) -> str:
        """method.json: summary.json's method and this run's own."""
        data = {**(method.model_dump() if method is not None else {}), **asdict(self)}
        data["ocpp_versions"] = dict(self.ocpp_versions)
        data["machine"] = dict(self.machine)
        return json.dumps(data, indent=2) + "\n"


def run_method(
    engine: str, run_time_s: float, ocpp_versions: Mapping[str, str] | None = None
) -> RunMethod:
    return RunMethod(
        engine=engine,
        ocpp_versions=dict(ocpp_versions or {}),
        run_time_s=round(run_time_s, 3),
        finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def method_lines(method: Method | None, run: RunMethod | None = None) -> list[tuple[str, str]]:
    """(label, text) pairs of a method section, for the terminal and the HTML report."""
    lines: list[tuple[str, str]] = []
    if method is not None:
        seeds = ", ".join(str(s) for s in method.seeds)
        lines += [
            ("seeds", seeds),
            ("replications", str(method.replications)),
            ("warm-up", f"{method.warmup_days:g} days"),
            ("horizon", f"{method.horizon_days:g} days ({method.measured_days:g} measured)"),
            ("measured", method.measured_from),
            ("intervals", method.intervals),
        ]
    if run is not None:
        lines += run_lines(run)
    return lines


def run_lines(run: RunMethod) -> list[tuple[str, str]]:
    """The lines of what varies between runs: engine, version, run time, machine."""
    engine = run.engine
    if run.ocpp_versions:
        versions = sorted(set(run.ocpp_versions.values()))
        engine += " (" + ", ".join(v.removeprefix("ocpp") for v in versions) + ")"
    m = run.machine
    return [
        ("engine", engine),
        ("chargenet", run.chargenet_version),
        ("run time", f"{run.run_time_s:.1f} s, finished {run.finished_at}"),
        ("machine", f"{m['python']}, {m['platform']}, {m['cpu_count']} CPUs"),
    ]


def experiment_lines(
    *,
    seeds: str,
    replications: int,
    windows: str,
    level: str,
    paired: bool,
) -> list[tuple[str, str]]:
    """The method of a compare or sweep: replication k of every scenario or point runs with
    seed S + k (common random numbers) on the fast engine, each metric's interval is Student t
    over them. Run time and machine are left out: an experiment's files, its report included,
    are the same however and wherever it ran (resumed or not); the terminal prints them."""
    intervals = f"{level} Student t over the replications"
    if paired:
        intervals += "; differences paired by replication (common random numbers)"
    lines = [
        ("seeds", seeds),
        ("replications", str(replications)),
        ("days (warm-up)", windows),
        ("measured", "arrivals after the warm-up, port time and energy clipped to the window"),
        ("intervals", intervals),
        ("engine", "fast"),
        ("chargenet", __version__),
    ]
    return lines


def method_line(run: RunMethod, replications: int, seeds: Sequence[int]) -> str:
    """An experiment's method in one terminal line (its report has the whole section)."""
    seed_text = f"{seeds[0]}–{seeds[-1]}" if len(seeds) > 1 else "".join(map(str, seeds))
    m = run.machine
    return (
        f"method: {replications} replications, seeds {seed_text}, 95% Student t intervals, "
        f"{run.engine} engine, chargenet {run.chargenet_version}, {run.run_time_s:.1f} s on "
        f"{m['python']}, {m['cpu_count']} CPUs"
    )
