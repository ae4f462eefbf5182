"""Scenario files that extend others: `extends` chains merged into one table of plain data.

A file may name a parent with `extends = "region.toml"` (relative to the file). The parent is
read first (chains allowed, cycles refused) and the file is laid over it as an overlay:

- tables merge key by key;
- a list whose entries are all tables with an `id` (networks, sites, vehicles), laid over such
  a list, merges by id: an entry with a known id updates that entry, a new id is appended, and
  an entry `{ id = "x", remove = true }` removes entry x;
- any other value, lists included, replaces what the parent had.

The result remembers which file set each key (`Composed.file_for`), so that a validation error
can name the file the bad key came from. This module knows no scenario keys; `simulator.scenario`
validates what it returns.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

__all__ = ["EXTENDS", "REMOVE", "Composed", "FileError", "read"]

EXTENDS: Final = "extends"
REMOVE: Final = "remove"

# A key path through the merged data: table keys, list indices, and ("id", x) for the entry
# with id x of a list merged by id (its index may differ from file to file).
Step = str | int | tuple[str, Any]
Path_ = tuple[Step, ...]


class FileError(Exception):
    """A scenario file that cannot be read or composed: one line naming the file."""


@dataclass(frozen=True, slots=True)
class Composed:
    """A scenario file's data with its parents' merged in, and where each key came from."""

    data: dict[str, Any]
    files: tuple[Path, ...]
    """The file read, then its parent, its parent's parent, ..."""
    origin: dict[Path_, Path]
    """The file that last set each key path (a table: the last file that set a key in it)."""

    def file_for(self, loc: tuple[int | str, ...]) -> Path:
        """The file that set the key at `loc` (indices as in `data`), or the nearest table
        above it that a file set; the file read when nothing matches."""
        best = self.files[0]
        node: Any = self.data
        key: Path_ = ()
        for part in loc:
            step: Step = part
            if isinstance(node, list) and isinstance(part, int) and part < len(node):
                item = node[part]
                if _by_id([item]):
                    step = ("id", item["id"])
                node = item
            elif isinstance(node, dict) and isinstance(part, str) and part in node:
                node = node[part]
            else:
                node = None
            key = (*key, step)
            if key in self.origin:
                best = self.origin[key]
            if node is None:
                break
        return best


def read(path: Path) -> Composed:
    """Read `path` and the files it extends, merged (the file itself laid over last)."""
    chain: list[tuple[Path, dict[str, Any]]] = []
    seen: dict[Path, Path] = {}
    current: Path | None = path
    while current is not None:
        real = current.resolve()
        if real in seen:
            names = " -> ".join(str(p) for p, _ in chain)
            raise FileError(f"{names} -> {current}: extends forms a cycle")
        seen[real] = current
        data = _read_toml(current, chain[-1][0] if chain else None)
        parent = data.pop(EXTENDS, None)
        chain.append((current, data))
        if parent is None:
            current = None
        elif not isinstance(parent, str) or not parent:
            raise FileError(f"{current}: extends = {parent!r}: must be the path of a file")
        else:
            current = Path(os.path.normpath(current.parent / parent))
    merged: dict[str, Any] = {}
    origin: dict[Path_, Path] = {}
    for file, data in reversed(chain):
        _merge_table(merged, data, file, (), origin)
    return Composed(merged, tuple(p for p, _ in chain), origin)


def _read_toml(path: Path, child: Path | None) -> dict[str, Any]:
    via = "" if child is None else f" (extended by {child})"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileError(f"{path}: no such file{via}") from None
    except OSError as e:
        raise FileError(f"{path}: cannot read ({e.strerror}){via}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise FileError(f"{path}: not valid TOML: {e}") from None


def _by_id(items: list[Any]) -> bool:
    return all(isinstance(i, dict) and "id" in i for i in items)


def _merge_table(
    base: dict[str, Any], over: dict[str, Any], file: Path, at: Path_, origin: dict[Path_, Path]
) -> None:
    origin[at] = file
    for key, value in over.items():
        here = (*at, key)
        old = base.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            _merge_table(old, value, file, here, origin)
        elif isinstance(old, list) and old and value and _by_id(old) and _by_id(value):
            _merge_list(old, value, file, here, origin)
        else:
            if key in base:
                _forget(origin, here)
            base[key] = _copy(value)
            _mark(base[key], file, here, origin)


def _merge_list(
    base: list[Any], over: list[Any], file: Path, at: Path_, origin: dict[Path_, Path]
) -> None:
    origin[at] = file
    for entry in over:
        ident = entry["id"]
        here = (*at, ("id", ident))
        index = next((i for i, old in enumerate(base) if old["id"] == ident), None)
        if entry.get(REMOVE) is True:
            if index is None:
                raise FileError(f"{file}: {_dotted(at)}: no entry with id {ident!r} to remove")
            if set(entry) != {"id", REMOVE}:
                raise FileError(f"{file}: {_dotted(at)}: removing {ident!r} takes no other keys")
            del base[index]
            _forget(origin, here)
        elif index is None:
            base.append(_copy(entry))
            _mark(base[-1], file, here, origin)
        else:
            _merge_table(base[index], entry, file, here, origin)


def _mark(value: Any, file: Path, at: Path_, origin: dict[Path_, Path]) -> None:
    origin[at] = file
    if isinstance(value, dict):
        for key, item in value.items():
            _mark(item, file, (*at, key), origin)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _mark(item, file, (*at, ("id", item["id"]) if _by_id([item]) else i), origin)


def _forget(origin: dict[Path_, Path], at: Path_) -> None:
    for key in [k for k in origin if k[: len(at)] == at]:
        del origin[key]


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _dotted(at: Path_) -> str:
    out = ""
    for step in at:
        if isinstance(step, tuple):
            out += f"[id={step[1]!r}]"
        elif isinstance(step, int):
            out += f"[{step}]"
        else:
            out += f".{step}" if out else step
    return out or "(top level)"
