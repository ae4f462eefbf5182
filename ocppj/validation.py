"""Fast JSON-schema validation of OCPP payloads.

The `ocpp` package validates with jsonschema's Draft4Validator (in an executor thread), which
roughly halves a connection's throughput. Here the package's own schema files are compiled once
with fastjsonschema into plain Python functions, cached per (version, action, direction) in the
process and on disk between processes (`ocppj.validator_cache`), and a failure is mapped to the
OCPPError its version names (see `ocppj.errors`).

The fast path: every payload goes first to a jsonschema-rs validator of the same schema (compiled
Rust, built on first use, 0.1-0.4 ms each), which only answers valid or not. Valid is
the verdict; anything else runs the fastjsonschema function, whose verdict and error are the
answer, so a failure (rare) costs both. The Rust side is made at least as strict as the Python
one where they differ: our own `date-time`, fastjsonschema's `uri` regex and the exact
`multipleOf` below are Python callbacks inside it, and a schema using a keyword or format not
checked to agree is left to Python alone. `CHARGENET_VALIDATOR=python` turns the fast path off.

Two deliberate differences from the stock validator:
- `format: date-time` is checked (stock ignores formats), leniently: any ISO 8601 date and time
  that `datetime.fromisoformat` reads, with or without an offset (real chargers omit it).
- `multipleOf` is checked exactly on the decimal text of a float (fastjsonschema does this), so
  21.4 is a multiple of 0.1, without the stock path's Decimal re-parsing of the payload.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from functools import cache, partial
from importlib import resources
from pathlib import Path
from typing import Any, Final

import fastjsonschema
import jsonschema_rs
from fastjsonschema import JsonSchemaValueException
from fastjsonschema.draft04 import CodeGeneratorDraft04
from fastjsonschema.ref_resolver import RefResolver
from ocpp.exceptions import OCPPError

from ocppj import validator_cache
from ocppj.errors import Defect, error_for
from ocppj.versions import OCPP16, OCPP201, Version, check_version

__all__ = [
    "Validator",
    "actions",
    "is_known_action",
    "validate_request",
    "validate_response",
    "warm_up",
]

_SCHEMA_DIRS: Final[dict[Version, str]] = {OCPP16: "v16", OCPP201: "v201"}
# File name suffixes: (request, response).
_SUFFIXES: Final[dict[Version, tuple[str, str]]] = {
    OCPP16: ("", "Response"),
    OCPP201: ("Request", "Response"),
}

_WRONG_TYPE_RULES: Final = frozenset({"type", "maxLength", "minLength", "format"})
_OCCURRENCE_RULES: Final = frozenset(
    {"required", "minItems", "maxItems", "minProperties", "maxProperties"}
)

Validator = Callable[[Any], Any]
Check = Callable[[Mapping[str, Any]], None]
Compiled = validator_cache.Compiled
_validators: dict[tuple[str, str, bool], Validator] = {}
# What validate_* runs per (version, action, response): the fast path or the Python one.
_checks: dict[tuple[str, str, bool], Check] = {}
# Versions whose disk cache this process has looked at (once each).
_disk_tried: set[str] = set()


def _is_date_time(value: str) -> bool:
    # A date alone is not a date-time; fromisoformat would accept it.
    if len(value) < 16 or value[10] not in "Tt ":
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


_FORMATS: Final = {"date-time": _is_date_time}

# fastjsonschema's own `uri` check (its regex, matched as its generated code does).
_is_uri: Final = re.compile(CodeGeneratorDraft04.FORMAT_REGEXS["uri"]).match


class _ExactMultipleOf:
    """jsonschema-rs's `multipleOf` replaced by fastjsonschema's: exact on the decimal text of
    both numbers, and a quotient that overflows to infinity is refused."""

    def __init__(self, parent_schema: object, value: float, schema_path: object) -> None:
        del parent_schema, schema_path
        self.divisor = value

    def validate(self, instance: object) -> None:
        if isinstance(instance, bool) or not isinstance(instance, int | float):
            return
        if isinstance(instance, int) and isinstance(self.divisor, int):
            if instance % self.divisor:
                raise ValueError("not a multiple")
            return
        quotient = Decimal(repr(instance)) / Decimal(repr(self.divisor))
        if int(quotient) != quotient or instance / self.divisor == float("inf"):
            raise ValueError("not a multiple")


_FAST_FORMATS: Final = {"date-time": _is_date_time, "uri": lambda text: bool(_is_uri(text))}
_FAST_KEYWORDS: Final[dict[str, type[Any]]] = {"multipleOf": _ExactMultipleOf}
# The keywords of the ocpp package's schemas, each checked to judge as fastjsonschema does
# (tests/central_system/ocppj/test_fast_validation.py); "title", "comment", "javaType" and
# "description" are annotations. A schema with any other keyword or format stays in Python.
_AGREED_KEYWORDS: Final = frozenset(
    {
        "$schema", "$id", "$ref", "title", "comment", "description", "javaType", "default",
        "type", "enum", "required", "additionalProperties", "additionalItems", "items",
        "maxLength", "minItems", "maxItems", "minimum", "maximum", "multipleOf", "format",
        "properties", "definitions",
    }
)  # fmt: skip


def _schema_dir(version: Version) -> Any:
    return resources.files("ocpp").joinpath(_SCHEMA_DIRS[version], "schemas")


@cache
def actions(version: str) -> frozenset[str]:
    """Every action the `ocpp` package has schemas for in `version` (both directions)."""
    checked = check_version(version)
    request_suffix = _SUFFIXES[checked][0] + ".json"
    names = set()
    for entry in _schema_dir(checked).iterdir():
        name: str = entry.name
        if name.endswith("Response.json") or not name.endswith(request_suffix):
            continue
        names.add(name[: -len(request_suffix)])
    return frozenset(names)


def is_known_action(version: str, action: str) -> bool:
    """Whether `action` is an action of `version` at all."""
    return action in actions(version)


def _file_name(version: Version, action: str, response: bool) -> str:
    return action + _SUFFIXES[version][int(response)] + ".json"


def _code(version: Version, file_name: str) -> Compiled:
    """The schema's validator as compiled code and the name of its entry function."""
    # The 2.0.1 schema files start with a byte order mark.
    text = _schema_dir(version).joinpath(file_name).read_text(encoding="utf-8-sig")
    schema = json.loads(text)
    source = fastjsonschema.compile_to_code(schema, formats=_FORMATS, use_default=False)
    entry = RefResolver.from_schema(schema, store={}).get_scope_name()
    return entry, compile(source, f"<schema {version}/{file_name}>", "exec")


