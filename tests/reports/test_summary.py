"""sessions.csv: one row per arrival, an empty field where a time has no value; its columns
are the record's fields, each documented."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from simulator.model.records import Outcome, Records, SessionRecord
from simulator.reports.summary import SESSION_FIELDS, sessions_csv

OUTPUTS_DOC = Path(__file__).resolve().parents[2] / "docs" / "outputs.md"


def record(outcome: Outcome, reason: str, **fields: object) -> SessionRecord:
    return SessionRecord(100.0, "v", "V", 1, outcome, reason, **fields)  # type: ignore[arg-type]


def rows(*sessions: SessionRecord) -> list[dict[str, str]]:
    records = Records(86_400.0, 0.0, tuple(sessions), (), ())
    return list(csv.DictReader(io.StringIO(sessions_csv(records))))


def test_times_with_no_value_are_empty_and_times_of_zero_are_zero() -> None:
    on_port = {"network": "n", "site": "s", "port": "p"}
    away, gave_up, waiting, charging, plugged, refused, served = rows(
        record(Outcome.TURNED_AWAY, "no_access", depart_s=100.0),
        record(Outcome.GAVE_UP, "reneged", network="n", site="s", wait_s=60.0, depart_s=160.0),
        record(Outcome.ON_SITE, "waiting", network="n", site="s", wait_s=50.0, depart_s=150.0),
        record(Outcome.ON_SITE, "charging", **on_port, start_s=100.0, depart_s=900.0),
        record(Outcome.ON_SITE, "plugged_in", **on_port, start_s=0.0, depart_s=900.0),
        record(Outcome.TURNED_AWAY, "authorization_invalid", **on_port, start_s=100.0),
        record(Outcome.SERVED, "Local", **on_port, start_s=0.0, charge_end_s=0.0),
    )
    never_plugged_in = (away, gave_up, waiting)
    assert [r["start_s"] for r in never_plugged_in] == ["", "", ""]
    assert [r["start_s"] for r in (charging, plugged, refused, served)] == [
        "100.0",
        "0.0",
        "100.0",
        "0.0",
    ]
    not_over = (away, gave_up, waiting, charging, plugged, refused)
    assert [r["charge_end_s"] for r in not_over] == [""] * 6
    assert served["charge_end_s"] == "0.0"  # a real time: the run's first instant
    assert [r["depart_s"] for r in (away, gave_up, waiting)] == ["100.0", "160.0", "150.0"]
    assert away["wait_s"] == "0.0"
    assert away["energy_kwh"] == "0.0"


def test_the_columns_are_every_field_of_the_session_record_and_what_it_pays() -> None:
    assert sorted(SESSION_FIELDS) == sorted([*SessionRecord._fields, "price_paid"])
    header = sessions_csv(Records(1.0, 0.0, (), (), ())).splitlines()
    assert header == [",".join(SESSION_FIELDS)]


def test_every_column_is_documented_in_outputs_md() -> None:
    text = OUTPUTS_DOC.read_text(encoding="utf-8")
    table = text[text.index("## `sessions.csv`") :]
    documented = set(re.findall(r"`([a-z_]+)`", table[: table.index("\n## ")]))
    assert [f for f in SESSION_FIELDS if f not in documented] == []
