"""The `ocpp` package's public surface ocppj stands on, checked against the installed package.

ocppj uses no private name of `ocpp` (this file fails if one creeps back into ocppj's source)
and only these public ones: the message classes, the exceptions, the routing decorators and
`create_route_map`, the key conversions, the versions' call/call_result dataclasses and the
schema files. If a release moves any of them, a test here names it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest
from ocpp.exceptions import (
    InternalError,
    OCPPError,
    PropertyConstraintViolationError,
    UnknownCallErrorCodeError,
)
from ocpp.messages import Call, CallError, CallResult, MessageType
from ocpp.routing import after, create_route_map, on

from ocppj import OCPP16, OCPP201, Version
from ocppj.validation import actions

ROOT = Path(__file__).resolve().parents[3]
STUBS = ROOT / "typings" / "ocpp"


def _ocppj_imports() -> set[tuple[str, str]]:
    """(module, name) of every `from ocpp... import name` in ocppj's source."""
    found = set()
    for path in (ROOT / "ocppj").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "ocpp":
                found |= {(node.module or "", alias.name) for alias in node.names}
            elif isinstance(node, ast.Import):
                assert all(alias.name.split(".")[0] != "ocpp" for alias in node.names), path
    return found


def test_ocppj_imports_no_private_name_of_the_ocpp_package() -> None:
    imported = _ocppj_imports()
    assert imported, "ocppj should import from ocpp"
    assert [name for module, name in imported if name.startswith("_")] == []
    for module, name in imported:
        assert hasattr(importlib.import_module(module), name), f"{module}.{name}"


def test_no_ocppj_class_inherits_from_the_ocpp_package_but_its_errors() -> None:
    for path in (ROOT / "ocppj").glob("*.py"):
        module = importlib.import_module(
            f"ocppj.{path.stem}" if path.stem != "__init__" else "ocppj"
        )
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if not cls.__module__.startswith("ocppj"):
                continue
            inherited = [base for base in cls.__mro__ if base.__module__.split(".")[0] == "ocpp"]
            assert inherited in ([], [OCPPError]), f"{cls.__name__} inherits {inherited}"


def test_every_private_attribute_ocppj_reads_is_its_own() -> None:
    own: set[str] = set()
    read: dict[str, str] = {}
    for path in (ROOT / "ocppj").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                own.add(node.name)
            elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
                if isinstance(node.ctx, ast.Store):
                    own.add(node.attr)
                elif not node.attr.startswith("__"):
                    read[node.attr] = path.name
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Attribute):
                own.add(node.target.attr)
    assert {name: where for name, where in read.items() if name not in own} == {}


def _stubbed() -> list[tuple[str, str, ast.AST]]:
    found = []
    for path in sorted(STUBS.glob("*.pyi")):
        module = "ocpp" if path.stem == "__init__" else f"ocpp.{path.stem}"
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                found.append((module, node.name, node))
    return found


STUBBED = _stubbed()


@pytest.mark.parametrize(
    ("module", "name", "node"), STUBBED, ids=[f"{module}.{name}" for module, name, _ in STUBBED]
)
def test_every_stubbed_name_exists_with_the_stubs_parameters(
    module: str, name: str, node: ast.AST
) -> None:
    runtime = getattr(importlib.import_module(module), name)
    functions: list[tuple[str, object, ast.FunctionDef | ast.AsyncFunctionDef]] = []
    if isinstance(node, ast.ClassDef):
        bases = [base.id for base in node.bases if isinstance(base, ast.Name)]
        for base in bases:
            assert any(b.__name__ == base for b in runtime.__mro__), f"{name}({base})"
        for item in node.body:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                functions.append((f"{name}.{item.name}", getattr(runtime, item.name), item))
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                attribute = item.target.id
                annotation = ast.unparse(item.annotation)
                if annotation.startswith("ClassVar") and (name, attribute) != ("OCPPError", "code"):
                    assert hasattr(runtime, attribute), f"{name}.{attribute}"
    else:
        functions.append((name, runtime, node))  # type: ignore[arg-type]
    for label, function, stub in functions:
        expected = [a.arg for a in stub.args.posonlyargs + stub.args.args + stub.args.kwonlyargs]
        assert list(inspect.signature(function).parameters) == expected, label  # type: ignore[arg-type]


def test_messages_serialize_as_ocpp_j_frames() -> None:
    assert (MessageType.Call, MessageType.CallResult, MessageType.CallError) == (2, 3, 4)
    request = Call("m1", "Heartbeat", {})
    assert request.to_json() == '[2,"m1","Heartbeat",{}]'
    assert request.create_call_result({"a": 1}).to_json() == '[3,"m1",{"a":1}]'
    bug = request.create_call_error(ValueError("x"))
    assert (bug.unique_id, bug.error_code) == ("m1", InternalError.code)
    refusal = request.create_call_error(PropertyConstraintViolationError("no", {"k": 1}))
    assert refusal.to_json() == '[4,"m1","PropertyConstraintViolation","no",{"k":1}]'
    assert CallResult("m2", {}).payload == {}


def test_a_callerror_becomes_its_exception_and_an_unknown_code_raises() -> None:
    error = CallError("m1", "PropertyConstraintViolation", "no", {"k": 1}).to_exception()
    assert isinstance(error, PropertyConstraintViolationError)
    assert (error.description, error.details) == ("no", {"k": 1})
    with pytest.raises(UnknownCallErrorCodeError):
        CallError("m1", "Teapot", "", {}).to_exception()


def test_create_route_map_finds_on_and_after_handlers_under_their_keys() -> None:
    class Handlers:
        @on("Heartbeat")
        def on_heartbeat(self) -> str:
            return "on"

        @after("Heartbeat")
        def after_heartbeat(self) -> str:
            return "after"

        @on("Reset", skip_schema_validation=True)
        def on_reset(self) -> str:
            return "reset"

    routes = create_route_map(Handlers())
    assert set(routes) == {"Heartbeat", "Reset"}
    assert routes["Heartbeat"]["_on_action"]() == "on"
    assert routes["Heartbeat"]["_after_action"]() == "after"
    assert "_after_action" not in routes["Reset"]
    # the decorated function keeps its signature (for call_unique_id detection)
    assert list(inspect.signature(Handlers().on_heartbeat).parameters) == []


def test_ocpp_errors_take_a_description_and_details_and_have_a_code() -> None:
    error = InternalError(description="d", details={"x": 1})
    assert (error.code, error.description, error.details) == ("InternalError", "d", {"x": 1})
    assert InternalError().details == {}
    assert issubclass(InternalError, OCPPError)


@pytest.mark.parametrize(("version", "package"), [(OCPP16, "v16"), (OCPP201, "v201")])
def test_every_action_has_call_and_call_result_dataclasses(version: Version, package: str) -> None:
    calls = importlib.import_module(f"ocpp.{package}.call")
    results = importlib.import_module(f"ocpp.{package}.call_result")
    assert len(actions(version)) > 20
    for action in actions(version):
        assert inspect.isclass(getattr(calls, action)), action
        assert inspect.isclass(getattr(results, action)), action
