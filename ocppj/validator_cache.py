"""The compiled schema validators of one OCPP version, kept on disk between processes.

fastjsonschema turns a schema into Python source and compiles it; for 1.6's 78 schemas that is
0.1-0.2 CPU-s and for 2.0.1's 128 0.6-1 s, paid again by every process (the central system
at start-up, each charge point process on first use of an action). Here the compiled code
objects of every schema of a version are written once (marshal, one file per version) and
loaded in a few milliseconds by later processes.

The file's name is a hash of everything its content follows from: the schema files' text, the
fastjsonschema version, the interpreter (marshal's format is the interpreter's) and this
module's format, so a stale or foreign file is never read. A file that cannot be read or
written (a read-only home, a half-written file of another process) costs nothing but the
compile: the cache is an optimisation, never a condition. Writes go to a temporary file
renamed into place, so concurrent processes never read a partial one.

Location: `$CHARGENET_CACHE_DIR`, else `$XDG_CACHE_HOME/chargenet`, else `~/.cache/chargenet`;
`CHARGENET_CACHE_DIR=off` turns the cache off.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import CodeType
from typing import Final

import fastjsonschema

__all__ = ["Compiled", "cache_dir", "load", "store"]

#: A schema's validator: the name of its entry function and the code that defines it.
Compiled = tuple[str, CodeType]

# Bump when what a cached file holds, or how its code is generated, changes.
_FORMAT: Final = "1"


def cache_dir() -> Path | None:
    """Where the validators are kept, or None when the cache is off."""
    chosen = os.environ.get("CHARGENET_CACHE_DIR")
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0") else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "chargenet"


def _file(version: str, schema_texts: Iterable[tuple[str, str]]) -> Path | None:
    directory = cache_dir()
    if directory is None:
        return None
    digest = hashlib.sha256()
    for part in (_FORMAT, fastjsonschema.VERSION, sys.version, sys.implementation.cache_tag):
        digest.update(part.encode() + b"\0")
    for name, text in schema_texts:
        digest.update(name.encode() + b"\0" + text.encode() + b"\0")
    return directory / f"validators-{version}-{digest.hexdigest()[:24]}.marshal"


def load(version: str, schema_texts: Iterable[tuple[str, str]]) -> dict[str, Compiled] | None:
    """The cached (entry function, code) of `version`'s schemas by file name, or None."""
    path = _file(version, schema_texts)
    if path is None:
        return None
    try:
        codes = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(codes, dict) or not all(_compiled(value) for value in codes.values()):
        return None
    return codes


def _compiled(value: object) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], CodeType)
    )


def store(
    version: str, schema_texts: Iterable[tuple[str, str]], codes: dict[str, Compiled]
) -> bool:
    """Write `codes` for later processes; False (and nothing written) when it cannot."""
    path = _file(version, schema_texts)
    if path is None:
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(marshal.dumps(codes))
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        return False
    return True
