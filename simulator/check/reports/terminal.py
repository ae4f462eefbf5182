"""The verdicts as a rich table, and the catalogue (--list)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from rich.console import Console
from rich.table import Table

from ocppj.versions import OCPP16
from simulator.check.catalogue import VERSION_LABELS, Check
from simulator.check.reports.model import Run
from simulator.check.verdicts import Verdict

STYLES: Final = {
    Verdict.PASS: "green",
    Verdict.FAIL: "bold red",
    Verdict.NOT_APPLICABLE: "dim",
    Verdict.NOT_RUN: "yellow",
    Verdict.ERROR: "bold magenta",
}


def verdicts_table(run: Run) -> Table:
    title = f"chargenet check ({run.version_label}) {run.url} as {run.charge_point_id}"
    table = Table(title=title, expand=False)
    table.add_column("check", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    table.add_column("title")
    table.add_column("reason")
    table.add_column("s", justify="right")
    for check, outcome in run.results:
        reason = outcome.reason if outcome.verdict is not Verdict.PASS else ""
        if outcome.verdict is Verdict.FAIL:
            reason = f"expected {outcome.expected}; got {outcome.reason}"
        table.add_row(
            check.id,
            f"[{STYLES[outcome.verdict]}]{outcome.verdict.value}[/]",
            check.title,
            reason,
            f"{outcome.duration_s:.2f}",
        )
    return table


def print_run(console: Console, run: Run) -> None:
    console.print(verdicts_table(run))
    console.print(f"{run.summary()} in {run.duration_s:.1f} s", highlight=False)


def catalogue_table(checks: Sequence[Check]) -> Table:
    versions = {check.ocpp_version for check in checks} - {OCPP16}
    named = "".join(f" (OCPP {VERSION_LABELS[version]})" for version in sorted(versions))
    table = Table(title=f"chargenet check{named}: {len(checks)} checks")
    table.add_column("id", no_wrap=True)
    table.add_column("profile", no_wrap=True)
    table.add_column("title")
    table.add_column("clause")
    for check in checks:
        title = check.title + (" [yellow](backend-initiated)[/]" if check.backend_initiated else "")
        table.add_row(check.id, check.profile.value, title, check.clause)
    return table
