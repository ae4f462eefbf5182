"""Two days of a shared-region scenario (121 charge points) with every station on OCPP 2.0.1,
against the independent stock-`ocpp` v201 central system (tests/ocpp/stock_csms.py), through
`chargenet run`: every message passes the stock validation and is answered, seqNo runs without
gaps in every transaction, every transaction started is ended (but those still charging at
the horizon), and the files are the fast engine's byte for byte.

The central system sets a heartbeat of six hours at each boot and thins the periodic samples
to a quarter of an hour (SetVariables), to keep the frames few: 124 s and 140 s at loads of
14 to 16 on two cores (2026-12-01), hence the longer timeout.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from simulator import cli, runner
from simulator import scenario as sc
from simulator.reports.summary import sessions_csv, to_json
from tests.ocpp.stock_csms import Journal, stock_csms, transactions

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "nacs_opening.toml"  # one of the shared region's six
DAYS = "2"  # the file's warm-up day and one measured day
HEARTBEAT_INTERVAL_S = 6 * 3600
TX_UPDATED_INTERVAL_S = "900"


@pytest.mark.timeout(600)  # 121 stations against the stock classes' executor-thread validation
def test_two_days_of_the_shared_region_over_201_are_accepted_message_by_message(
    tmp_path: Path,
) -> None:
    journal = Journal(
        heartbeat_interval_s=HEARTBEAT_INTERVAL_S,
        configure=[
            {
                "component": {"name": "SampledDataCtrlr"},
                "variable": {"name": "TxUpdatedInterval"},
                "attribute_value": TX_UPDATED_INTERVAL_S,
            }
        ],
    )
    args = ["run", str(SCENARIO), "--days", DAYS, "--quiet"]
    with stock_csms(journal) as csms:
        assert (
            cli.main(
                [*args, "--out", str(tmp_path / "v201"), "--ocpp", "2.0.1", "--csms", csms.url]
            )
            == 0
        )
    # the fast engine in process (its HTML report would cost as much again)
    world = sc.world(sc.load(SCENARIO), days=float(DAYS))
    fast = runner.run_fast(world)
    summary = to_json(runner.summarize_world(world, fast))
    assert (tmp_path / "v201" / "summary.json").read_bytes() == summary.encode()
    assert (tmp_path / "v201" / "sessions.csv").read_bytes() == sessions_csv(fast).encode()

    assert journal.call_errors == []
    assert len(journal.subprotocols) == 121
    assert set(journal.subprotocols.values()) == {"ocpp2.0.1"}
    assert len(journal.set_results) == len(journal.of("BootNotification"))
    assert all(r["attribute_status"] == "Accepted" for r in journal.set_results)
    wire = json.loads((tmp_path / "v201" / "wire.json").read_text(encoding="utf-8"))
    assert wire["refused"] == {}

    events = transactions(journal)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "v201" / "sessions.csv").read_text())))
    plugged = [r for r in rows if r["outcome"] in ("served", "on_site") and r["port"]]
    assert len(events) == len(plugged) > 1000
    still_charging = sum(1 for r in plugged if r["reason"] == "charging")
    open_ = 0
    for transaction_id, sequence in events.items():
        assert [e["seqNo"] for e in sequence] == list(range(len(sequence))), transaction_id
        assert sequence[0]["eventType"] == "Started", transaction_id
        ended = [i for i, e in enumerate(sequence) if e["eventType"] == "Ended"]
        assert ended in ([], [len(sequence) - 1]), transaction_id
        open_ += not ended
    assert open_ == still_charging
