"""OCPP 2.0.1 station-initiated messages against the built-in central system: the stock `ocpp`
package's v201 ChargePoint (its own validation on) over real websockets on 127.0.0.1, and the
store read back as an independent reader."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from ocpp.exceptions import SecurityError
from ocpp.v201 import call

from central_system.registration import BootPolicy
from central_system.server import RunningCentralSystem, running
from tests.central_system.conftest import make_config, raw_client, serve_process
from tests.central_system.v201_station import (
    OCPP201_SUBPROTOCOL,
    at,
    boot_request,
    energy,
    session_events,
    stock_station,
    transaction_event,
)

Rows = Callable[..., list[tuple[Any, ...]]]


@pytest.fixture
async def central(tmp_path: Path) -> AsyncIterator[RunningCentralSystem]:
    policy = BootPolicy(
        heartbeat_interval_s=120,
        pending_ids=frozenset({"PEND1"}),
        rejected_ids=frozenset({"REJ1"}),
        boot_retry_interval_s=7,
    )
    async with running(make_config(tmp_path, boot_policy=policy)) as central_system:
        yield central_system


async def test_a_stock_201_station_boots_accepted_with_the_heartbeat_interval(
    central: RunningCentralSystem, db_rows: Rows
) -> None:
    async with stock_station(central.ws_url, "CS1") as station:
        reply = await station.call(boot_request(), suppress=False)
        assert (reply.status, reply.interval) == ("Accepted", 120)
        assert central.registry.get("CS1") is not None
        assert central.registry.get("CS1").wire_version == "ocpp2.0.1"  # type: ignore[union-attr]
    assert db_rows(
        "SELECT vendor, model, charge_point_serial_number, firmware_version, iccid, imsi,"
        " registration_status, boot_count FROM charge_points WHERE id = 'CS1'"
    ) == [("OCA", "Stock201", "SN-1", "1.2.3", "8931", "2620", "Accepted", 1)]


async def test_a_pending_station_is_told_to_boot_again_and_is_accepted_next(
    central: RunningCentralSystem,
) -> None:
    async with stock_station(central.ws_url, "PEND1") as station:
        first = await station.call(boot_request(), suppress=False)
        second = await station.call(boot_request(), suppress=False)
    assert (first.status, first.interval) == ("Pending", 7)
    assert (second.status, second.interval) == ("Accepted", 120)


async def test_a_rejected_station_gets_security_error_for_anything_but_a_boot(
    central: RunningCentralSystem, db_rows: Rows
) -> None:
    async with stock_station(central.ws_url, "REJ1") as station:
        reply = await station.call(boot_request(), suppress=False)
        assert (reply.status, reply.interval) == ("Rejected", 7)
        with pytest.raises(SecurityError):
            await station.call(call.Heartbeat(), suppress=False)
        events = session_events("TX-REJ")
        with pytest.raises(SecurityError):
            await station.call(events[0], suppress=False)
        # Still on the same connection: a boot is answered.
        assert (await station.call(boot_request(), suppress=False)).status == "Rejected"
    assert db_rows("SELECT COUNT(*) FROM transactions_201") == [(0,)]


async def test_a_heartbeat_is_answered_with_the_time_and_stored(
    central: RunningCentralSystem, db_rows: Rows
) -> None:
    async with stock_station(central.ws_url, "CS1") as station:
        await station.call(boot_request(), suppress=False)
        reply = await station.call(call.Heartbeat(), suppress=False)
    assert reply.current_time.endswith("Z")
    assert db_rows("SELECT last_heartbeat_at IS NOT NULL FROM charge_points") == [(1,)]


async def test_status_notifications_are_stored_per_evse_and_connector(
    central: RunningCentralSystem, db_rows: Rows
) -> None:
    async with stock_station(central.ws_url, "CS1") as station:
        await station.call(boot_request(), suppress=False)
        for evse_id, connector_id, status in [(1, 1, "Available"), (2, 1, "Occupied")]:
            await station.call(
                call.StatusNotification(
                    timestamp=at(0),
                    connector_status=status,
                    evse_id=evse_id,
                    connector_id=connector_id,
                ),
                suppress=False,
            )
        session = central.registry.get("CS1")
        assert session is not None
        assert {key: report.status for key, report in session.last_status.items()} == {
            "1/1": "Available",
            "2/1": "Occupied",
        }
    assert db_rows(
        "SELECT evse_id, connector_id, connector_status, timestamp"
        " FROM status_notifications_201 ORDER BY id"
    ) == [
        (1, 1, "Available", "2026-03-01T08:00:00.000000Z"),
        (2, 1, "Occupied", "2026-03-01T08:00:00.000000Z"),
    ]


@pytest.mark.parametrize(
    ("id_token", "token_type", "expected"),
    [
        ("ACCEPTED1", "ISO14443", {"status": "Accepted"}),
        ("BLOCKED1", "ISO14443", {"status": "Blocked"}),
        ("PASTDUE1", "ISO14443",
         {"status": "Expired", "cacheExpiryDateTime": "2020-01-01T00:00:00.000000Z"}),
        ("NOBODY", "eMAID", {"status": "Invalid"}),
        ("CHILD1", "Central",
         {"status": "Accepted", "groupIdToken": {"idToken": "FLEET1", "type": "Central"}}),
        ("", "NoAuthorization", {"status": "Accepted"}),
    ],
    ids=["accepted", "blocked", "past its expiry", "unknown", "with a group", "no authorization"],
)  # fmt: skip
async def test_authorize_gives_an_id_token_the_decision_an_id_tag_gets(
    central: RunningCentralSystem, id_token: str, token_type: str, expected: dict[str, Any]
) -> None:
    async with raw_client(central.ws_url, "CS1", subprotocols=[OCPP201_SUBPROTOCOL]) as client:
        reply = await client.call(
            "Authorize", {"idToken": {"idToken": id_token, "type": token_type}}
        )
    assert reply[0] == 3, reply
    assert reply[2] == {"idTokenInfo": expected}


async def test_a_whole_transaction_is_stored_by_the_station_s_transaction_id(
    central: RunningCentralSystem, db_rows: Rows
) -> None:
    async with stock_station(central.ws_url, "CS1") as station:
        await station.call(boot_request(), suppress=False)
        replies = [await station.call(event, suppress=False) for event in session_events("TX-1")]
    assert replies[0].id_token_info == {"status": "Accepted"}
    assert all(reply.id_token_info is None for reply in replies[1:])
    assert db_rows(
        "SELECT transaction_id, evse_id, connector_id, id_token, id_token_type, id_token_status,"
        " started_at, start_trigger_reason, ended_at, stopped_reason, end_trigger_reason,"
        " meter_start_wh, meter_stop_wh, last_seq_no, event_count, charging_state"
        " FROM transactions_201"
    ) == [
        (
            "TX-1", 1, 1, "ACCEPTED1", "ISO14443", "Accepted",
            "2026-03-01T08:00:00.000000Z", "Authorized", "2026-03-01T08:20:00.000000Z",
            "EVDisconnected", "EVCommunicationLost", 1000.0, 3000.0, 4, 5, "Idle",
        )
    ]  # fmt: skip
    assert db_rows(
        "SELECT seq_no, event_type, trigger_reason, offline, late, repeats"
        " FROM transaction_events_201 ORDER BY seq_no"
    ) == [
        (0, "Started", "Authorized", 0, 0, 0),
        (1, "Updated", "MeterValuePeriodic", 0, 0, 0),
        (2, "Updated", "MeterValuePeriodic", 0, 0, 0),
        (3, "Updated", "MeterValuePeriodic", 0, 0, 0),
        (4, "Ended", "EVCommunicationLost", 0, 0, 0),
    ]
    assert db_rows(
        "SELECT seq_no, evse_id, value, context, source FROM meter_values_201 ORDER BY seq_no"
    ) == [
        (0, 1, 1000.0, "Transaction.Begin", "TransactionEvent"),
        (1, 1, 1500.0, "Sample.Periodic", "TransactionEvent"),
        (2, 1, 2000.0, "Sample.Periodic", "TransactionEvent"),
        (3, 1, 2500.0, "Sample.Periodic", "TransactionEvent"),
        (4, 1, 3000.0, "Transaction.End", "TransactionEvent"),
    ]
    assert db_rows("SELECT COUNT(*) FROM seq_no_gaps_201") == [(0,)]


async def test_a_repeated_seq_no_is_answered_and_applied_once(
    central: RunningCentralSystem, db_rows: Rows
) -> None:
    events = session_events("TX-1")
    async with stock_station(central.ws_url, "CS1") as station:
        await station.call(boot_request(), suppress=False)
        for event in [events[0], events[1], events[1], events[2], events[1]]:
            await station.call(event, suppress=False)
    assert db_rows("SELECT last_seq_no, event_count FROM transactions_201") == [(2, 3)]
    assert db_rows("SELECT seq_no, repeats FROM transaction_events_201 ORDER BY seq_no") == [
        (0, 0),
        (1, 2),
        (2, 0),
    ]
    assert db_rows("SELECT COUNT(*) FROM meter_values_201") == [(3,)]


async def test_a_seq_no_gap_is_recorded_and_a_late_event_does_not_rewind_the_state(
    central: RunningCentralSystem, db_rows: Rows
) -> None:
    events = session_events("TX-1", updates=4)
    async with stock_station(central.ws_url, "CS1") as station:
        await station.call(boot_request(), suppress=False)
        for index in (0, 1, 4, 2):
            await station.call(events[index], suppress=False)
    assert db_rows(
        "SELECT transaction_id, first_missing_seq_no, last_missing_seq_no FROM seq_no_gaps_201"
    ) == [("TX-1", 2, 3)]
    assert db_rows("SELECT seq_no, late FROM transaction_events_201 ORDER BY seq_no") == [
        (0, 0),
        (1, 0),
        (2, 1),
        (4, 0),
    ]
    assert db_rows("SELECT last_seq_no, last_event_at, event_count FROM transactions_201") == [
        (4, "2026-03-01T08:20:00.000000Z", 4)
    ]


async def test_a_transaction_first_seen_after_its_start_records_the_gap_from_zero(
    central: RunningCentralSystem, db_rows: Rows
) -> None:
    events = session_events("TX-9")
    async with stock_station(central.ws_url, "CS1") as station:
        await station.call(events[2], suppress=False)
    assert db_rows("SELECT first_missing_seq_no, last_missing_seq_no FROM seq_no_gaps_201") == [
        (0, 1)
    ]
    assert db_rows("SELECT started_at, event_count FROM transactions_201") == [(None, 1)]


async def test_offline_events_are_stored_with_their_flag_and_counted(
    central: RunningCentralSystem, db_rows: Rows
) -> None:
    events = session_events("TX-1")
    offline = transaction_event(
        "Updated", "TX-1", 1, 5, wh=1500.0, offline=True, trigger_reason="MeterValuePeriodic"
    )
    async with stock_station(central.ws_url, "CS1") as station:
        await station.call(events[0], suppress=False)
        await station.call(offline, suppress=False)
    assert db_rows("SELECT seq_no, offline FROM transaction_events_201 ORDER BY seq_no") == [
        (0, 0),
        (1, 1),
    ]
    assert db_rows("SELECT offline_events FROM transactions_201") == [(1,)]


async def test_meter_values_outside_transactions_are_stored_without_one(
    central: RunningCentralSystem, db_rows: Rows
) -> None:
    async with stock_station(central.ws_url, "CS1") as station:
        await station.call(
            call.MeterValues(evse_id=0, meter_value=[energy(12_345.5, 0), energy(12_400.0, 15)]),
            suppress=False,
        )
    assert db_rows(
        "SELECT evse_id, transaction_id, seq_no, timestamp, value, unit, source"
        " FROM meter_values_201 ORDER BY timestamp"
    ) == [
        (0, None, None, "2026-03-01T08:00:00.000000Z", 12345.5, "Wh", "MeterValues"),
        (0, None, None, "2026-03-01T08:15:00.000000Z", 12400.0, "Wh", "MeterValues"),
    ]


async def test_a_security_event_is_stored_in_the_shared_table(
    central: RunningCentralSystem, db_rows: Rows
) -> None:
    async with stock_station(central.ws_url, "CS1") as station:
        await station.call(
            call.SecurityEventNotification(
                type="FirmwareUpdated", timestamp=at(1), tech_info="1.2.3"
            ),
            suppress=False,
        )
    assert db_rows("SELECT charge_point_id, type, timestamp, tech_info FROM security_events") == [
        ("CS1", "FirmwareUpdated", "2026-03-01T08:01:00.000000Z", "1.2.3")
    ]


async def test_data_transfer_echoes_json_data_and_refuses_unknown_vendors(
    central: RunningCentralSystem, db_rows: Rows
) -> None:
    data = {"camelKey": [1, {"n": "x"}], "flag": True}
    async with raw_client(central.ws_url, "CS1", subprotocols=[OCPP201_SUBPROTOCOL]) as client:
        echo = await client.call(
            "DataTransfer", {"vendorId": "org.chargenet", "messageId": "echo", "data": data}
        )
        other = await client.call("DataTransfer", {"vendorId": "com.other", "data": "text"})
    assert echo[2] == {"status": "Accepted", "data": data}
    assert other[2] == {"status": "UnknownVendorId"}
    stored = db_rows("SELECT vendor_id, message_id, data, status FROM data_transfers ORDER BY id")
    assert stored == [
        ("org.chargenet", "echo", json.dumps(data, separators=(",", ":")), "Accepted"),
        ("com.other", None, '"text"', "UnknownVendorId"),
    ]


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "RpcFrameworkError"),
        ('[2, "m1", 42, {}]', "FormatViolation"),
        ('[7, "m1", "Heartbeat", {}]', "MessageTypeNotSupported"),
        ('[2, "m1", "StartTransaction", {}]', "NotImplemented"),
        ('[2, "m1", "GetVariables", {"getVariableData": []}]', "NotSupported"),
        ('[2, "m1", "Heartbeat", {"extra": 1}]', "PropertyConstraintViolation"),
        ('[2, "m1", "StatusNotification", {"timestamp": "2026-03-01T08:00:00.000000Z"}]',
         "OccurenceConstraintViolation"),
        ('[2, "m1", "MeterValues", {"evseId": "one", "meterValue": []}]',
         "TypeConstraintViolation"),
        ('[2, "m1", "SecurityEventNotification",'
         ' {"type": "X", "timestamp": "2026-02-30T00:00:00Z"}]',
         "TypeConstraintViolation"),
    ],
    ids=["not JSON", "action not a string", "unknown message type", "a 1.6 action",
         "a CSMS-to-station action", "extra property", "missing field", "wrong type",
         "impossible date"],
)  # fmt: skip
async def test_a_malformed_frame_gets_the_201_callerror_and_the_connection_goes_on(
    central: RunningCentralSystem, frame: str, code: str
) -> None:
    async with raw_client(central.ws_url, "CS1", subprotocols=[OCPP201_SUBPROTOCOL]) as client:
        reply = await client.send_raw(frame)
        assert reply[0] == 4, reply
        assert reply[2] == code, reply
        assert reply[1] in ("m1", "-1")
        heartbeat = await client.call("Heartbeat", {})
    assert heartbeat[0] == 3


async def test_an_event_with_an_impossible_meter_value_time_is_refused_and_not_stored(
    central: RunningCentralSystem, db_rows: Rows
) -> None:
    event = {
        "eventType": "Started",
        "timestamp": "2026-03-01T08:00:00",  # no offset: read as UTC, so this one is fine
        "triggerReason": "Authorized",
        "seqNo": 0,
        "transactionInfo": {"transactionId": "TX-1"},
        "meterValue": [{"timestamp": "2026-03-01T25:00:00Z", "sampledValue": [{"value": 1.0}]}],
    }
    async with raw_client(central.ws_url, "CS1", subprotocols=[OCPP201_SUBPROTOCOL]) as client:
        reply = await client.call("TransactionEvent", event)
    assert reply[0] == 4, reply
    assert reply[2] in ("PropertyConstraintViolation", "TypeConstraintViolation"), reply
    assert db_rows("SELECT COUNT(*) FROM transaction_events_201") == [(0,)]


async def test_a_201_station_and_a_16_charge_point_share_the_port_and_the_store(
    central: RunningCentralSystem, db_rows: Rows
) -> None:
    async with (
        stock_station(central.ws_url, "CS201") as station,
        raw_client(central.ws_url, "CP16") as charge_point,
    ):
        await station.call(boot_request(), suppress=False)
        assert (await charge_point.boot())["status"] == "Accepted"
        sessions = {session.id: session.wire_version for session in central.registry}
    assert sessions == {"CS201": "ocpp2.0.1", "CP16": "ocpp1.6"}
    assert db_rows("SELECT id, vendor FROM charge_points ORDER BY id") == [
        ("CP16", "Raw"),
        ("CS201", "OCA"),
    ]


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [(["ocpp2.0.1", "ocpp1.6"], "ocpp2.0.1"), (["ocpp1.6", "ocpp2.0.1"], "ocpp1.6")],
    ids=["2.0.1 first", "1.6 first"],
)
async def test_a_station_offering_both_versions_gets_its_own_first_choice(
    central: RunningCentralSystem, offered: list[Any], chosen: str
) -> None:
    async with raw_client(central.ws_url, "CS1", subprotocols=offered) as client:
        assert client.ws.subprotocol == chosen
        assert (await client.call("Heartbeat", {}))[0] == 3
        session = central.registry.get("CS1")
        assert session is not None
        assert session.wire_version == chosen


async def test_serve_with_rejected_ids_rejects_those_stations_and_accepts_the_others(
    tmp_path: Path,
) -> None:
    rejected = tmp_path / "rejected.txt"
    rejected.write_text("# not registered here\nREJ1\n")
    async with serve_process(
        tmp_path / "cli.sqlite", "--rejected-ids", str(rejected), "--boot-retry-interval-s", "9"
    ) as server:
        async with stock_station(server.ws_url, "REJ1") as station:
            refused = await station.call(boot_request(), suppress=False)
        async with stock_station(server.ws_url, "OK1") as station:
            accepted = await station.call(boot_request(), suppress=False)
    assert (refused.status, refused.interval) == ("Rejected", 9)
    assert (accepted.status, accepted.interval) == ("Accepted", 300)
