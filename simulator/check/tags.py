"""The id tags a backend knows, read from the file its operator provisions it with.

The format is the built-in central system's `--id-tags` file, so one file serves both:
CSV rows `id_tag,status[,expiry_date[,parent_id_tag]]` (an optional header row starting with
`id_tag`, `#` comments) or a JSON list of {"id_tag", "status", "expiry_date"?}. The check
takes the first tag of each status (an Accepted tag past its expiry date counts as Expired),
and two Accepted tags with the same parent_id_tag.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from simulator.errors import UserError

STATUSES: Final = ("Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx")


def _expired(expiry: str | None) -> bool:
    if not expiry:
        return False
    try:
        moment = datetime.fromisoformat(expiry.replace("Z", "+00:00"))
    except ValueError:
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment < datetime.now(UTC)


Row = tuple[str, str, "str | None", "str | None"]


def _rows(path: Path, text: str) -> list[Row]:
    """(id_tag, status, expiry_date, parent_id_tag) per row."""
    if text.lstrip().startswith("["):
        try:
            items: Any = json.loads(text)
            return [
                (
                    str(item["id_tag"]),
                    str(item["status"]),
                    item.get("expiry_date"),
                    item.get("parent_id_tag"),
                )
                for item in items
            ]
        except (ValueError, KeyError, TypeError) as exc:
            raise UserError(f"--id-tags {path}: not a JSON list of id tags ({exc})") from None
    rows = []
    lines = [
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    for number, row in enumerate(csv.reader(lines), start=1):
        if number == 1 and row and row[0].strip() == "id_tag":
            continue
        if len(row) < 2:
            raise UserError(f"--id-tags {path}: row {number} is not id_tag,status[,expiry]")
        expiry = row[2].strip() if len(row) > 2 else None
        parent = row[3].strip() if len(row) > 3 else None
        rows.append((row[0].strip(), row[1].strip(), expiry or None, parent or None))
    return rows


@dataclass(frozen=True, slots=True)
class TagFile:
    #: status → the first tag of that status in the file.
    by_status: dict[str, str]
    #: Two Accepted tags of one group and the group's parent id tag (for TC_069_CS), or None.
    siblings: tuple[str, str, str] | None


def load_id_tags(path: Path) -> TagFile:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"--id-tags {path}: {exc.strerror or exc}") from None
    tags: dict[str, str] = {}
    groups: dict[str, list[str]] = {}
    for tag, status, expiry, parent in _rows(path, text):
        if status not in STATUSES:
            raise UserError(f"--id-tags {path}: {tag}: unknown status {status!r}")
        if status == "Accepted" and _expired(expiry):
            status = "Expired"
        tags.setdefault(status, tag)
        if status == "Accepted" and parent:
            groups.setdefault(parent, []).append(tag)
    pairs = [
        (members[0], members[1], parent) for parent, members in groups.items() if len(members) > 1
    ]
    return TagFile(tags, pairs[0] if pairs else None)
