"""`chargenet validate FILE`: check a scenario file; `--print` writes it composed, as TOML."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import tomli_w
from rich.console import Console

from simulator import scenario as sc
from simulator.commands._common import check_window, say


def add_parser(sub: Any) -> None:
    p = sub.add_parser("validate", help="check a scenario file")
    p.add_argument("scenario", type=Path)
    p.add_argument(
        "--print",
        dest="print_toml",
        action="store_true",
        help="write the scenario with the files it extends merged in, as TOML, to stdout",
    )


def main(args: argparse.Namespace, console: Console) -> int:
    scenario = sc.load(args.scenario)
    check_window(args.scenario, scenario.simulation, None, None)
    if args.print_toml:  # the data as merged (no defaults filled in), which loads back the same
        console.file.write(tomli_w.dumps(sc.compose(args.scenario).data))
        return 0
    say(console, f"{args.scenario}: valid scenario {scenario.name!r}")
    return 0
