"""`chargenet run SCENARIO`: simulate one scenario, print the tables, write summary and sessions."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from simulator import runner
from simulator import scenario as sc
from simulator.commands._common import positive_float, prepare_out, write_atomic
from simulator.model.world import DAY_S, build
from simulator.reports import render
from simulator.reports.summary import sessions_csv, to_json

LONG_RUN_DAYS = 14  # a progress bar from this many simulated days on


def add_parser(sub: Any) -> None:
    p = sub.add_parser("run", help="simulate a scenario and report utilization")
    p.add_argument("scenario", type=Path)
    p.add_argument("--days", type=positive_float, help="simulated days (default: the file's)")
    p.add_argument("--seed", type=int, help="random seed (default: the file's)")
    p.add_argument("--out", type=Path, default=Path("out"), help="output folder (default out)")
    p.add_argument(
        "--engine",
        choices=("fast", "ocpp"),
        default="fast",
        help="fast: no wire; ocpp: every port speaks OCPP 1.6J to a central system",
    )
    p.add_argument("--quiet", action="store_true", help="print no table")


def main(args: argparse.Namespace, console: Console) -> int:
    scenario = sc.load(args.scenario)
    out = prepare_out(args.out)
    world = build(scenario, days=args.days, seed=args.seed)
    days = world.horizon_s / DAY_S
    with Progress(
        TextColumn("simulating"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} days"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=args.quiet or days < LONG_RUN_DAYS,
    ) as bar:
        task = bar.add_task("run", total=days)

        def progress(done_s: float, _total_s: float) -> None:
            bar.update(task, completed=done_s / DAY_S)

        records = runner.run_fast(world, progress)
    summary = runner.summarize_world(world, records)
    write_atomic(out / "summary.json", to_json(summary))
    write_atomic(out / "sessions.csv", sessions_csv(records))
    if not args.quiet:
        render.print_summary(summary, console)
        console.print(f"wrote {out / 'summary.json'} and {out / 'sessions.csv'}", highlight=False)
    return 0
