"""The reports never import the experiments (which build on the reports): importing every
module of simulator.reports in a fresh interpreter loads nothing of simulator.experiment."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import simulator.reports

PROBE = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted(m for m in sys.modules if m.startswith("simulator."))))
"""


def test_importing_every_reports_module_loads_no_experiment_module() -> None:
    names = [
        f"simulator.reports.{m.name}" for m in pkgutil.iter_modules(simulator.reports.__path__)
    ]
    assert "simulator.reports.catalogue" in names
    assert "simulator.reports.views" in names
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *names],
        capture_output=True,
        text=True,
        timeout=110,
        check=True,
    )
    loaded = json.loads(done.stdout)
    assert set(names) <= set(loaded)
    assert [m for m in loaded if m.startswith("simulator.experiment")] == []
