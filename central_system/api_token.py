"""The operator API's token: generated at start, or kept in a file only its owner can read.

Stdlib only: the `call` command reads the token too, and it must start fast.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from typing import Final

__all__ = [
    "MIN_TOKEN_CHARS",
    "TOKEN_ENV",
    "ApiTokenError",
    "checked_token",
    "load_or_create_token_file",
    "new_api_token",
    "read_token_file",
    "readable_by_others",
]

#: The environment variable `call` reads the token from (never a command-line value: the
#: process list shows those to every user).
TOKEN_ENV: Final = "CHARGENET_CSMS_API_TOKEN"
#: A token from a file must be at least this long (a generated one has 43 characters).
MIN_TOKEN_CHARS: Final = 16


class ApiTokenError(Exception):
    """An unusable token or token file; the message is one line naming it."""


def new_api_token() -> str:
    """A fresh token: 256 random bits as URL-safe text."""
    return secrets.token_urlsafe(32)


def checked_token(text: str, source: str) -> str:
    """The token in `text` (surrounding whitespace dropped); raises ApiTokenError if unusable."""
    token = text.strip()
    if len(token) < MIN_TOKEN_CHARS:
        raise ApiTokenError(
            f"{source}: the API token must have at least {MIN_TOKEN_CHARS} characters"
        )
    if not all(33 <= ord(char) <= 126 for char in token):
        raise ApiTokenError(f"{source}: the API token must be printable ASCII without spaces")
    return token


def read_token_file(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ApiTokenError(f"cannot read the API token file {path}: {reason}") from None
    return checked_token(text, str(path))


def load_or_create_token_file(path: Path) -> tuple[str, bool]:
    """The token in `path`; a new one written there (mode 0600) if the file does not exist.

    Returns (token, created)."""
    token = new_api_token()
    try:
        # O_EXCL: never overwrite a file, never follow a planted link; 0600 from the start.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        descriptor = os.open(path, flags, stat.S_IRUSR | stat.S_IWUSR)
    except FileExistsError:
        return read_token_file(path), False
    except OSError as exc:
        raise ApiTokenError(
            f"cannot create the API token file {path}: {exc.strerror or exc}"
        ) from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(token + "\n")
    return token, True


def readable_by_others(path: Path) -> bool:
    try:
        return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))
    except OSError:
        return False
