"""ocppj.validation's fast path (jsonschema-rs, then fastjsonschema on failure) gives exactly the
verdicts and errors of fastjsonschema alone, over real payloads and systematic mutations."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from ocpp.exceptions import OCPPError

from ocppj import OCPP16, OCPP201, validate_request
from ocppj import validation as v
from tests.central_system.ocppj.validation_corpus import CORPUS

REAL: list[dict[str, Any]] = json.loads(CORPUS.read_text(encoding="utf-8"))

DATE_TIMES = [
    "2025-01-01T00:00:00Z",
    "2025-01-01T00:00:00",  # no offset: today's path accepts it
    "2025-01-01 00:00:00+01:00",
    "2025-01-01t00:00:00.123456789z",
    "2016-12-31T23:59:60Z",  # a leap second: RFC 3339 allows it, fromisoformat does not
    "2025-01-01",
    "2025-13-01T00:00:00Z",
    "yesterday",
    "",
]
URIS = ["http://example.test/x", "ftp://a b", "a:", "1:x", "urn:x"]
NUMBERS = [21.4, 21.45, 0.30000000000000004, 1e-20, 1.7e308, 16, -0.0, 2**70, float("nan")]
INTEGERS = [0, -1, 1.0, 1.5, True, 2**64, 2**70, -(2**63) - 1, "1", None]


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _example(schema: dict[str, Any], root: dict[str, Any], depth: int = 0) -> Any:
    """A valid instance with every property the schema names (depth-limited)."""
    schema = _resolve(schema, root)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        names = properties if depth < 6 else schema.get("required", [])
        return {name: _example(properties[name], root, depth + 1) for name in names}
    if kind == "array":
        return [_example(schema.get("items", {}), root, depth + 1)]
    if kind == "string":
        formats = {"date-time": DATE_TIMES[0], "uri": URIS[0]}
        return formats.get(schema.get("format", ""), "x")
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "number":
        return schema.get("minimum", 1.5)
    if kind == "boolean":
        return True
    return None


def _variants(schema: dict[str, Any], root: dict[str, Any], value: Any) -> Iterator[Any]:
    """Values to put where `value` (valid for `schema`) stands: edge cases and wrong ones."""
    schema = _resolve(schema, root)
    yield from ({}, [], "x", 1, 1.5, True, None)
    for allowed in schema.get("enum", []):
        yield allowed
        yield allowed.lower() if isinstance(allowed, str) else allowed
    if schema.get("enum"):
        yield "NotAnEnumValue"
    if schema.get("format") == "date-time":
        yield from DATE_TIMES
    if schema.get("format") == "uri":
        yield from URIS
    if "maxLength" in schema:
        limit = schema["maxLength"]
        yield from ("x" * limit, "x" * (limit + 1), "é" * limit, "😀" * (limit + 1), "\ud800")
    if schema.get("type") == "integer":
        yield from INTEGERS
    if schema.get("type") == "number" or "multipleOf" in schema:
        yield from NUMBERS
    for bound in ("minimum", "maximum"):
        if bound in schema:
            yield from (schema[bound] - 1, schema[bound], schema[bound] + 1, schema[bound] + 0.5)
    if isinstance(value, list):
        yield []
        yield value * (schema.get("maxItems", 2) + 1)
    if isinstance(value, dict):
        yield {**value, "unexpectedKey": 1}
        yield {**value, 1: 2}
        for name in schema.get("required", []):
            yield {key: item for key, item in value.items() if key != name}


def _mutations(schema: dict[str, Any], root: dict[str, Any], value: Any) -> Iterator[Any]:
    """`value` with one place changed, for every place in it."""
    yield from _variants(schema, root, value)
    schema = _resolve(schema, root)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name, item in value.items():
            if name in properties:
                for changed in _mutations(properties[name], root, item):
                    yield {**value, name: changed}
    elif isinstance(value, list) and value:
        for changed in _mutations(schema.get("items", {}), root, value[0]):
            yield [changed, *value[1:]]


def _schema(version: str, action: str, response: bool) -> dict[str, Any]:
    name = v._file_name(version, action, response)
    text = v._schema_dir(version).joinpath(name).read_text(encoding="utf-8-sig")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _outcome(check: v.Check, payload: Any) -> tuple[str, str, str] | None:
    try:
        check(payload)
    except OCPPError as error:
        return type(error).__name__, error.description, json.dumps(error.details)
    except ValueError as error:  # today's path on NaN against multipleOf: kept as it is
        return type(error).__name__, str(error), ""
    return None


def _judge_alike(version: str, action: str, response: bool, payloads: list[Any]) -> int:
    """Asserts the fast path's verdict is fastjsonschema's for every payload; returns how many
    the Rust validator passed on its own."""
    python = v._python_check(version, action, response, v._compile(version, action, response))
    fast = v._fast_validator(version, action, response)
    assert fast is not None, f"{version} {action}: the fast path does not fit the schema"
    both = v._fast_check(fast.is_valid, python)
    passed = 0
    for payload in payloads:
        expected = _outcome(python, payload)
        assert _outcome(both, payload) == expected, (version, action, response, payload)
        try:
            rust_valid = fast.is_valid(payload)
        except Exception:
            rust_valid = False
        assert not (rust_valid and expected), ("Rust passed what Python refuses", payload)
        passed += rust_valid
    return passed


KINDS = [
    (version, action, response)
    for version in (OCPP16, OCPP201)
    for action in sorted(v.actions(version))
    for response in (False, True)
]


@pytest.mark.parametrize(("version", "action", "response"), KINDS)
def test_every_schema_judges_its_mutations_as_fastjsonschema_does(
    version: str, action: str, response: bool
) -> None:
    schema = _schema(version, action, response)
    real = [
        entry["payload"]
        for entry in REAL
        if (entry["version"], entry["action"], entry["response"]) == (version, action, response)
    ]
    corpus: list[Any] = []
    for valid in [_example(schema, schema), *real]:
        corpus.append(valid)
        corpus.extend(copy.deepcopy(mutation) for mutation in _mutations(schema, schema, valid))
    assert _judge_alike(version, action, response, corpus) >= 1


def test_every_real_payload_passes_on_the_fast_path_alone() -> None:
    for entry in REAL:
        version, action, response = entry["version"], entry["action"], entry["response"]
        fast = v._fast_validator(version, action, response)
        assert fast is not None
        assert fast.is_valid(entry["payload"]), entry


def test_the_corpus_covers_the_quickstarts_messages_in_both_versions() -> None:
    kinds = {(entry["version"], entry["action"]) for entry in REAL}
    for action in ("BootNotification", "Heartbeat", "StatusNotification", "Authorize"):
        assert {(OCPP16, action), (OCPP201, action)} <= kinds
    assert {(OCPP16, "MeterValues"), (OCPP16, "StartTransaction")} <= kinds
    assert (OCPP201, "TransactionEvent") in kinds


def test_a_schema_with_a_keyword_not_checked_to_agree_stays_in_python() -> None:
    assert v._agreed({"type": "object", "properties": {"format": {"type": "string"}}})
    assert not v._agreed({"type": "string", "pattern": "^x$"})
    assert not v._agreed({"type": "string", "format": "email"})
    assert not v._agreed({"properties": {"a": {"items": [{"uniqueItems": True}]}}})
    assert not v._agreed({"$ref": "http://example.test/other.json"})


def test_the_python_setting_turns_the_fast_path_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(v, "_checks", {})
    monkeypatch.setenv("CHARGENET_VALIDATOR", "python")

    def no_rust(*_: object) -> None:
        raise AssertionError("the fast path was built")

    monkeypatch.setattr(v, "_fast_validator", no_rust)
    validate_request(OCPP16, "Heartbeat", {})
    with pytest.raises(OCPPError):
        validate_request(OCPP16, "BootNotification", {})
