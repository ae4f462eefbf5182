"""Helpers shared by the sub-commands."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from rich.console import Console

from simulator.errors import EXIT_FAILURE, UserError


class _Outcome(Protocol):
    @property
    def ok(self) -> bool: ...


def prepare_out(out: Path) -> Path:
    """Create the output folder, or fail in one line before anything is computed."""
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"--out {out}: cannot create ({e.strerror})") from None
    if not os.access(out, os.W_OK):
        raise UserError(f"--out {out}: not writable")
    return out


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


def exit_code_of(runs: Sequence[_Outcome]) -> int:
    """0 when every run succeeded; else say how many failed (the results cover the others)."""
    failed = sum(1 for r in runs if not r.ok)
    if not failed:
        return 0
    Console(stderr=True, highlight=False).print(
        f"chargenet: {failed} of {len(runs)} runs failed; the results cover the others",
        markup=False,
        soft_wrap=True,
    )
    return EXIT_FAILURE
