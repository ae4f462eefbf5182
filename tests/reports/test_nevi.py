"""nevi.csv: one row per charging session with 23 CFR 680.112's fields, and `chargenet run
--export nevi` writes it beside sessions.csv."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path

from simulator import cli
from simulator.model.records import Outcome, PowerSegment, Records, SessionRecord
from simulator.reports.nevi import FIELDS, nevi_csv

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2025, 1, 1, tzinfo=UTC)


def session(
    outcome: Outcome, reason: str, start_s: float, depart_s: float, **kw: object
) -> SessionRecord:
    return SessionRecord(
        start_s, "v", "V", 1, outcome, reason, network="n", site="s", port="p1",
        start_s=start_s, depart_s=depart_s, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def rows(records: Records) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(nevi_csv(records, START))))


def test_a_session_row_has_its_station_port_times_energy_peak_power_and_price() -> None:
    served = session(
        Outcome.SERVED, "Local", 3600.0, 7200.0, energy_kwh=40.0, energy_cost=12.0, idle_fee=1.5
    )
    segments = (
        PowerSegment("p1", 3700.0, 4000.0, 5.0, 10.0, 120.0),
        PowerSegment("p1", 4000.0, 6000.0, 35.0, 120.0, 40.0),
        PowerSegment("p1", 8000.0, 9000.0, 9.0, 200.0, 200.0),  # a later session's
    )
    (row,) = rows(Records(86_400.0, 0.0, (served,), (), segments))
    assert row == {
        "charging_station_id": "s",
        "charging_port_id": "p1",
        "charging_session_id": "p1-1",
        "session_start_time": "2025-01-01T01:00:00Z",
        "session_end_time": "2025-01-01T02:00:00Z",
        "successful_completion": "TRUE",
        "error_code": "",
        "energy_dispensed_kwh": "40.0",
        "peak_session_power_kw": "120.0",
        "payment_method": "",
        "price_paid_usd": "13.5",
        "network": "n",
    }


def test_an_unsuccessful_session_has_its_error_code_and_unplugged_drivers_have_no_row() -> None:
    records = Records(
        86_400.0,
        0.0,
        (
            session(Outcome.TURNED_AWAY, "authorization_invalid", 100.0, 160.0),
            session(Outcome.SERVED, "PowerLoss", 200.0, 900.0, energy_kwh=3.0),
            session(Outcome.ON_SITE, "charging", 1000.0, 86_400.0, energy_kwh=3.0),
            SessionRecord(50.0, "v", "V", 2, Outcome.GAVE_UP, "reneged", "n", "s"),
        ),
        (),
        (),
    )
    assert [(r["successful_completion"], r["error_code"]) for r in rows(records)] == [
        ("FALSE", "authorization_invalid"),
        ("FALSE", "PowerLoss"),
    ]


def test_chargenet_run_export_nevi_writes_one_row_per_plugged_in_session(tmp_path: Path) -> None:
    out = tmp_path / "o"
    args = ["run", str(ROOT / "scenarios" / "quickstart.toml"), "--engine", "fast"]
    assert cli.main([*args, "--days", "0.5", "--quiet", "--out", str(out), "--export", "nevi"]) == 0
    with (out / "nevi.csv").open(encoding="utf-8") as f:
        reader = csv.DictReader(f)
        nevi = list(reader)
    assert tuple(reader.fieldnames or ()) == FIELDS
    with (out / "sessions.csv").open(encoding="utf-8") as f:
        plugged = [r for r in csv.DictReader(f) if r["start_s"] and r["outcome"] != "on_site"]
    assert len(nevi) == len(plugged) > 0
    assert [r["charging_port_id"] for r in nevi] == [r["port"] for r in plugged]
    assert all(
        float(r["peak_session_power_kw"]) > 0 for r in nevi if r["energy_dispensed_kwh"] != "0.0"
    )


def test_every_nevi_column_is_documented_in_outputs_md() -> None:
    text = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    section = text.split("## `nevi.csv`", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)`", section, flags=re.M))
    assert documented == set(FIELDS)
