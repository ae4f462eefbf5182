"""The run as one JSON document (schema version 1): the target and its OCPP version, the
tallies, and per check its description, verdict, reason, expectation and frames."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from simulator.check.catalogue import VERSION_LABELS
from simulator.check.reports.model import Run

SCHEMA_VERSION: Final = 1


def document(run: Run) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": "chargenet check",
        "url": run.url,
        "ocpp_version": VERSION_LABELS[run.ocpp_version],
        "charge_point_id": run.charge_point_id,
        "started_at": run.started_at.isoformat(),
        "duration_s": round(run.duration_s, 3),
        "counts": {verdict.value: n for verdict, n in run.counts().items()},
        "exit_code": run.exit_code,
        "checks": [
            {
                "id": check.id,
                "title": check.title,
                "kind": check.kind.value,
                "profile": check.profile.value,
                "clause": check.clause,
                "sends": check.sends,
                "expects": check.expects,
                "backend_initiated": check.backend_initiated,
                "verdict": outcome.verdict.value,
                "reason": outcome.reason,
                "expected": outcome.expected,
                "duration_s": round(outcome.duration_s, 3),
                "frames": [
                    {
                        "at_s": round(frame.at_s, 4),
                        "connection": frame.connection,
                        "direction": frame.direction.value,
                        "text": frame.text,
                    }
                    for frame in outcome.frames
                ],
            }
            for check, outcome in run.results
        ],
    }


def write(path: Path, run: Run) -> None:
    path.write_text(json.dumps(document(run), indent=2, ensure_ascii=False) + "\n", "utf-8")
