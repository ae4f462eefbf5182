"""Reading the files an operator provisions the central system with.

Untrusted input: each loader raises `ProvisioningError` with one line naming the file and the
defect. Formats:
- id tags: CSV rows `id_tag,status[,expiry_date[,parent_id_tag]]` (a header row starting with
  `id_tag` is allowed), or JSON: a list of {"id_tag", "status", "expiry_date"?, "parent_id_tag"?}.
  status is Accepted, Blocked, Expired, Invalid or ConcurrentTx; expiry_date is ISO 8601.
- passwords: CSV rows `charge_point_id,password`, or a JSON object {id: password}.
- a shared password: the file's first line (its line ending is not part of the password).
- allowed ids: one charge point id per line; blank lines and lines starting with # are skipped.
Charge point ids must follow the identity rules (`handshake.check_charge_point_id`): an id no
charge point could connect with is an error, not a silent no-op.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from central_system.handshake import InvalidChargePointId, check_charge_point_id
from central_system.records import IdTag, IdTagStatus
from central_system.timestamps import parse_timestamp

__all__ = [
    "ProvisioningError",
    "load_id_list",
    "load_id_tags",
    "load_password_file",
    "load_passwords",
]


class ProvisioningError(ValueError):
    """A provisioning file cannot be used; the message is one line."""


class _IdTagRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id_tag: str
    status: IdTagStatus
    expiry_date: datetime | None = None
    parent_id_tag: str | None = None

    @field_validator("id_tag")
    @classmethod
    def _id_tag_fits(cls, value: str) -> str:
        if not 1 <= len(value) <= 20:
            raise ValueError("an id tag has 1 to 20 characters")
        return value

    @field_validator("expiry_date", mode="before")
    @classmethod
    def _aware_utc(cls, value: Any) -> Any:
        if isinstance(value, str):
            return parse_timestamp(value) if value.strip() else None
        return value

    def to_record(self) -> IdTag:
        return IdTag(self.id_tag, self.status, self.expiry_date, self.parent_id_tag or None)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ProvisioningError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _is_json(text: str) -> bool:
    return text.lstrip()[:1] in ("[", "{")


def _one_line(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]


def load_id_tags(path: Path) -> tuple[IdTag, ...]:
    text = _read(path)
    rows: list[dict[str, Any]]
    if _is_json(text):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProvisioningError(f"{path}: not valid JSON: {exc}") from None
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            raise ProvisioningError(f"{path}: expected a JSON list of id tag objects")
        rows = data
    else:
        rows = []
        names = ("id_tag", "status", "expiry_date", "parent_id_tag")
        for number, cells in enumerate(csv.reader(text.splitlines()), start=1):
            cells = [cell.strip() for cell in cells]
            if not any(cells) or cells[0].startswith("#") or (number == 1 and cells[0] == "id_tag"):
                continue
            if not 2 <= len(cells) <= 4:
                raise ProvisioningError(
                    f"{path}:{number}: expected id_tag,status[,expiry_date[,parent_id_tag]]"
                )
            rows.append({name: cell for name, cell in zip(names, cells, strict=False) if cell})
    tags = []
    for index, row in enumerate(rows, start=1):
        try:
            tags.append(_IdTagRow.model_validate(row).to_record())
        except ValidationError as exc:
            raise ProvisioningError(f"{path}: id tag {index}: {_one_line(exc)}") from None
    return tuple(tags)


def load_passwords(path: Path) -> dict[str, str]:
    text = _read(path)
    if _is_json(text):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProvisioningError(f"{path}: not valid JSON: {exc}") from None
        if not isinstance(data, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in data.items()
        ):
            raise ProvisioningError(f"{path}: expected a JSON object of id: password")
        for charge_point_id in data:
            _check_id(path, charge_point_id)
        return dict(data)
    passwords = {}
    for number, cells in enumerate(csv.reader(text.splitlines()), start=1):
        if not cells or not cells[0].strip() or cells[0].startswith("#"):
            continue
        if number == 1 and cells[0].strip() == "charge_point_id":
            continue
        if len(cells) != 2:
            raise ProvisioningError(f"{path}:{number}: expected charge_point_id,password")
        passwords[_check_id(path, cells[0].strip(), number)] = cells[1]
    return passwords


def load_password_file(path: Path) -> str:
    lines = _read(path).splitlines()
    if not lines or not lines[0]:
        raise ProvisioningError(f"{path}: the first line (the password) is empty")
    return lines[0]


def _check_id(path: Path, charge_point_id: str, number: int | None = None) -> str:
    try:
        return check_charge_point_id(charge_point_id)
    except InvalidChargePointId as exc:
        where = f"{path}" if number is None else f"{path}:{number}"
        raise ProvisioningError(f"{where}: {exc}") from None


def load_id_list(path: Path) -> frozenset[str]:
    ids = set()
    for number, line in enumerate(_read(path).splitlines(), start=1):
        line = line.strip()
        if line and not line.startswith("#"):
            ids.add(_check_id(path, line, number))
    return frozenset(ids)
