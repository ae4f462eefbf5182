"""The wire side of one charge point against scripted central systems on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from simulator.model.requests import (
    AuthStatus,
    MeterSample,
    PortStatus,
    StartReply,
    StartTransaction,
    StatusChange,
)
from simulator.ocpp.message_log import MessageLog
from simulator.ocpp.transport import BackendError
from tests.ocpp.helpers import (
    BOOT_ACCEPTED,
    DROP,
    SILENT,
    WAIT_S,
    answer_everything,
    charge_point,
    running,
    scripted_csms,
    wait_for,
)

FAST: dict[str, Any] = {"backoff_initial_s": 0.02, "backoff_max_s": 0.1}
REBOOT_WAIT_S = 3 * WAIT_S


def sample(at_s: float = 60.0) -> MeterSample:
    return MeterSample(1, 1, at_s, 1000, 50.0, 0.5, 400.0, "Sample.Periodic")


async def test_a_call_in_flight_when_the_connection_drops_is_resent_with_its_message_id() -> None:
    async def handler(number: int, frame: list[Any]) -> Any:
        if number == 1 and frame[2] == "MeterValues":
            return DROP
        return await answer_everything(number, frame)

    async with scripted_csms(handler) as csms:
        client, station = charge_point(csms.url, **FAST)
        async with running(client):
            await wait_for(lambda: station.ready_n == 1, "the boot")
            client.submit(sample(), None)
            await client.pump()
            await wait_for(lambda: station.backlog == 0, "the meter values to be answered")
        sent = csms.calls("MeterValues")
        assert [n for n, _ in sent] == [1, 2]
        assert sent[0][1] == sent[1][1]  # same frame, same message id
        assert client.connections == 2
        assert len(csms.calls("BootNotification")) == 1  # a reconnect is not a reboot


async def test_a_call_unanswered_within_the_timeout_is_resent_on_a_new_connection() -> None:
    async def handler(number: int, frame: list[Any]) -> Any:
        if number == 1 and frame[2] == "MeterValues":
            return SILENT
        return await answer_everything(number, frame)

    async with scripted_csms(handler) as csms:
        client, station = charge_point(csms.url, response_timeout_s=0.2, **FAST)
        async with running(client):
            await wait_for(lambda: station.ready_n == 1, "the boot")
            client.submit(sample(), None)
            await client.pump()
            await wait_for(lambda: station.backlog == 0, "the meter values to be answered")
        ids = [frame[1] for _, frame in csms.calls("MeterValues")]
        assert len(ids) == 2
        assert ids[0] == ids[1]


async def test_a_pending_boot_is_repeated_at_the_interval_and_nothing_else_goes_before_it() -> None:
    boots = 0

    async def handler(number: int, frame: list[Any]) -> Any:
        nonlocal boots
        if frame[2] == "BootNotification":
            boots += 1
            if boots == 1:
                return {**BOOT_ACCEPTED, "status": "Pending", "interval": 1}
        return await answer_everything(number, frame)

    async with scripted_csms(handler) as csms:
        client, station = charge_point(csms.url, **FAST)
        client.submit(StatusChange(PortStatus.FAULTED, 0, 0.0), None)  # queued while offline
        async with running(client):
            await wait_for(lambda: station.ready_n == 1, "the accepted boot")
        actions = [frame[2] for _, frame in csms.received if frame[0] == 2]
        assert actions[:2] == ["BootNotification", "BootNotification"]
        assert "StatusNotification" in actions[2:]


async def test_a_refused_transaction_message_is_retried_under_a_new_message_id() -> None:
    starts = 0

    async def handler(number: int, frame: list[Any]) -> Any:
        nonlocal starts
        if frame[2] == "StartTransaction":
            starts += 1
            if starts == 1:
                return ("error", "InternalError")
        if frame[2] == "StatusNotification" and frame[3]["status"] == "Faulted":
            return ("error", "InternalError")
        return await answer_everything(number, frame)

    async with scripted_csms(handler) as csms:
        client, station = charge_point(csms.url, **FAST)
        async with running(client):
            await wait_for(lambda: station.ready_n == 1, "the boot")
            client.submit(StatusChange(PortStatus.FAULTED, 0, 1.0), None)
            waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            client.submit(StartTransaction(1, "TAG1", 0, 2.0, 1), waiter)
            await client.pump()
            async with asyncio.timeout(10):
                reply = await waiter
        assert reply == StartReply(AuthStatus.ACCEPTED, 1)
        ids = [frame[1] for _, frame in csms.calls("StartTransaction")]
        assert len(ids) == 2
        assert ids[0] != ids[1]
        # a refused status is not a transaction message: dropped, not repeated
        faulted = [f for _, f in csms.calls("StatusNotification") if f[3]["status"] == "Faulted"]
        assert len(faulted) == 3  # connectors 0, 1 and 2, each once


async def test_calls_go_one_at_a_time_in_the_order_they_were_queued(tmp_path: Path) -> None:
    async with scripted_csms(answer_everything) as csms:
        client, station = charge_point(csms.url, **FAST)
        log = MessageLog(tmp_path / "log.jsonl", client.clock, station.now_s)
        client.log = log
        async with running(client):
            await wait_for(lambda: station.ready_n == 1, "the boot")
            for k in range(20):
                client.submit(sample(60.0 * (k + 1)), None)
            await client.pump()
            await wait_for(lambda: station.backlog == 0, "every sample answered")
        log.close()
    lines = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    frames = [(entry["dir"], json.loads(entry["frame"])) for entry in lines]
    outstanding = None
    sent_ids = []
    for direction, frame in frames:
        if direction == "send" and frame[0] == 2:
            assert outstanding is None, "a second CALL before the first was answered"
            outstanding = frame[1]
            sent_ids.append(frame[1])
        elif direction == "recv" and frame[0] == 3:
            assert frame[1] == outstanding
            outstanding = None
    meter_ids = [f[1] for _, f in csms.calls("MeterValues")]
    assert meter_ids == [i for i in sent_ids if i in meter_ids]
    stamps = [f[3]["meterValue"][0]["timestamp"] for _, f in csms.calls("MeterValues")]
    assert stamps == sorted(stamps)
    assert len(stamps) == 20


async def test_a_reset_reboots_the_charge_point_and_it_boots_again() -> None:
    async with scripted_csms(answer_everything) as csms:
        client, station = charge_point(csms.url, **FAST)
        async with running(client):
            await wait_for(lambda: station.ready_n == 1, "the boot")
            reply = await csms.call(1, "Reset", {"type": "Hard"})
            assert reply[2] == {"status": "Accepted"}
            # ready again: booted, and the status notifications after the boot answered (a
            # reboot is a grace second, a close, a new handshake: room for a loaded machine)
            await wait_for(
                lambda: station.ready_n == 2,
                "the second boot and its statuses",
                timeout_s=REBOOT_WAIT_S,
            )
        assert ("reset", True) in station.calls
        assert [n for n, _ in csms.calls("BootNotification")] == [1, 2]
        # after the reboot every connector reports its status again
        statuses = [f[3]["connectorId"] for n, f in csms.calls("StatusNotification") if n == 2]
        assert sorted(statuses) == [0, 1, 2]


async def test_the_central_systems_calls_are_answered_and_reach_the_station() -> None:
    async with scripted_csms(answer_everything) as csms:
        client, station = charge_point(csms.url, **FAST)
        async with running(client):
            await wait_for(lambda: station.ready_n == 1, "the boot")

            async def call(action: str, payload: dict[str, Any]) -> Any:
                reply = await csms.call(1, action, payload)
                return reply[2] if reply[0] == 3 else (reply[2], reply[3])

            assert await call("RemoteStartTransaction", {"idTag": "APP1"}) == {"status": "Accepted"}
            assert await call("RemoteStartTransaction", {"idTag": "APP1", "connectorId": 7}) == {
                "status": "Rejected"
            }
            assert await call("RemoteStopTransaction", {"transactionId": 99}) == {
                "status": "Rejected"
            }
            assert await call("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"}) == {
                "status": "Accepted"
            }
            config = await call("GetConfiguration", {"key": ["HeartbeatInterval", "Nope"]})
            assert config == {
                "configurationKey": [
                    {"key": "HeartbeatInterval", "readonly": False, "value": "300"}
                ],
                "unknownKey": ["Nope"],
            }
            changes = station.heartbeat_changes
            assert await call(
                "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"}
            ) == {"status": "Accepted"}
            assert station.heartbeat_changes == changes + 1
            assert await call(
                "ChangeConfiguration", {"key": "NumberOfConnectors", "value": "3"}
            ) == {"status": "Rejected"}
            assert await call("ChangeConfiguration", {"key": "Nope", "value": "1"}) == {
                "status": "NotSupported"
            }
            assert (await call("GetConfiguration", {}))["configurationKey"][0]["value"] == "60"
            assert await call("UnlockConnector", {"connectorId": 1}) == {"status": "Unlocked"}
            assert await call("UnlockConnector", {"connectorId": 9}) == {"status": "NotSupported"}
            assert await call("DataTransfer", {"vendorId": "x"}) == {"status": "UnknownVendorId"}
            before = len(csms.calls("StatusNotification"))
            assert await call("TriggerMessage", {"requestedMessage": "StatusNotification"}) == {
                "status": "Accepted"
            }
            await wait_for(lambda: len(csms.calls("StatusNotification")) == before + 3, "status")
            assert await call(
                "TriggerMessage", {"requestedMessage": "MeterValues", "connectorId": 1}
            ) == {"status": "Accepted"}
            await wait_for(lambda: len(csms.calls("MeterValues")) == 1, "triggered meter values")
            # refused frames: an action no charge point handles, a payload missing a field
            assert (await call("ReserveNow", {}))[0] in ("NotSupported", "NotImplemented")
            assert (await call("UnlockConnector", {}))[0] == "OccurenceConstraintViolation"
        assert station.calls[:2] == [("remote_start", "APP1"), ("change_availability", False)]
        assert ("unlock", 1) in station.calls


async def test_a_boot_never_accepted_ends_the_run_with_the_cause() -> None:
    async def handler(number: int, frame: list[Any]) -> Any:
        return {**BOOT_ACCEPTED, "status": "Rejected", "interval": 1}

    async with scripted_csms(handler) as csms:
        client, station = charge_point(csms.url, offline_limit_s=0.5, **FAST)
        with pytest.raises(ExceptionGroup) as raised:
            async with running(client):
                await wait_for(lambda: False, "the end", timeout_s=5.0)
        [error] = raised.value.exceptions
        assert isinstance(error, BackendError)
        assert str(error) == (
            "charge point cp-1: BootNotification not accepted within 0.5 s (1 attempt): "
            f"the central system at {csms.url} answered Rejected"
        )
        assert station.ready_n == 0
        assert {frame[2] for _, frame in csms.received} == {"BootNotification"}
