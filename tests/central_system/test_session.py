"""A charge point session over real websockets: bad frames, handlers, the store behind them."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ocpp.v16 import call

from central_system.records import IdTag, IdTagStatus
from central_system.server import RunningCentralSystem, running
from tests.central_system.conftest import (
    make_config,
    now_text,
    raw_client,
    stock_charge_point,
)

STATUS = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
OVERSIZED = json.dumps([2, "big1", "DataTransfer", {"vendorId": "x", "data": "x" * 70_000}])

BAD_FRAMES = [
    pytest.param('[2, "a1", "Heartbeat", {', "-1", "FormationViolation", id="invalid JSON"),
    pytest.param('{"not": "a list"}', "-1", "FormationViolation", id="not a list"),
    pytest.param("[]", "-1", "FormationViolation", id="empty list"),
    pytest.param('[7, "a3", "Heartbeat", {}]', "a3", "FormationViolation", id="unknown type id"),
    pytest.param('["2", "a4", "Heartbeat", {}]', "a4", "FormationViolation", id="type id string"),
    pytest.param('[2, 17, "Heartbeat", {}]', "-1", "FormationViolation", id="id not a string"),
    pytest.param('[2, "a6", "Heartbeat"]', "a6", "ProtocolError", id="missing payload"),
    pytest.param('[2, "a7", "Heartbeat", {}, 1]', "a7", "FormationViolation", id="extra element"),
    pytest.param('[2, "a8", "Heartbeat", []]', "a8", "FormationViolation", id="payload a list"),
    pytest.param('[2, "a9", 5, {}]', "a9", "FormationViolation", id="action not a string"),
    pytest.param('[2, "b1", "FooBar", {}]', "b1", "NotImplemented", id="unknown action"),
    pytest.param('[2, "b2", "Reset", {"type": "Hard"}]', "b2", "NotSupported", id="wrong way"),
    pytest.param(
        '[2, "b3", "BootNotification", {"chargePointVendor": "V"}]',
        "b3",
        "OccurenceConstraintViolation",
        id="missing required field",
    ),
    pytest.param(
        json.dumps([2, "b4", "StatusNotification", {**STATUS, "connectorId": "1"}]),
        "b4",
        "TypeConstraintViolation",
        id="wrong type",
    ),
    pytest.param(
        json.dumps([2, "b5", "StatusNotification", {**STATUS, "colour": "red"}]),
        "b5",
        "PropertyConstraintViolation",
        id="extra property",
    ),
    pytest.param(
        json.dumps([2, "b6", "StatusNotification", {**STATUS, "status": "Sleeping"}]),
        "b6",
        "PropertyConstraintViolation",
        id="value not in enum",
    ),
    pytest.param(
        json.dumps([2, "b7", "Authorize", {"idTag": "X" * 21}]),
        "b7",
        "TypeConstraintViolation",
        id="string too long",
    ),
    pytest.param(
        json.dumps([2, "b8", "StatusNotification", {**STATUS, "timestamp": "yesterday"}]),
        "b8",
        "TypeConstraintViolation",
        id="bad date-time",
    ),
    pytest.param('[2, "b9", "Heartbeat", {"x": NaN}]', "-1", "FormationViolation", id="NaN"),
    pytest.param(b"\xff\xfe not text", "-1", "FormationViolation", id="binary not UTF-8"),
    pytest.param(OVERSIZED, "big1", "FormationViolation", id="oversized frame"),
]


@pytest.mark.parametrize(("frame", "message_id", "error_code"), BAD_FRAMES)
async def test_a_bad_frame_gets_the_ocpp_callerror_and_the_connection_goes_on(
    central_system: RunningCentralSystem, frame: str | bytes, message_id: str, error_code: str
) -> None:
    async with raw_client(central_system.ws_url, "CP1") as client:
        reply = await client.send_raw(frame)
        assert reply[:3] == [4, message_id, error_code]
        assert isinstance(reply[3], str)
        assert len(reply[3]) <= 255
        assert isinstance(reply[4], dict)
        heartbeat = await client.call("Heartbeat", {})
        assert heartbeat[0] == 3
        assert "currentTime" in heartbeat[2]


@pytest.mark.parametrize(
    "frame",
    ['[3, "nobody-asked", {}]', '[4, "nobody-asked", "GenericError", "x", {}]', '[3, "x"]'],
    ids=["result", "error", "garbled result"],
)
async def test_a_reply_with_an_unknown_id_is_ignored_and_the_connection_goes_on(
    central_system: RunningCentralSystem, frame: str
) -> None:
    async with raw_client(central_system.ws_url, "CP1") as client:
        await client.ws.send(frame)
        # The next frame we get is the heartbeat's answer: nothing was sent for the reply.
        heartbeat = await client.call("Heartbeat", {})
        assert heartbeat[0] == 3


async def test_boot_is_accepted_with_the_current_time_and_the_heartbeat_interval(
    central_system: RunningCentralSystem, db_rows: Any
) -> None:
    async with raw_client(central_system.ws_url, "CP1") as client:
        before = datetime.now(UTC)
        reply = await client.boot()
    assert reply["status"] == "Accepted"
    assert reply["interval"] == 300
    assert abs(datetime.fromisoformat(reply["currentTime"]) - before) < timedelta(seconds=5)
    assert reply["currentTime"].endswith("Z")
    assert db_rows("SELECT vendor, model, boot_count, registration_status FROM charge_points") == [
        ("Raw", "Hand", 1, "Accepted")
    ]


async def test_a_pending_listed_charge_point_gets_pending_first_then_accepted(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path)
    policy = dataclasses.replace(config.boot_policy, pending_ids=frozenset({"SLOW1"}))
    async with running(dataclasses.replace(config, boot_policy=policy)) as central:
        async with raw_client(central.ws_url, "SLOW1") as client:
            first, second = await client.boot(), await client.boot()
        async with raw_client(central.ws_url, "FAST1") as client:
            other = await client.boot()
    assert (first["status"], first["interval"]) == ("Pending", 10)
    assert (second["status"], second["interval"]) == ("Accepted", 300)
    assert other["status"] == "Accepted"


@pytest.mark.parametrize(
    ("id_tag", "status"),
    [
        ("ACCEPTED1", "Accepted"),
        ("BLOCKED1", "Blocked"),
        ("EXPIRED1", "Expired"),
        ("INVALID1", "Invalid"),
        ("PASTDUE1", "Expired"),
        ("NOBODY", "Invalid"),
    ],
)
async def test_authorize_answers_exactly_the_provisioned_status(
    central_system: RunningCentralSystem, id_tag: str, status: str
) -> None:
    async with raw_client(central_system.ws_url, "CP1") as client:
        reply = await client.call("Authorize", {"idTag": id_tag})
    assert reply[2]["idTagInfo"]["status"] == status


async def test_authorize_gives_the_parent_id_tag_and_the_expiry_date(
    central_system: RunningCentralSystem,
) -> None:
    async with raw_client(central_system.ws_url, "CP1") as client:
        child = await client.call("Authorize", {"idTag": "CHILD1"})
        past_due = await client.call("Authorize", {"idTag": "PASTDUE1"})
    assert child[2]["idTagInfo"] == {"status": "Accepted", "parentIdTag": "FLEET1"}
    assert past_due[2]["idTagInfo"]["expiryDate"].startswith("2020-01-01T00:00:00")


async def test_unknown_tags_are_accepted_with_the_flag(tmp_path: Path) -> None:
    config = make_config(tmp_path, accept_unknown_tags=True)
    async with running(config) as central, raw_client(central.ws_url, "CP1") as client:
        unknown = await client.call("Authorize", {"idTag": "NOBODY"})
        blocked = await client.call("Authorize", {"idTag": "BLOCKED1"})
    assert unknown[2]["idTagInfo"]["status"] == "Accepted"
    assert blocked[2]["idTagInfo"]["status"] == "Blocked"


async def test_a_stock_ocpp_charge_point_runs_a_full_session_into_the_store(
    central_system: RunningCentralSystem, db_rows: Any
) -> None:
    async with stock_charge_point(central_system.ws_url, "STOCK1") as cp:
        boot = await cp.call(call.BootNotification("Model", "Vendor"), suppress=False)
        assert boot.status == "Accepted"
        await cp.call(call.StatusNotification(1, "NoError", "Preparing"), suppress=False)
        authorized = await cp.call(call.Authorize("ACCEPTED1"), suppress=False)
        assert authorized.id_tag_info["status"] == "Accepted"
        started = await cp.call(
            call.StartTransaction(1, "ACCEPTED1", 1000, now_text()), suppress=False
        )
        assert started.transaction_id > 0
        await cp.call(call.StatusNotification(1, "NoError", "Charging"), suppress=False)
        sample = {"timestamp": now_text(), "sampledValue": [{"value": "1500", "unit": "Wh"}]}
        await cp.call(
            call.MeterValues(1, [sample], transaction_id=started.transaction_id), suppress=False
        )
        end = {
            "timestamp": now_text(),
            "sampledValue": [
                {"value": "2500", "measurand": "Energy.Active.Import.Register"},
                {"value": "11000", "measurand": "Power.Active.Import", "unit": "W"},
            ],
        }
        stopped = await cp.call(
            call.StopTransaction(
                2500,
                now_text(),
                started.transaction_id,
                reason="Local",
                id_tag="ACCEPTED1",
                transaction_data=[end],
            ),
            suppress=False,
        )
        assert stopped.id_tag_info["status"] == "Accepted"
        for status in ("Finishing", "Available"):
            await cp.call(call.StatusNotification(1, "NoError", status), suppress=False)
        heartbeat = await cp.call(call.Heartbeat(), suppress=False)
        assert heartbeat.current_time

    assert db_rows(
        "SELECT id, charge_point_id, connector_id, id_tag, id_tag_status, meter_start_wh,"
        " meter_stop_wh, stop_reason FROM transactions"
    ) == [(started.transaction_id, "STOCK1", 1, "ACCEPTED1", "Accepted", 1000, 2500, "Local")]
    assert [
        row[0]
        for row in db_rows(
            "SELECT status FROM status_notifications WHERE charge_point_id = 'STOCK1' ORDER BY id"
        )
    ] == ["Preparing", "Charging", "Finishing", "Available"]
    assert db_rows(
        "SELECT transaction_id, connector_id, value, measurand, unit, source FROM meter_values"
        " ORDER BY id"
    ) == [
        (started.transaction_id, 1, "1500", "Energy.Active.Import.Register", "Wh", "MeterValues"),
        (
            started.transaction_id,
            1,
            "2500",
            "Energy.Active.Import.Register",
            "Wh",
            "StopTransaction",
        ),
        (started.transaction_id, 1, "11000", "Power.Active.Import", "W", "StopTransaction"),
    ]
    assert db_rows("SELECT last_heartbeat_at IS NOT NULL FROM charge_points") == [(1,)]


async def test_a_retransmitted_start_transaction_returns_the_same_id(
    central_system: RunningCentralSystem, db_rows: Any
) -> None:
    start = {"connectorId": 2, "idTag": "ACCEPTED1", "meterStart": 0, "timestamp": now_text()}
    async with raw_client(central_system.ws_url, "CP1") as client:
        first = await client.call("StartTransaction", start)
    async with raw_client(central_system.ws_url, "CP1") as client:  # after a reconnect
        again = await client.call("StartTransaction", start)
        other = await client.call("StartTransaction", {**start, "meterStart": 1})
    assert first[2]["transactionId"] == again[2]["transactionId"]
    assert other[2]["transactionId"] > first[2]["transactionId"]
    assert db_rows("SELECT COUNT(*) FROM transactions") == [(2,)]


async def test_a_start_repeating_a_stopped_transactions_fields_is_a_new_transaction(
    central_system: RunningCentralSystem, db_rows: Any
) -> None:
    # A charger without a set clock sends the same timestamp and, after a meter reset, the
    # same meterStart for two real sessions: the second must not get the first one's id.
    start = {
        "connectorId": 1,
        "idTag": "ACCEPTED1",
        "meterStart": 0,
        "timestamp": "2000-01-01T00:00:00Z",
    }
    async with raw_client(central_system.ws_url, "CP1") as client:
        first = (await client.call("StartTransaction", start))[2]["transactionId"]
        stop = {"meterStop": 5000, "timestamp": "2000-01-01T01:00:00Z", "transactionId": first}
        assert (await client.call("StopTransaction", stop))[0] == 3
        second = (await client.call("StartTransaction", start))[2]["transactionId"]
        again = (await client.call("StartTransaction", start))[2]["transactionId"]
        other_connector = await client.call("StartTransaction", {**start, "connectorId": 2})
        stop = {"meterStop": 7000, "timestamp": "2000-01-01T01:00:00Z", "transactionId": second}
        assert (await client.call("StopTransaction", stop))[0] == 3
    assert second != first
    assert again == second
    assert other_connector[2]["transactionId"] not in (first, second)
    assert db_rows("SELECT id, meter_stop_wh FROM transactions ORDER BY id") == [
        (first, 5000),
        (second, 7000),
        (other_connector[2]["transactionId"], None),
    ]


async def test_a_concurrent_tx_tag_is_concurrent_tx_for_a_start_but_never_for_authorize(
    tmp_path: Path,
) -> None:
    tags = (IdTag("BUSY1", IdTagStatus.CONCURRENT_TX),)
    central_system = running(make_config(tmp_path, id_tags=tags))
    async with central_system as central, raw_client(central.ws_url, "CP1") as client:
        authorized = await client.call("Authorize", {"idTag": "BUSY1"})
        start = {"connectorId": 1, "idTag": "BUSY1", "meterStart": 0, "timestamp": now_text()}
        started = await client.call("StartTransaction", start)
        stop = {
            "meterStop": 1,
            "timestamp": now_text(),
            "transactionId": started[2]["transactionId"],
            "idTag": "BUSY1",
        }
        stopped = await client.call("StopTransaction", stop)
    assert authorized[2]["idTagInfo"]["status"] == "Accepted"
    assert started[2]["idTagInfo"]["status"] == "ConcurrentTx"
    assert stopped[2]["idTagInfo"]["status"] == "Accepted"


async def test_an_offline_start_hours_ago_for_a_blocked_tag_still_gets_a_transaction_id(
    central_system: RunningCentralSystem, db_rows: Any
) -> None:
    hours_ago = (datetime.now(UTC) - timedelta(hours=5)).isoformat()
    start = {"connectorId": 1, "idTag": "BLOCKED1", "meterStart": 10, "timestamp": hours_ago}
    async with raw_client(central_system.ws_url, "CP1") as client:
        reply = await client.call("StartTransaction", start)
    assert reply[2]["transactionId"] > 0
    assert reply[2]["idTagInfo"]["status"] == "Blocked"
    assert db_rows("SELECT id_tag_status, started_at FROM transactions")[0][0] == "Blocked"


async def test_a_stop_for_an_unknown_transaction_is_answered_and_kept(
    central_system: RunningCentralSystem, db_rows: Any
) -> None:
    stop = {"meterStop": 500, "timestamp": now_text(), "transactionId": 4242}
    async with raw_client(central_system.ws_url, "CP1") as client:
        reply = await client.call("StopTransaction", stop)
        again = await client.call("StopTransaction", stop)
    assert reply == [3, "m1", {}]
    assert again == [3, "m2", {}]
    assert db_rows("SELECT transaction_id, meter_stop_wh FROM unmatched_stops") == [(4242, 500)]


async def test_a_second_stop_does_not_overwrite_the_first(
    central_system: RunningCentralSystem, db_rows: Any
) -> None:
    start = {"connectorId": 1, "idTag": "ACCEPTED1", "meterStart": 0, "timestamp": now_text()}
    async with raw_client(central_system.ws_url, "CP1") as client:
        started = await client.call("StartTransaction", start)
        transaction_id = started[2]["transactionId"]
        for meter_stop in (100, 999):
            stop = {
                "meterStop": meter_stop,
                "timestamp": now_text(),
                "transactionId": transaction_id,
            }
            assert (await client.call("StopTransaction", stop))[0] == 3
    assert db_rows("SELECT meter_stop_wh FROM transactions") == [(100,)]


async def test_meter_values_outside_a_transaction_are_stored_once(
    central_system: RunningCentralSystem, db_rows: Any
) -> None:
    values = {
        "connectorId": 1,
        "meterValue": [{"timestamp": now_text(), "sampledValue": [{"value": "7.5"}]}],
    }
    async with raw_client(central_system.ws_url, "CP1") as client:
        for _ in range(2):  # the second is a retransmission
            assert (await client.call("MeterValues", values))[2] == {}
    assert db_rows("SELECT transaction_id, value, context FROM meter_values") == [
        (None, "7.5", "Sample.Periodic")
    ]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"vendorId": "com.example"}, {"status": "UnknownVendorId"}),
        ({"vendorId": "org.chargenet", "messageId": "nope"}, {"status": "UnknownMessageId"}),
        (
            {"vendorId": "org.chargenet", "messageId": "echo", "data": "hi"},
            {"status": "Accepted", "data": "hi"},
        ),
    ],
)
async def test_data_transfer_is_answered_with_a_status_never_a_callerror(
    central_system: RunningCentralSystem, payload: dict[str, Any], expected: dict[str, Any]
) -> None:
    async with raw_client(central_system.ws_url, "CP1") as client:
        reply = await client.call("DataTransfer", payload)
    assert reply[0] == 3
    assert reply[2] == expected


async def test_a_burst_of_200_fresh_charge_points_booting_at_once_all_get_answers(
    central_system: RunningCentralSystem, db_rows: Any
) -> None:
    count = 200
    ready = asyncio.Barrier(count)

    async def boot(number: int) -> str:
        async with raw_client(central_system.ws_url, f"BURST{number:03d}") as client:
            await ready.wait()
            reply = await client.boot()
            status: str = reply["status"]
            return status

    async with asyncio.timeout(30):
        statuses = await asyncio.gather(*(boot(number) for number in range(count)))
    assert statuses == ["Accepted"] * count
    assert db_rows("SELECT COUNT(*) FROM charge_points WHERE boot_count = 1") == [(count,)]
