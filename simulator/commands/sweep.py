"""`chargenet sweep SCENARIO --vary KEY=V1,V2,... [--vary ...]`: a grid over scenario parameters,
replications at every point with common random numbers, every metric's interval per point.

KEY is a path into the scenario (see simulator/experiment/grid.py and docs/comparing.md):
`arrivals.multiplier`, `networks[tesla].non_member_price_per_kwh`, `vehicles[ford].adapter_share`,
or an alias such as `demand`, `price[tesla]`, `ports[tesla]`. Every point is validated before
anything runs. Writes sweep.csv and sweep.parquet (tidy: one row per point x replication x
scope, group, segment and metric), sweep_intervals.csv, sweep.json and sweep.html.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from simulator import scenario as sc
from simulator.commands._common import (
    check_window,
    exit_code_of,
    prepare_out,
    say,
    with_warmup,
    write_atomic,
)
from simulator.commands.compare import (
    add_experiment_options,
    check_replications,
    discard_kept,
    run_kept,
)
from simulator.errors import EXIT_INTERRUPTED

DEFAULT_REPLICATIONS = 5


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "sweep",
        help="run a grid over scenario parameters, with replications at every point",
        description="Vary scenario parameters over a grid (every combination of the --vary "
        "values), with replications at every point (replication k with seed S + k).",
    )
    p.add_argument("scenario", type=Path)
    p.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="a scenario key and its values, e.g. demand=0.8,1,1.2 or "
        "networks[tesla].non_member_price_per_kwh=0.48,0.56 (repeat for a grid)",
    )
    add_experiment_options(p, DEFAULT_REPLICATIONS)


def main(args: argparse.Namespace, console: Console) -> int:
    # the experiment stack (Dask, pandas, matplotlib) loads only for this command
    from simulator.experiment import estimates as tables
    from simulator.experiment import sweep as sw
    from simulator.experiment.grid import grid, parse_vary
    from simulator.experiment.replications import scenario_data, seed_of
    from simulator.experiment.sweep_report import write_sweep_report
    from simulator.experiment.tables import csv_text, parquet_bytes
    from simulator.reports.method import method_line, run_method

    started_s = time.perf_counter()
    check_replications(args.replications)
    base = with_warmup(sc.load(args.scenario), args.warmup_days)
    varies = [parse_vary(text) for text in args.vary]
    points = grid(base, varies)
    for point in points:
        # a varied days or warmup_days makes each point's window its own
        where = f"{args.scenario} at {point.label}"
        simulation = sc.SimulationSpec.model_validate(point.scenario["simulation"])
        flag = args.warmup_days if simulation.warmup_days == args.warmup_days else None
        check_window(where, simulation, args.days, flag)
    base_seed = args.seed if args.seed is not None else base.simulation.seed
    seeds = [seed_of(base_seed, k) for k in range(args.replications)]
    tasks = sw.tasks(points, replications=args.replications, base_seed=base_seed, days=args.days)
    out = prepare_out(args.out)
    identity = {
        "command": "sweep",
        "scenario": scenario_data(base),
        "--vary": [f"{v.key}={','.join(v.texts)}" for v in varies],
        "--replications": args.replications,
        "--days": args.days,
        "--seed": base_seed,
    }
    runs = run_kept(args, out, identity, tasks)
    if runs is None:
        return EXIT_INTERRUPTED

    result = sw.summarize(
        scenario=base.name,
        source=str(args.scenario),
        varies=varies,
        points=points,
        replications=args.replications,
        seeds=seeds,
        runs=runs,
    )
    raw = sw.runs_table(result)
    write_atomic(out / "sweep.csv", csv_text(raw))
    write_atomic(out / "sweep.parquet", parquet_bytes(raw))
    write_atomic(out / "sweep_intervals.csv", csv_text(sw.intervals_table(result)))
    write_atomic(out / "sweep.json", sw.document(result).model_dump_json(indent=2) + "\n")
    write_sweep_report(result, out / "sweep.html")
    discard_kept(out, runs)

    if not args.quiet:
        tables.print_sweep(result, console)
        run = run_method("fast", time.perf_counter() - started_s)
        say(console, method_line(run, args.replications, seeds))
        say(
            console,
            f"wrote {out / 'sweep.csv'}, sweep.parquet, sweep_intervals.csv, sweep.json "
            "and sweep.html",
        )
    return exit_code_of(runs)
