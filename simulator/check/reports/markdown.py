"""The catalogue as a Markdown table (`chargenet check --list --markdown`): docs/checking.md
holds exactly this table, and a backend team can keep one in its own docs."""

from __future__ import annotations

from collections.abc import Sequence

from simulator.check.catalogue import Check

__all__ = ["catalogue_markdown"]

HEADER = "| id | profile | started by | title | a pass needs |\n| --- | --- | --- | --- | --- |"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def catalogue_markdown(checks: Sequence[Check]) -> str:
    """One row per check: its id, profile, who starts it, title and what a pass needs."""
    rows = [HEADER]
    for check in checks:
        started_by = "backend" if check.backend_initiated else "charge point"
        rows.append(
            f"| `{check.id}` | {check.profile.value} | {started_by} | {_cell(check.title)} "
            f"| {_cell(check.expects)} |"
        )
    return "\n".join(rows)
