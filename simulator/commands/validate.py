"""`chargenet validate FILE`: check a scenario file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from simulator import scenario as sc
from simulator.commands._common import check_window, say


def add_parser(sub: Any) -> None:
    p = sub.add_parser("validate", help="check a scenario file")
    p.add_argument("scenario", type=Path)


def main(args: argparse.Namespace, console: Console) -> int:
    scenario = sc.load(args.scenario)
    check_window(args.scenario, scenario.simulation, None, None)
    say(console, f"{args.scenario}: valid scenario {scenario.name!r}")
    return 0
