"""The id tags a backend knows, read from the file its operator provisions it with.

The format is the built-in central system's `--id-tags` file, so one file serves both:
CSV rows `id_tag,status[,expiry_date[,parent_id_tag]]` (an optional header row starting with
`id_tag`, `#` comments) or a JSON list of {"id_tag", "status", "expiry_date"?}. The check
takes the first tag of each status; an Accepted tag past its expiry date counts as Expired.
"""

from __future__ import annotations

import csv
import json
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


def _rows(path: Path, text: str) -> list[tuple[str, str, str | None]]:
    if text.lstrip().startswith("["):
        try:
            items: Any = json.loads(text)
            return [
                (str(item["id_tag"]), str(item["status"]), item.get("expiry_date"))
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
        rows.append((row[0].strip(), row[1].strip(), row[2].strip() if len(row) > 2 else None))
    return rows


def load_id_tags(path: Path) -> dict[str, str]:
    """status → the first tag of that status in the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"--id-tags {path}: {exc.strerror or exc}") from None
    tags: dict[str, str] = {}
    for tag, status, expiry in _rows(path, text):
        if status not in STATUSES:
            raise UserError(f"--id-tags {path}: {tag}: unknown status {status!r}")
        if status == "Accepted" and _expired(expiry):
            status = "Expired"
        tags.setdefault(status, tag)
    return tags
