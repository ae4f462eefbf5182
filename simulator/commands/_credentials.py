"""Secrets on the command line: read from a file or the environment, never from argv.

A password given as an argument is in the process list for every user of the machine, so the
flag that would take one is kept only to refuse it in one line that says where to put it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Final

from simulator.errors import UserError

__all__ = ["PASSWORD_ENVIRONMENT_VARIABLE", "add_password_arguments", "first_line", "password"]

#: The basic-auth password when no password file is given (as the built-in central system).
PASSWORD_ENVIRONMENT_VARIABLE: Final = "CHARGENET_CSMS_PASSWORD"


def add_password_arguments(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup, flag: str = "--password"
) -> None:
    """`FLAG-file FILE` and the hidden `FLAG`, which `password` refuses."""
    parser.add_argument(flag, help=argparse.SUPPRESS)
    parser.add_argument(
        f"{flag}-file",
        type=Path,
        metavar="FILE",
        help="basic-auth password (security profile 1; the username is the charge point id) "
        f"on this file's first line (or set {PASSWORD_ENVIRONMENT_VARIABLE})",
    )


def first_line(path: Path, flag: str) -> str:
    """The first line of a secret's file; one line naming the flag when there is none."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UserError(f"{flag} {path}: {exc.strerror or exc}") from None
    if not lines or not lines[0]:
        raise UserError(f"{flag} {path}: the first line is empty")
    return lines[0]


def password(args: argparse.Namespace, flag: str = "--password") -> str | None:
    """The password of `add_password_arguments(parser, flag)`: its file, else the environment."""
    attribute = flag.lstrip("-").replace("-", "_")
    if getattr(args, attribute) is not None:
        raise UserError(
            f"{flag} would show the password in the process list: put it on the first line "
            f"of a file given with {flag}-file FILE, or in {PASSWORD_ENVIRONMENT_VARIABLE}"
        )
    path: Path | None = getattr(args, f"{attribute}_file")
    if path is not None:
        return first_line(path, f"{flag}-file")
    value = os.environ.get(PASSWORD_ENVIRONMENT_VARIABLE)
    if value == "":
        raise UserError(f"{PASSWORD_ENVIRONMENT_VARIABLE} is set but empty")
    return value
