"""One run in the Python API: `chargenet.run(scenario)` -> a Result of pandas DataFrames.

The numbers are those `chargenet run` writes for the same scenario, days and seed:
`Result.to_json()` is summary.json's text, `sessions` is sessions.csv read by pandas, and
`summary` is summary.json flattened the way compare and sweep flatten it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from chargenet.progress import progress as show_progress
from chargenet.scenarios import Scenario, check_window, scenario_of
from simulator import runner
from simulator import scenario as sc
from simulator.errors import UserError
from simulator.experiment.observations import observations
from simulator.experiment.tables import KEY_COLUMNS
from simulator.model.records import Records
from simulator.model.world import DAY_S, World
from simulator.reports.method import RunMethod, run_method
from simulator.reports.nevi import nevi_csv
from simulator.reports.summary import Summary, sessions_csv, to_json

Engine = Literal["fast", "ocpp"]
ENGINES: tuple[Engine, ...] = ("fast", "ocpp")
_LIST_METRICS = frozenset({"hourly_occupancy", "wait_distribution"})


@dataclass(frozen=True, slots=True)
class Result:
    """A finished run: its tables as DataFrames, and the documents they come from."""

    scenario: Scenario
    engine: Engine
    world: World
    records: Records
    document: Summary
    """summary.json as its pydantic model."""
    summary: pd.DataFrame
    """One row per (scope, group, segment, metric): totals, networks, sites and brands, with
    the partner split; the columns of compare and sweep's tidy tables, and `value`."""
    sessions: pd.DataFrame
    """One row per arrival, the columns of sessions.csv (docs/outputs.md); NaN where the file
    has an empty field."""
    ports: pd.DataFrame
    """One row per port: its site, network, power and every port metric."""
    use_spec: pd.DataFrame
    """The EV Charging Use Specification's measures: one row per (scope, group), scope
    totals, networks, sites or ports, with summary.json's `ev_charging_use_spec` keys."""
    chargex: pd.DataFrame
    """ChargeX's customer KPIs: one row per (scope, group), scope totals, networks, sites or
    brands, with summary.json's `chargex` keys (the reasons of visits without a charge are in
    `document.chargex`)."""
    run_method: RunMethod
    """The engine, chargenet's version, the run time and the machine (method.json's own part)."""

    @property
    def seed(self) -> int:
        return self.world.seed

    @property
    def days(self) -> float:
        return self.world.horizon_s / DAY_S

    def to_json(self) -> str:
        """summary.json's text, byte for byte."""
        return to_json(self.document)

    @property
    def method(self) -> dict[str, Any]:
        """The method, as method.json holds it: seeds, replications, warm-up, horizon,
        interval method, engine, version, run time and machine."""
        data: dict[str, Any] = json.loads(self.run_method.to_json(self.document.method))
        return data

    def nevi(self) -> pd.DataFrame:
        """The NEVI-style per-session export, as `chargenet run --export nevi` writes nevi.csv
        (docs/outputs.md)."""
        return pd.read_csv(io.StringIO(nevi_csv(self.records, self.world.start)))

    def __repr__(self) -> str:
        totals = self.document.totals
        return (
            f"<chargenet.Result {self.document.scenario!r}: {self.days:g} days, seed "
            f"{self.seed}, {self.engine} engine, {totals.arrivals} arrivals, "
            f"{totals.served} served>"
        )


def run(
    scenario: Scenario | str | Path,
    *,
    days: float | None = None,
    seed: int | None = None,
    engine: Engine = "fast",
    csms_url: str | None = None,
    progress: bool = False,
) -> Result:
    """Simulate a scenario (or a scenario file) over `days` with `seed` (default: its own).

    engine "fast" (the default here) runs the physics with no wire; "ocpp" runs every port
    over OCPP 1.6J to the built-in central system, or to `csms_url`, as `chargenet run` does
    by default; both give the same physics. `progress` draws a bar (in a notebook too)."""
    s = scenario_of(scenario)
    if engine not in ENGINES:
        raise UserError(f"engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if csms_url is not None and engine != "ocpp":
        raise UserError("csms_url needs engine='ocpp'")
    check_window(s.source, s.model.simulation, days)
    started_s = time.perf_counter()
    world = sc.world(s.model, days=days, seed=seed)
    with show_progress(progress, "simulated", world.horizon_s / DAY_S, "days") as advance:

        def tick(done_s: float, _total_s: float) -> None:
            advance(done_s / DAY_S)

        if engine == "fast":
            records = runner.run_fast(world, tick)
        else:
            records = _run_ocpp(world, csms_url, tick)
    document = runner.summarize_world(world, records)
    versions = sc.ocpp_versions(s.model) if engine == "ocpp" else {}
    return Result(
        scenario=s,
        engine=engine,
        world=world,
        records=records,
        document=document,
        summary=summary_frame(document),
        sessions=pd.read_csv(io.StringIO(sessions_csv(records))),
        ports=ports_frame(world, document),
        use_spec=_groups_frame(
            document.ev_charging_use_spec, ("totals", "networks", "sites", "ports")
        ),
        chargex=_groups_frame(document.chargex, ("totals", "networks", "sites", "brands")),
        run_method=run_method(engine, time.perf_counter() - started_s, versions),
    )


def _groups_frame(block: Any, scopes: tuple[str, ...]) -> pd.DataFrame:
    """One row per (scope, group) of a summary block whose scopes hold metrics by group."""
    rows: list[dict[str, Any]] = []
    if block is not None:
        data = block.model_dump()
        for scope in scopes:
            groups = {"all": data[scope]} if scope == "totals" else data[scope]
            for group, metrics in groups.items():
                scalars = {k: v for k, v in metrics.items() if not isinstance(v, dict)}
                rows.append({"scope": scope, "group": group, **scalars})
    return pd.DataFrame(rows)


def summary_frame(document: Summary) -> pd.DataFrame:
    obs = observations(document.model_dump(exclude_none=True))
    rows = [(k.scope, k.group, k.segment, k.metric, v) for k, v in obs.items()]
    return pd.DataFrame(rows, columns=[*KEY_COLUMNS, "value"])


def ports_frame(world: World, document: Summary) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for port in world.ports:
        metrics = document.ports[port.id].model_dump(exclude_none=True)
        scalars = {
            k: v
            for k, v in metrics.items()
            if k not in _LIST_METRICS and not isinstance(v, dict) and k != "network"
        }
        rows.append(
            {
                "port": port.id,
                "site": port.site,
                "network": port.network,
                "power_kw": port.power_kw,
                **scalars,
            }
        )
    return pd.DataFrame(rows)


def _run_ocpp(world: World, csms_url: str | None, tick: Callable[[float, float], None]) -> Records:
    # asyncio, websockets, ocpp: only when asked
    from simulator.ocpp.engine import OcppRunOptions, run_ocpp

    options = OcppRunOptions(csms_url=csms_url, progress=tick)
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # no loop here (a script): run one
        return run_ocpp(world, options)
    # a notebook's cell runs inside an event loop: the run gets its own, on a thread
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="chargenet-ocpp") as pool:
        return pool.submit(run_ocpp, world, options).result()
