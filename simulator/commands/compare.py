"""`chargenet compare A.toml B.toml ...`: replications of every scenario with common random
numbers, every metric's 95 % interval per scenario, and paired differences from the first.

Writes compare.json (estimates and differences in summary.json's layout), compare.csv (the same,
one row per interval), replications.parquet (every run's every number) and compare.html.
A failing replication is reported with its scenario, seed and error; the others finish, the
partial results are written, and the exit code is 1.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from simulator import scenario as sc
from simulator.commands._common import (
    add_window_options,
    check_window,
    exit_code_of,
    positive_int,
    prepare_out,
    say,
    with_warmup,
    write_atomic,
)
from simulator.errors import EXIT_INTERRUPTED, UserError

if TYPE_CHECKING:  # the experiment stack loads only when an experiment runs
    from simulator.experiment.replications import Run, Task

DEFAULT_REPLICATIONS = 10


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "compare",
        help="compare scenarios over replications with common random numbers",
        description="Run every scenario N times (replication k of each with seed S + k), "
        "and report every metric with its 95 % interval and the paired differences from the "
        "first scenario.",
    )
    add_experiment_options(p, DEFAULT_REPLICATIONS)
    p.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO")


def add_experiment_options(p: argparse.ArgumentParser, replications: int) -> None:
    """Options that compare and sweep share."""
    p.add_argument(
        "--replications",
        type=positive_int,
        default=replications,
        metavar="N",
        help=f"runs per scenario or point (default {replications}, at least 2)",
    )
    add_window_options(p, "simulated days (default: each file's)")
    p.add_argument(
        "--seed",
        type=int,
        metavar="S",
        help="replication k runs with seed S + k (default: the (first) file's seed)",
    )
    p.add_argument("--out", type=Path, default=Path("out"), help="output folder (default out)")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on this Dask scheduler (e.g. tcp://10.0.0.5:8786) instead of a local cluster",
    )
    p.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="worker processes of the local cluster (default: one per core)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar and no tables")
    p.add_argument(
        "--resume",
        action="store_true",
        help="finish an interrupted run: the same command and --out run only the missing runs",
    )


def run_kept(
    args: argparse.Namespace, out: Path, identity: dict[str, Any], tasks: list[Task]
) -> list[Run] | None:
    """Every run of the experiment, each kept in OUT/runs/ as it finishes; with --resume, the
    interrupted run's kept ones are not run again. On Ctrl-C: one line, and None."""
    from simulator.experiment.checkpoint import FOLDER, Checkpoint
    from simulator.experiment.progress import cluster, run_tasks

    checkpoint = Checkpoint(out, identity, tasks)
    done = checkpoint.start(args.resume)
    kept = len(done)

    def keep(index: int, run: Run) -> None:
        nonlocal kept
        checkpoint.save(index, run)
        kept += run.ok

    try:
        if len(done) == len(tasks):
            return run_tasks(None, tasks, quiet=args.quiet, done=done)
        with cluster(
            args.scheduler, args.workers, len(tasks) - len(done), quiet=args.quiet
        ) as client:
            runs = run_tasks(client, tasks, quiet=args.quiet, done=done, on_run=keep)
    except KeyboardInterrupt:
        # what is on disk: the interrupt may land between a run's save and its count
        kept = max(kept, checkpoint.kept())
        kept_where = f"kept in {out / FOLDER}; --resume runs the rest" if kept else "none kept"
        print(
            f"chargenet: interrupted; {kept} of {len(tasks)} runs done, {kept_where}",
            file=sys.stderr,
        )
        return None
    return runs


def discard_kept(out: Path, runs: list[Run]) -> None:
    """Every run succeeded and the tables are written: the kept runs have served (with a
    failed run, they stay for --resume to run only that one again)."""
    from simulator.experiment.checkpoint import FOLDER

    if all(run.ok for run in runs):
        shutil.rmtree(out / FOLDER, ignore_errors=True)


def check_replications(n: int) -> None:
    if n < 2:
        raise UserError(f"--replications {n}: need at least 2 for confidence intervals")


def labels_of(paths: list[Path], scenarios: list[sc.Scenario]) -> list[str]:
    """Scenario names, or file stems where names repeat, made unique."""
    names = [s.name for s in scenarios]
    counts = Counter(names)
    labels = [p.stem if counts[n] > 1 else n for p, n in zip(paths, names, strict=True)]
    seen: Counter[str] = Counter()
    out = []
    for label in labels:
        seen[label] += 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def main(args: argparse.Namespace, console: Console) -> int:
    # the experiment stack (Dask, pandas, matplotlib) loads only for this command
    from simulator.experiment import comparison as cmp
    from simulator.experiment import estimates as tables
    from simulator.experiment.compare_report import write_compare_report
    from simulator.experiment.replications import plan, scenario_data, seed_of
    from simulator.experiment.tables import csv_text, intervals_frame, parquet_bytes, runs_frame
    from simulator.reports.method import method_line, run_method

    started_s = time.perf_counter()
    check_replications(args.replications)
    scenarios = [with_warmup(sc.load(p), args.warmup_days) for p in args.scenarios]
    for path, s in zip(args.scenarios, scenarios, strict=True):
        check_window(path, s.simulation, args.days, args.warmup_days)
    labels = labels_of(args.scenarios, scenarios)
    base_seed = args.seed if args.seed is not None else scenarios[0].simulation.seed
    seeds = [seed_of(base_seed, k) for k in range(args.replications)]
    labelled = [(label, scenario_data(s)) for label, s in zip(labels, scenarios, strict=True)]
    tasks = plan(
        labelled,
        replications=args.replications,
        base_seed=base_seed,
        days=args.days,
    )
    out = prepare_out(args.out)
    identity = {
        "command": "compare",
        "scenarios": [[label, data] for label, data in labelled],
        "--replications": args.replications,
        "--days": args.days,
        "--seed": base_seed,
    }
    runs = run_kept(args, out, identity, tasks)
    if runs is None:
        return EXIT_INTERRUPTED

    comparison = cmp.compare(labels, runs)
    docs = [
        cmp.ScenarioDoc(
            label=label,
            name=s.name,
            source=str(path),
            days=args.days if args.days is not None else s.simulation.days,
            warmup_days=s.simulation.warmup_days,
        )
        for label, s, path in zip(labels, scenarios, args.scenarios, strict=True)
    ]
    document = cmp.document(
        comparison, scenarios=docs, replications=args.replications, seeds=seeds, runs=runs
    )
    write_atomic(out / "compare.json", document.model_dump_json(indent=2) + "\n")
    frame = intervals_frame(
        [
            ({"kind": "estimate", "scenario": lb, "baseline": ""}, comparison.estimates[lb])
            for lb in labels
        ]
        + [
            (
                {"kind": "difference", "scenario": lb, "baseline": comparison.baseline},
                comparison.differences[lb],
            )
            for lb in labels[1:]
        ]
    )
    write_atomic(out / "compare.csv", csv_text(frame))
    raw = runs_frame(runs, lambda task: {"scenario": task.label})
    write_atomic(out / "replications.parquet", parquet_bytes(raw))
    write_compare_report(comparison, docs, runs, out / "compare.html")
    discard_kept(out, runs)

    if not args.quiet:
        tables.print_comparison(comparison, console)
        run = run_method("fast", time.perf_counter() - started_s)
        say(console, method_line(run, args.replications, seeds))
        say(
            console,
            f"wrote {out / 'compare.json'}, compare.csv, replications.parquet and compare.html",
        )
    return exit_code_of(runs)
