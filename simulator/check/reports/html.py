"""A self-contained HTML report: a summary table, then one section per check with its
description, verdict, reason and frames. No script, no external resource."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Final

from simulator.check.catalogue import Check
from simulator.check.evidence import Direction
from simulator.check.reports.model import Run
from simulator.check.verdicts import Outcome, Verdict

CSS: Final = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin: 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .25em .6em; border-bottom: 1px solid #ddd;
  vertical-align: top; }
.verdict { font-weight: 600; padding: 0 .4em; border-radius: 3px; white-space: nowrap; }
.pass { background: #d9f2dd; color: #185c25; } .fail { background: #f9d6d5; color: #8a1c17; }
.error { background: #f1d7f4; color: #6a1b75; } .not-run { background: #fbefc8; color: #6b5300; }
.not-applicable { background: #eee; color: #555; }
section.check { border: 1px solid #ddd; border-radius: 6px; padding: 1em; margin: 1.2em 0; }
dl { display: grid; grid-template-columns: 9em 1fr; gap: .2em 1em; margin: .8em 0; }
dt { color: #666; } dd { margin: 0; }
table.frames td { font: 12px/1.35 ui-monospace, monospace; white-space: nowrap; }
table.frames td.text { white-space: pre-wrap; word-break: break-all; width: 100%; }
tr.sent td.text { color: #0b4f8a; } tr.received td.text { color: #245a24; }
tr.event td.text { color: #777; font-style: italic; }
"""

SLUGS: Final = {verdict: verdict.value.replace(" ", "-") for verdict in Verdict}


def _badge(verdict: Verdict) -> str:
    return f'<span class="verdict {SLUGS[verdict]}">{escape(verdict.value)}</span>'


def _section(check: Check, outcome: Outcome) -> str:
    rows = []
    for frame in outcome.frames:
        rows.append(
            f'<tr class="{frame.direction.value}"><td>{frame.at_s:.3f}</td>'
            f"<td>{f'#{frame.connection}' if frame.connection else ''}</td>"
            f"<td>{escape(frame.arrow)}</td>"
            f'<td class="text">{escape(frame.text)}</td></tr>'
        )
    failure = ""
    if outcome.verdict is Verdict.FAIL:
        failure = f"<dt>expected</dt><dd>{escape(outcome.expected)}</dd>"
    frames = (
        '<table class="frames"><thead><tr><th>s</th><th>conn</th><th></th><th>frame</th></tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
        if rows
        else "<p>No frames exchanged.</p>"
    )
    legend = f"{Direction.SENT.value} →, {Direction.RECEIVED.value} ←"
    return (
        f'<section class="check" id="{escape(check.id)}" data-verdict="{outcome.verdict.value}">'
        f"<h2>{escape(check.id)} {_badge(outcome.verdict)} {escape(check.title)}</h2>"
        f"<dl><dt>profile</dt><dd>{escape(check.profile.value)}</dd>"
        f"<dt>clause</dt><dd>{escape(check.clause)}</dd>"
        f"<dt>sends</dt><dd>{escape(check.sends)}</dd>"
        f"<dt>expects</dt><dd>{escape(check.expects)}</dd>{failure}"
        f"<dt>{'got' if outcome.verdict is Verdict.FAIL else 'reason'}</dt>"
        f"<dd>{escape(outcome.reason)}</dd>"
        f"<dt>duration</dt><dd>{outcome.duration_s:.3f} s</dd></dl>"
        f"<details{' open' if outcome.verdict is Verdict.FAIL else ''}>"
        f"<summary>{len(outcome.frames)} frames and events ({legend})</summary>{frames}"
        "</details></section>"
    )


def render(run: Run) -> str:
    summary_rows = "".join(
        f'<tr><td><a href="#{escape(check.id)}">{escape(check.id)}</a></td>'
        f"<td>{_badge(outcome.verdict)}</td><td>{escape(check.title)}</td></tr>"
        for check, outcome in run.results
    )
    sections = "".join(_section(check, outcome) for check, outcome in run.results)
    title = f"chargenet check: {run.url}"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f'<p class="summary">{escape(run.version_label)}, as charge point '
        f"<code>{escape(run.charge_point_id)}</code>, "
        f"{escape(run.started_at.isoformat(timespec='seconds'))}, {run.duration_s:.1f} s: "
        f"{escape(run.summary())}.</p>"
        '<table class="summary"><thead><tr><th>check</th><th>verdict</th><th>title</th></tr>'
        f"</thead><tbody>{summary_rows}</tbody></table>{sections}</body></html>\n"
    )


def write(path: Path, run: Run) -> None:
    path.write_text(render(run), encoding="utf-8")