def _validator(compiled: Compiled) -> Validator:
    # What fastjsonschema.compile does with the same source: exec it, bind the formats.
    entry, code = compiled
    namespace: dict[str, Any] = {}
    exec(code, namespace)
    return partial(namespace[entry], custom_formats=_FORMATS)


def _schema_texts(version: Version) -> list[tuple[str, str]]:
    return sorted(
        (entry.name, entry.read_text(encoding="utf-8-sig"))
        for entry in _schema_dir(version).iterdir()
        if entry.name.endswith(".json")
    )


def _from_disk(version: Version) -> bool:
    """Every validator of `version` from the disk cache, or compiled and written to it; False
    when the cache is off or not writable (then each schema is compiled on first use)."""
    if version in _disk_tried:
        return False
    _disk_tried.add(version)
    directory = validator_cache.cache_dir()
    if directory is None:
        return False
    texts = _schema_texts(version)
    codes = validator_cache.load(version, texts)
    if codes is None:
        if not _writable(directory):
            return False
        names = [_file_name(version, a, r) for a in actions(version) for r in (False, True)]
        codes = {name: _code(version, name) for name in names}
        validator_cache.store(version, texts, codes)
    for action in actions(version):
        for response in (False, True):
            code = codes.get(_file_name(version, action, response))
            if code is not None and (version, action, response) not in _validators:
                _validators[(version, action, response)] = _validator(code)
    return True


def _writable(directory: Path) -> bool:
    existing = directory
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    return os.access(existing, os.W_OK | os.X_OK)


def _compile(version: str, action: str, response: bool) -> Validator:
    checked = check_version(version)
    if action not in actions(checked):
        raise error_for(checked, Defect.UNKNOWN_ACTION, f"{action!r} is not an action of {checked}")
    key = (checked, action, response)
    if _from_disk(checked) and key in _validators:
        return _validators[key]
    validator = _validator(_code(checked, _file_name(checked, action, response)))
    _validators[key] = validator
    return validator


def _fast_path_on() -> bool:
    return os.environ.get("CHARGENET_VALIDATOR", "").strip().lower() != "python"


