"""`chargenet report --csms-db FILE --scenario FILE`: the metrics from the central system's view.

The same metrics and summary document as `chargenet run`, computed from what the central
system stored (transactions, status history, meter values) instead of the simulation's own
records: an operator's view to hold against the ground truth. See simulator.ocpp.store_reader
for what can and cannot be rebuilt.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from simulator import runner
from simulator import scenario as sc
from simulator.commands._common import (
    add_window_options,
    check_window,
    prepare_out,
    say,
    with_warmup,
    write_atomic,
)
from simulator.reports import render
from simulator.reports.summary import sessions_csv, to_json


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "report", help="compute the metrics from what a central system stored (operator's view)"
    )
    p.add_argument(
        "--csms-db", type=Path, required=True, metavar="FILE", help="the central system's store"
    )
    p.add_argument(
        "--scenario",
        type=Path,
        required=True,
        metavar="FILE",
        help="the scenario that was run (its ports, sites, networks and vehicles)",
    )
    add_window_options(
        p, "the run's simulated days, as given to chargenet run (default: the file's)"
    )
    p.add_argument(
        "--out", type=Path, default=Path("out-csms"), help="output folder (default out-csms)"
    )
    p.add_argument("--quiet", action="store_true", help="print no table")


def main(args: argparse.Namespace, console: Console) -> int:
    scenario = with_warmup(sc.load(args.scenario), args.warmup_days)
    check_window(args.scenario, scenario.simulation, args.days, args.warmup_days)
    world = sc.world(scenario, days=args.days)
    # here, not at the top: it pulls in ocpp.v201 (0.2 s), which every other command's start
    # would pay for (the CLI imports each command module to build its parser)
    from simulator.ocpp.store_reader import (
        UNSEEN,
        missing_charge_points,
        read_records,
        store_warning,
        stored_charge_points,
    )

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    # none of the scenario's charge points in the store: one line, not an all-zero report;
    # some: store_warning says how many and the report goes on (the others never used)
    port_ids = [p.id for p in world.ports]
    if not stored_charge_points(args.csms_db) & set(port_ids):
        missing = missing_charge_points(args.csms_db, port_ids)
        err.print(
            f"chargenet: --csms-db {args.csms_db}: {missing}: is it the store of this"
            " scenario's run?",
            markup=False,
        )
        return 1
    records = read_records(args.csms_db, world)
    warning = store_warning(args.csms_db, port_ids)
    if warning is not None:
        err.print(warning, markup=False)
    out = prepare_out(args.out)
    summary = runner.summarize_world(world, records)
    write_atomic(out / "summary.json", to_json(summary, UNSEEN))
    write_atomic(out / "sessions.csv", sessions_csv(records))
    from simulator.reports.html import write_run_report  # matplotlib: loaded once needed

    write_run_report(summary, out / "report.html", unseen=UNSEEN)
    if not args.quiet:
        render.print_summary(summary, console, unseen=UNSEEN)
        written = f"{out / 'summary.json'}, {out / 'sessions.csv'}"
        say(console, f"wrote {written} and {out / 'report.html'}")
    return 0
