"""OCPP 1.6J mapping: model requests to wire payloads (validated on queueing) and back."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from ocpp.exceptions import OCPPError
from ocpp.messages import CallResult

from ocppj import validate_request
from simulator.model.requests import (
    Authorize,
    AuthReply,
    AuthStatus,
    MeterSample,
    PortStatus,
    StartReply,
    StartTransaction,
    StatusChange,
    StopReason,
    StopTransaction,
)
from simulator.ocpp.client import Pending
from tests.ocpp.helpers import charge_point


def messages(client: Any, request: Any) -> list[tuple[str, dict[str, Any]]]:
    out = [(action, payload) for action, payload, _ in client.wire_messages(request)]
    for action, payload in out:
        validate_request("ocpp1.6", action, payload)
    return out


def answer(client: Any, request: Any, payload: dict[str, Any]) -> Any:
    [(action, wire)] = messages(client, request)
    pending = Pending("1", action, "", wire, request, None)
    return client.reply_for(pending, payload)


def test_a_port_wide_status_reaches_connector_zero_and_every_connector_that_differs() -> None:
    client, _ = charge_point()
    assert messages(client, StatusChange(PortStatus.AVAILABLE, 0, 0.0)) == []  # no change
    [(_, preparing)] = messages(client, StatusChange(PortStatus.PREPARING, 1, 10.0))
    assert preparing == {
        "connectorId": 1,
        "errorCode": "NoError",
        "status": "Preparing",
        "timestamp": "2025-01-06T00:00:10.000Z",
    }
    freed = messages(client, StatusChange(PortStatus.AVAILABLE, 0, 20.0))
    assert [p["connectorId"] for _, p in freed] == [1]
    faulted = messages(client, StatusChange(PortStatus.FAULTED, 0, 30.0))
    assert [(p["connectorId"], p["errorCode"]) for _, p in faulted] == [
        (0, "InternalError"),
        (1, "InternalError"),
        (2, "InternalError"),
    ]


def test_a_meter_sample_carries_energy_power_current_voltage_and_soc() -> None:
    client, _ = charge_point()
    sample = MeterSample(2, 5, 90.5, 12345, 100.0, 0.4567, 400.0, "Transaction.Begin")
    [(action, payload)] = messages(client, sample)
    assert action == "MeterValues"
    assert "transactionId" not in payload  # no start answered yet
    [reading] = payload["meterValue"]
    assert reading["timestamp"] == "2025-01-06T00:01:30.500Z"
    values = {v["measurand"]: (v["value"], v["unit"]) for v in reading["sampledValue"]}
    assert values == {
        "Energy.Active.Import.Register": ("12345", "Wh"),
        "Power.Active.Import": ("100000", "W"),
        "Current.Import": ("250.0", "A"),
        "Voltage": ("400", "V"),
        "SoC": ("45.7", "Percent"),
    }
    assert {v["context"] for v in reading["sampledValue"]} == {"Transaction.Begin"}


def test_a_starts_transaction_ref_is_bound_to_the_id_in_its_reply() -> None:
    client, _ = charge_point()
    start = StartTransaction(1, "D010000042", 500, 100.0, 3)
    reply = answer(client, start, {"transactionId": 77, "idTagInfo": {"status": "Accepted"}})
    assert reply == StartReply(AuthStatus.ACCEPTED, 77)
    begin = MeterSample(1, 3, 100.0, 500, 50.0, 0.2, 400.0, "Transaction.Begin")
    assert messages(client, begin)[0][1]["transactionId"] == 77
    stop = StopTransaction(3, "D010000042", 9000, 700.0, StopReason.LOCAL)
    [(action, payload)] = messages(client, stop)
    assert (action, payload) == (
        "StopTransaction",
        {
            "transactionId": 77,
            "idTag": "D010000042",
            "meterStop": 9000,
            "timestamp": "2025-01-06T00:11:40.000Z",
            "reason": "Local",
        },
    )


def test_a_stop_the_central_system_never_numbered_is_not_sent() -> None:
    client, _ = charge_point()
    assert messages(client, StopTransaction(9, "T", 0, 1.0, StopReason.OTHER)) == []


def test_periodic_samples_thin_to_the_configured_interval_and_zero_turns_them_off() -> None:
    client, _ = charge_point()
    client.config.set("MeterValueSampleInterval", "120")

    def periodic(at_s: float) -> MeterSample:
        return MeterSample(1, 1, at_s, 0, 10.0, None, 400.0, "Sample.Periodic")

    sent = [t for t in (60.0, 120.0, 180.0, 240.0, 300.0) if messages(client, periodic(t))]
    assert sent == [60.0, 180.0, 300.0]
    client.config.set("MeterValueSampleInterval", "0")
    assert messages(client, periodic(600.0)) == []
    end = MeterSample(1, 1, 601.0, 0, 0.0, None, 400.0, "Transaction.End")
    assert len(messages(client, end)) == 1  # transaction readings always go


def test_authorize_answers_map_to_the_models_statuses() -> None:
    client, _ = charge_point()
    for wire, model in [
        ("Accepted", AuthStatus.ACCEPTED),
        ("Blocked", AuthStatus.BLOCKED),
        ("Expired", AuthStatus.EXPIRED),
        ("Invalid", AuthStatus.INVALID),
        ("ConcurrentTx", AuthStatus.INVALID),
    ]:
        reply = answer(client, Authorize("T1", 0.0), {"idTagInfo": {"status": wire}})
        assert reply == AuthReply(model)


def test_a_reply_that_fails_its_schema_counts_as_a_refusal() -> None:
    client, station = charge_point()

    async def scenario() -> Any:
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        client.submit(Authorize("T1", 0.0), waiter)
        head = client._queue[0]
        client._complete(head, CallResult(head.message_id, {"idTagInfo": {"status": "Maybe"}}))
        return await waiter

    assert asyncio.run(scenario()) == AuthReply(AuthStatus.INVALID)
    assert station.backlog == 0


def test_the_boot_names_the_port() -> None:
    client, _ = charge_point()
    payload = client.boot_payload()
    validate_request("ocpp1.6", "BootNotification", payload)
    assert payload["chargePointSerialNumber"] == "cp-1"
    assert payload["chargePointModel"] == "150kW CCS1+CHAdeMO"


def test_a_payload_that_fails_its_schema_is_never_queued() -> None:
    client, station = charge_point()
    with pytest.raises(OCPPError):
        client.enqueue("StatusNotification", {"connectorId": 1, "status": "Dancing"})
    assert station.backlog == 0
