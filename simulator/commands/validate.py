"""`chargenet validate FILE...`: check scenario files, one line each; `--print` writes one file
composed (the files it extends merged in), as TOML.

Every file is checked (a bad one does not hide the next): a valid file's line goes to stdout,
a defect's line to stderr, and the exit code is 2 if any file is not valid."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from simulator import scenario as sc
from simulator.commands._common import check_window, say
from simulator.errors import EXIT_USAGE, UserError


def add_parser(sub: Any) -> None:
    p = sub.add_parser("validate", help="check scenario files")
    p.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO")
    p.add_argument(
        "--print",
        dest="print_toml",
        action="store_true",
        help="write the scenario with the files it extends merged in, as TOML, to stdout",
    )


def main(args: argparse.Namespace, console: Console) -> int:
    if args.print_toml:
        return _print(args.scenarios, console)
    failed = 0
    for path in args.scenarios:
        try:
            scenario = sc.load(path)
            check_window(path, scenario.simulation, None, None)
        except (sc.ScenarioError, UserError) as e:
            failed += 1
            console.file.flush()
            print(f"chargenet: {e}", file=sys.stderr)
            continue
        say(console, f"{path}: valid scenario {scenario.name!r}")
    if failed and len(args.scenarios) > 1:
        print(f"chargenet: {failed} of {len(args.scenarios)} files are not valid", file=sys.stderr)
    return EXIT_USAGE if failed else 0


def _print(paths: list[Path], console: Console) -> int:
    """The data as merged (no defaults filled in), which loads back the same; only for a
    valid scenario."""
    import tomli_w

    if len(paths) != 1:
        raise UserError(f"--print writes one scenario: {len(paths)} files were given")
    scenario = sc.load(paths[0])
    check_window(paths[0], scenario.simulation, None, None)
    console.file.write(tomli_w.dumps(sc.compose(paths[0]).data))
    return 0
