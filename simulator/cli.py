"""The `chargenet` command: parse, call, render, map errors to exit codes.

Each sub-command is a module in simulator/commands with `add_parser(sub)` and
`main(args, console) -> int`; they are found by name, so adding one touches nothing here.
A user's mistake ends in one line naming the cause and exit code 2; nothing is written.
Bare `chargenet` prints the help and exits 0; `chargenet --version` prints the version.
`csms` is listed with the others but handed over before parsing (`_become_central_system`).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from simulator import commands
from simulator.errors import EXIT_INTERRUPTED, EXIT_USAGE, UserError
from simulator.version import __version__

CSMS = "csms"
CSMS_HELP = "the built-in OCPP 1.6J and 2.0.1 central system: csms serve, csms call (csms --help)"
PIPED_COLUMNS = 120
"""Piped or captured output is at least this wide, whatever COLUMNS says."""
WIDE_COLUMNS = 10_000
"""Room to measure a table's natural width in."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        print(f"chargenet: {message} (see chargenet --help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _modules() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            found[info.name] = importlib.import_module(f"simulator.commands.{info.name}")
    return found


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Any]]:
    parser = Parser(
        prog="chargenet",
        description="OCPP charging network simulator.",
        epilog="chargenet csms serve|call: the built-in OCPP 1.6J and 2.0.1 central system, in "
        "its own process (chargenet csms serve --help, chargenet csms call --help)",
    )
    parser.add_argument("--version", action="version", version=f"chargenet {__version__}")
    modules = _modules()
    names = sorted([*modules, CSMS])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for name in names:
        if name == CSMS:  # never parsed here: main() hands `csms ...` over first
            sub.add_parser(CSMS, help=CSMS_HELP, add_help=False)
        else:
            modules[name].add_parser(sub)
    return parser, modules


def table_console(**options: Any) -> Any:
    """A rich Console that never cuts a table: one that cannot fit the console is printed at
    the narrowest width that keeps every column and every word whole (a terminal then wraps
    the long lines; rich would drop the last columns and shorten names to "Volksw…"). Text
    cells still wrap at word boundaries; other output keeps the console's width."""
    from rich.console import Console
    from rich.measure import Measurement
    from rich.table import Table

    class TableConsole(Console):
        def print(self, *objects: Any, **kwargs: Any) -> None:
            tables = [o for o in objects if isinstance(o, Table)]
            if not tables:
                super().print(*objects, **kwargs)
                return
            wide = self.options.update_width(WIDE_COLUMNS)
            need = max(Measurement.get(self, wide, t).minimum for t in tables)
            width = self.width
            self.width = max(width, need)
            try:
                super().print(*objects, **kwargs)
            finally:
                self.width = width

    return TableConsole(**options)


def _become_central_system(arguments: list[str]) -> int:
    """Replace this process with the central system's own command line (never imported here).

    exec, not a child: SIGTERM, SIGINT and the rest reach the server itself, so stopping
    `chargenet csms serve` frees its ports and its store. Returns only if exec fails."""
    import os

    argv = [sys.executable, "-m", "central_system", "--prog", "chargenet csms", *arguments]
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execv(sys.executable, argv)
    except OSError as e:
        print(f"chargenet: cannot start the central system: {e.strerror or e}", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == [CSMS]:
        return _become_central_system(argv[1:])
    try:
        return _dispatch(argv)
    except KeyboardInterrupt:  # before or after a command (the commands' own is below)
        print("chargenet: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _dispatch(argv: list[str]) -> int:
    # Imported here, not above: handing over to `csms` needs neither (they take seconds on a
    # loaded machine, and a Ctrl-C meanwhile would end in a traceback).
    from simulator.commands._common import forget_outs, remove_empty_outs
    from simulator.scenario import ScenarioError

    parser, modules = build_parser()
    if not argv:
        parser.print_help()
        return 0
    args = parser.parse_args(argv)
    console = table_console()
    if not console.is_terminal:  # piped or captured: lines as long as a log reader takes
        console = table_console(width=max(console.width, PIPED_COLUMNS))
    code = EXIT_INTERRUPTED
    try:
        code = modules[args.command.replace("-", "_")].main(args, console)
        return code
    except (ScenarioError, UserError) as e:
        code = EXIT_USAGE
        print(f"chargenet: {e}", file=sys.stderr)
        return code
    except KeyboardInterrupt:
        print("chargenet: interrupted", file=sys.stderr)
        return code
    finally:
        if code:  # a failure leaves no empty --out folder (one that existed before stays)
            remove_empty_outs()
        else:
            forget_outs()


if __name__ == "__main__":
    raise SystemExit(main())
