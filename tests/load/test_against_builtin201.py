"""A 2.0.1 load against the built-in central system (`python -m central_system serve`, a real
process on 127.0.0.1, which serves `ocpp2.0.1` beside `ocpp1.6`): every CALL answered, and the
counts agree with its store's 2.0.1 tables; the synthetic fleet's and a scenario's traffic."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from simulator.errors import UserError
from simulator.load import LoadOptions, MessagePlan, Ramp, run_load
from simulator.load.report import write_report
from simulator.load.slo import evaluate, parse
from tests.check.helpers import PASSWORD, builtin_central_system
from tests.load.helpers import options, scripted_central_system

PLAN = MessagePlan(
    heartbeat_interval_s=0.5,
    active_share=0.5,
    meter_interval_s=0.25,
    transaction_s=1.0,
    idle_between_s=0.1,  # the first cycle soon after the boot: on a loaded machine it is late
    connectors=2,
)


async def test_every_2_0_1_call_is_answered_and_the_store_agrees(tmp_path: Path) -> None:
    async with builtin_central_system(tmp_path, "--accept-unknown-tags") as url:
        result = await run_load(
            options(url, "0->6 over 1s, hold 5s", plan=PLAN, password=PASSWORD, ocpp="2.0.1")
        )
    document = result.to_json()
    totals = document["totals"]
    assert document["ocpp"] == "2.0.1"
    assert result.stopped is None
    assert totals["callerrors"] == {}  # the central system validates each request: none refused
    assert totals["timeouts"] == totals["lost"] == 0
    assert totals["calls"] == totals["answered"] > 0
    assert totals["connections"]["opened"] == 6
    assert totals["connections"]["failed"] == {}
    actions = document["actions"]
    assert set(actions) == {
        "Authorize",
        "BootNotification",
        "Heartbeat",
        "StatusNotification",
        "TransactionEvent",
    }
    assert actions["BootNotification"]["answered"] == 6
    assert actions["StatusNotification"]["answered"] == 12
    for action in actions.values():
        assert action["count"] == action["answered"]
    verdict = evaluate(parse("p99(TransactionEvent) < 60s"), document)
    assert verdict.held
    assert verdict.measured is not None
    assert verdict.measured > 0
    write_report(document, tmp_path / "report.html", (verdict,))
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<dt>OCPP</dt><dd>2.0.1</dd>" in report
    assert "TransactionEvent" in report

    with sqlite3.connect(tmp_path / "csms.sqlite") as store:

        def one(sql: str) -> int:
            (value,) = store.execute(sql).fetchone()
            return int(value)

        events = one("SELECT count(*) FROM transaction_events_201")
        started = one("SELECT count(*) FROM transaction_events_201 WHERE event_type = 'Started'")
        updated = one("SELECT count(*) FROM transaction_events_201 WHERE event_type = 'Updated'")
        ended = one("SELECT count(*) FROM transaction_events_201 WHERE event_type = 'Ended'")
        assert one("SELECT count(*) FROM charge_points") == 6
        assert one("SELECT count(*) FROM status_notifications_201") == 12
        assert one("SELECT count(*) FROM seq_no_gaps_201") == 0
        assert one("SELECT count(*) FROM transaction_events_201 WHERE late OR repeats") == 0
        assert one("SELECT count(*) FROM transactions_201") == started >= 1
        # seqNo from 0 without a gap: a transaction's events are 0..last_seq_no
        assert (
            one("SELECT count(*) FROM transactions_201 WHERE event_count != last_seq_no + 1") == 0
        )
        assert (
            one(
                "SELECT count(*) FROM transactions_201 WHERE ended_at IS NOT NULL "
                "AND stopped_reason = 'Local' AND end_trigger_reason = 'StopAuthorized' "
                "AND start_trigger_reason = 'Authorized' AND id_token_status = 'Accepted'"
            )
            == ended
        )

        # Started and Ended carry the register, each Updated the register and the power (the
        # store keeps a sample once per timestamp: the plan's are to the second).
        def samples(context: str, measurand: str = "Energy.Active.Import.Register") -> int:
            return one(
                "SELECT count(*) FROM meter_values_201 WHERE source = 'TransactionEvent' AND "
                f"context = '{context}' AND measurand = '{measurand}' AND transaction_id "
                "IS NOT NULL AND seq_no IS NOT NULL"
            )

        assert samples("Transaction.Begin") == started
        assert samples("Transaction.End") == ended
        assert 0 < samples("Sample.Periodic", "Power.Active.Import") <= updated
        assert samples("Sample.Periodic") == samples("Sample.Periodic", "Power.Active.Import")
    assert events == actions["TransactionEvent"]["answered"]
    assert ended >= 1
    assert updated >= ended


async def test_ocpp_2_0_1_with_a_scenario_makes_every_network_speak_it(tmp_path: Path) -> None:
    scenario = Path(__file__).with_name("small_scenario.toml")  # its one network: 1.6
    async with builtin_central_system(tmp_path, "--accept-unknown-tags") as url:
        result = await run_load(
            LoadOptions(
                url=url,
                ramp=Ramp.parse("0").held_until(2.0),
                scenario=scenario,
                speed=1200.0,
                window_s=1.0,
                timeout_s=20.0,
                max_duration_s=100.0,
                password=PASSWORD,
                ocpp="2.0.1",
            )
        )
    document = result.to_json()
    assert document["ocpp"] == "2.0.1"
    assert document["plan"]["traffic"] == "scenario"
    assert result.stopped is None
    totals, actions = document["totals"], document["actions"]
    assert totals["calls"] == totals["answered"] > 0
    assert {"BootNotification", "Authorize", "TransactionEvent"} <= set(actions)
    assert not {"StartTransaction", "StopTransaction"} & set(actions)
    verdict = evaluate(parse("p99(TransactionEvent) < 60s"), document)
    assert verdict.held
    with sqlite3.connect(tmp_path / "csms.sqlite") as store:
        (events,) = store.execute("SELECT count(*) FROM transaction_events_201").fetchone()
        (gaps,) = store.execute("SELECT count(*) FROM seq_no_gaps_201").fetchone()
    assert events == actions["TransactionEvent"]["answered"]
    assert gaps == 0


async def test_a_backend_without_2_0_1_ends_the_run_in_one_line_naming_it() -> None:
    async with scripted_central_system() as system:  # it speaks ocpp1.6 only
        with pytest.raises(UserError) as raised:
            await run_load(options(system.url, "boot-storm:2, hold 5s", ocpp="2.0.1"))
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("charge point load-00000")
    assert "HTTP 400 Bad Request, offered the subprotocol ocpp2.0.1" in message
    assert system.received == 0
