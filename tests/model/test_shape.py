"""The model stays in concepts small enough to read: no module over 400 lines, no class over 300."""

import ast
from pathlib import Path

import pytest

import simulator.model

MODEL = Path(simulator.model.__file__).parent
MODULE_LINES_MAX = 400
CLASS_LINES_MAX = 300


@pytest.mark.parametrize("path", sorted(MODEL.glob("*.py")), ids=lambda p: p.name)
def test_no_model_module_or_class_outgrows_its_concept(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert source.count("\n") <= MODULE_LINES_MAX, path.name
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            assert node.end_lineno is not None
            lines = node.end_lineno - node.lineno + 1
            assert lines <= CLASS_LINES_MAX, f"{path.name}: {node.name} has {lines} lines"
