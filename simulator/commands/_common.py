"""Helpers shared by the sub-commands."""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from rich.console import Console

from simulator import scenario as sc
from simulator.errors import EXIT_FAILURE, UserError


class _Outcome(Protocol):
    @property
    def ok(self) -> bool: ...


_created: list[Path] = []
"""Folders prepare_out created in this command, outermost first (see remove_empty_outs)."""


def prepare_out(out: Path) -> Path:
    """Create the output folder, or fail in one line before anything is computed.

    The folders it creates are remembered: a command that then fails before writing anything
    leaves no empty folder behind (the CLI calls remove_empty_outs)."""
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: exists and is not a folder")
    missing = [p for p in (out, *out.parents) if not p.exists()]
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"--out {out}: cannot create ({e.strerror})") from None
    _created.extend(reversed(missing))
    if not os.access(out, os.W_OK):
        raise UserError(f"--out {out}: not writable")
    return out


def remove_empty_outs() -> None:
    """After a failure: remove the folders prepare_out created that are still empty, innermost
    first (a folder that existed before, or holds anything, stays)."""
    while _created:
        folder = _created.pop()
        with contextlib.suppress(OSError):  # not empty, or already gone
            folder.rmdir()


def forget_outs() -> None:
    """After a success: the folders created are the command's to keep."""
    _created.clear()


def write_atomic(path: Path, text: str | bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    if isinstance(text, bytes):
        tmp.write_bytes(text)
    else:
        tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text!r}")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be zero or more: {text!r}")
    return value


def add_window_options(p: argparse.ArgumentParser, days_help: str) -> None:
    """--days and --warmup-days: the simulated span and the start the metrics ignore."""
    p.add_argument("--days", type=positive_float, metavar="D", help=days_help)
    p.add_argument(
        "--warmup-days",
        type=non_negative_float,
        metavar="W",
        help="the first W days the metrics ignore (default: the file's warmup_days); "
        "--days must be longer",
    )


def with_warmup(scenario: sc.Scenario, warmup_days: float | None) -> sc.Scenario:
    """The scenario with --warmup-days in place of its own (itself without the flag)."""
    if warmup_days is None:
        return scenario
    data = scenario.model_dump()
    data["simulation"]["warmup_days"] = warmup_days
    return sc.parse(data, source="--warmup-days")


def check_window(
    where: object,
    simulation: sc.SimulationSpec,
    days: float | None,
    warmup_flag: float | None,
) -> None:
    """Refuse, before any work, a horizon at or below the warm-up: no metric would have a
    window to measure. `simulation` carries the warm-up in force (the flag's, or the file's)."""
    horizon_days = simulation.days if days is None else days
    warmup_days = simulation.warmup_days
    if horizon_days > warmup_days:
        return
    horizon = f"--days {days:g}" if days is not None else f"days = {horizon_days:g}"
    warmup = (
        f"--warmup-days {warmup_flag:g}"
        if warmup_flag is not None
        else f"warmup_days = {warmup_days:g}"
    )
    raise UserError(
        f"{where}: {horizon} leaves nothing to measure after the warm-up ({warmup}); "
        "give more --days or a shorter --warmup-days"
    )


def say(console: Console, line: str) -> None:
    """Print one line as it is: never wrapped (scripts parse it), never read as markup."""
    console.print(line, markup=False, highlight=False, soft_wrap=True)


def exit_code_of(runs: Sequence[_Outcome]) -> int:
    """0 when every run succeeded; else say how many failed (the results cover the others)."""
    failed = sum(1 for r in runs if not r.ok)
    if not failed:
        return 0
    say(
        Console(stderr=True),
        f"chargenet: {failed} of {len(runs)} runs failed; the results cover the others",
    )
    return EXIT_FAILURE