def _agreed(schema: Any) -> bool:
    """Whether every keyword and format in `schema` is one the fast path judges as Python does."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict) or not _AGREED_KEYWORDS.issuperset(schema):
        return False
    if schema.get("format", "date-time") not in _FAST_FORMATS:
        return False
    if not str(schema.get("$ref", "#")).startswith("#"):
        return False  # only references inside the file: nothing is ever fetched
    subschemas: list[Any] = []
    for key in ("properties", "definitions"):
        named = schema.get(key, {})
        if not isinstance(named, dict):
            return False
        subschemas.extend(named.values())
    for key in ("items", "additionalItems", "additionalProperties"):
        value = schema.get(key, True)
        subschemas.extend(value if isinstance(value, list) else [value])
    return all(_agreed(subschema) for subschema in subschemas)


def _fast_validator(
    version: Version, action: str, response: bool
) -> jsonschema_rs.Validator | None:
    """The jsonschema-rs validator of the schema, or None when the fast path does not fit it."""
    name = _file_name(version, action, response)
    schema = json.loads(_schema_dir(version).joinpath(name).read_text(encoding="utf-8-sig"))
    if not _agreed(schema):
        return None
    return jsonschema_rs.validator_for(
        schema,
        formats=_FAST_FORMATS,
        validate_formats=True,
        ignore_unknown_formats=False,
        keywords=_FAST_KEYWORDS,
    )


def _python_check(version: str, action: str, response: bool, validator: Validator) -> Check:
    def check(payload: Mapping[str, Any]) -> None:
        try:
            validator(payload)
        except JsonSchemaValueException as exc:
            raise _schema_error(version, action, response, exc) from None

    return check


def _fast_check(is_valid: Callable[[Any], bool], slow: Check) -> Check:
    def check(payload: Mapping[str, Any]) -> None:
        # a payload Rust cannot read (a lone surrogate, NaN) is Python's to judge, as is one
        # Rust refuses (for the exact OCPP error)
        with contextlib.suppress(Exception):
            if is_valid(payload):
                return
        slow(payload)

    return check


def _check(version: str, action: str, response: bool) -> Check:
    key = (version, action, response)
    validator = _validators.get(key) or _compile(version, action, response)
    check = _python_check(version, action, response, validator)
    if _fast_path_on():
        fast = _fast_validator(check_version(version), action, response)
        if fast is not None:
            check = _fast_check(fast.is_valid, check)
    _checks[key] = check
    return check


def _schema_error(
    version: str, action: str, response: bool, exc: JsonSchemaValueException
) -> OCPPError:
    rule = exc.rule or ""
    if rule in _WRONG_TYPE_RULES:
        defect = Defect.WRONG_TYPE
    elif rule in _OCCURRENCE_RULES:
        defect = Defect.MISSING_FIELD
    else:
        defect = Defect.INVALID_VALUE
    where = (exc.name or "data").replace("data", "payload", 1)
    message = exc.message.replace("data", "payload", 1)
    kind = "response" if response else "request"
    return error_for(
        check_version(version),
        defect,
        f"{action} {kind}: {message}",
        {"path": where, "rule": rule},
    )


def _validate(version: str, action: str, payload: Mapping[str, Any], response: bool) -> None:
    try:
        check = _checks[(version, action, response)]
    except KeyError:
        check = _check(version, action, response)
    check(payload)


def validate_request(version: str, action: str, payload: Mapping[str, Any]) -> None:
    """Check a CALL payload (camelCase, as on the wire) against its schema.

    Raises an `ocpp.exceptions.OCPPError` subclass naming the defect: NotImplemented for an
    action `version` does not have, TypeConstraintViolation, OccurenceConstraintViolation or
    PropertyConstraintViolation for a payload its schema refuses.
    """
    _validate(version, action, payload, False)


def validate_response(version: str, action: str, payload: Mapping[str, Any]) -> None:
    """Check a CALLRESULT payload for a CALL of `action`; raises like `validate_request`."""
    _validate(version, action, payload, True)


def warm_up(version: str) -> int:
    """Compile every schema of `version` now (about 3-8 ms each, or a few ms for all from the
    disk cache); returns how many. The fast path's validators are built on first use (0.1-0.4
    ms each; all of them would add ~25 ms to a central system's start)."""
    for action in actions(version):
        for response in (False, True):
            if (version, action, response) not in _validators:
                _compile(version, action, response)
    return 2 * len(actions(version))
