"""docs/python.ipynb runs in a real Jupyter kernel (nbclient) and gives the CLI's numbers."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from tests.chargenet.conftest import CLI_DAYS, CLI_SEED
from tests.chargenet.helpers import ROOT

NOTEBOOK = ROOT / "docs" / "python.ipynb"
CELL_TIMEOUT_S = 100
MARK = "chargenet-test-summary:"


def outputs_text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        parts.append(output.get("data", {}).get("text/plain", ""))
    return "".join(parts)


@pytest.fixture(scope="module")
def executed() -> nbformat.NotebookNode:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")
    # one cell more, not in the file: the run's summary.json, to hold against the CLI's
    notebook.cells.append(new_code_cell(f"print({MARK!r} + result.to_json())"))
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},  # as Jupyter opens it
    )
    client.execute()
    return notebook


def test_the_notebook_runs_every_cell_without_an_error(executed: nbformat.NotebookNode) -> None:
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert len(code) >= 8
    for cell in code:
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
    assert any("image/png" in o.get("data", {}) for c in code for o in c.outputs)


def test_the_notebooks_run_gives_the_clis_summary_json(
    executed: nbformat.NotebookNode, cli_run: Path
) -> None:
    run_cell = next(c for c in executed.cells if "result = chargenet.run(" in c.source)
    assert f"days={CLI_DAYS}, seed={CLI_SEED}" in run_cell.source  # cli_run's days and seed
    printed = outputs_text(executed.cells[-1])
    assert printed.startswith(MARK)
    assert printed.removeprefix(MARK) == (cli_run / "summary.json").read_text() + "\n"
    assert json.loads(printed.removeprefix(MARK))["seed"] == 5


def test_the_notebook_shows_progress_as_a_line_that_ends_with_the_time_taken(
    executed: nbformat.NotebookNode,
) -> None:
    texts = [outputs_text(c) for c in executed.cells if c.cell_type == "code"]
    assert any("simulated 2/2 days in " in t for t in texts)
    assert any("finished 6/6 runs in " in t for t in texts)  # compare: 2 scenarios x 3
    assert not any("ipywidgets" in t for t in texts)  # rich's bar would need it
