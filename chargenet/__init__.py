"""chargenet's Python API: load a scenario, change it, run it, compare and sweep, in pandas.

    import chargenet

    scenario = chargenet.load("scenarios/quickstart.toml")
    busier = scenario.with_(demand=1.2, days=14)
    result = chargenet.run(busier, seed=3)
    result.summary       # tidy: scope, group, segment, metric, value
    result.sessions      # one row per arrival, the columns of sessions.csv
    result.ports         # one row per port
    result.use_spec      # the EV Charging Use Specification's measures; result.chargex: ChargeX's
    result.method        # seeds, warm-up, engine, version, run time, machine; result.nevi()
    chargenet.compare([scenario, busier], replications=5)
    chargenet.sweep(scenario, {"demand": [0.8, 1.0, 1.2]}, replications=5)

A thin layer over simulator.scenario, simulator.runner, simulator.ocpp.engine and
simulator.experiment (docs/python.md walks through it): the numbers are the command line's
for the same scenario and seed. Nothing below this package imports it.
"""

from __future__ import annotations

from chargenet.experiments import compare, sweep
from chargenet.results import Result, run
from chargenet.scenarios import Scenario, load
from simulator.errors import UserError
from simulator.scenario import ScenarioError
from simulator.version import __version__

__all__ = [
    "Result",
    "Scenario",
    "ScenarioError",
    "UserError",
    "__version__",
    "compare",
    "load",
    "run",
    "sweep",
]
