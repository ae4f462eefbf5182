"""The central system's modules say what they export: `__all__`, kept true to what they define."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import central_system

# Defined at the top level but not for callers: the typed stand-in for ocpp's `@on`.
NOT_EXPORTED = {"central_system.session": {"on"}}


def modules() -> list[str]:
    return [
        f"central_system.{m.name}"
        for m in pkgutil.iter_modules(central_system.__path__)
        if m.name != "__main__"
    ]


def defined_here(module: ModuleType) -> set[str]:
    """The public classes and functions the module itself defines (not the ones it imports)."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == module.__name__
    }


@pytest.mark.parametrize("name", modules())
def test_every_module_exports_what_it_defines_and_nothing_it_only_imports(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert len(set(exported)) == len(exported)
    for export in exported:
        value = getattr(module, export)  # raises if __all__ names something absent
        if inspect.isclass(value) or inspect.isfunction(value):
            assert value.__module__ == name, f"{name} re-exports {export}"
    missing = defined_here(module) - set(exported) - NOT_EXPORTED.get(name, set())
    assert not missing, f"{name}.__all__ leaves out {sorted(missing)}"


def test_the_package_lists_its_modules() -> None:
    assert "central_system.store" in modules()
    assert "central_system.session" in modules()
