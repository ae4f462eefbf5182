"""Firmware, diagnostics and log statuses and security events: answered and stored."""

from __future__ import annotations

from typing import Any

import pytest
from ocpp.v16 import call

from central_system.server import RunningCentralSystem
from ocppj import is_known_action
from tests.central_system.conftest import raw_client, stock_charge_point

#: Every action a 1.6J charge point sends (Core, the optional profiles, the security
#: extension), with a valid payload.
CHARGE_POINT_ACTIONS: dict[str, dict[str, Any]] = {
    "Authorize": {"idTag": "ACCEPTED1"},
    "BootNotification": {"chargePointVendor": "V", "chargePointModel": "M"},
    "DataTransfer": {"vendorId": "org.chargenet", "messageId": "echo", "data": "x"},
    "DiagnosticsStatusNotification": {"status": "Uploaded"},
    "FirmwareStatusNotification": {"status": "Installed"},
    "Heartbeat": {},
    "LogStatusNotification": {"status": "Uploading", "requestId": 7},
    "MeterValues": {
        "connectorId": 1,
        "meterValue": [{"timestamp": "2025-01-01T00:00:00Z", "sampledValue": [{"value": "1"}]}],
    },
    "SecurityEventNotification": {
        "type": "FirmwareUpdated",
        "timestamp": "2025-01-01T00:00:00Z",
        "techInfo": "v2",
    },
    "SignCertificate": {"csr": "not a CSR"},
    "SignedFirmwareStatusNotification": {"status": "SignatureVerified", "requestId": 3},
    "StartTransaction": {
        "connectorId": 1,
        "idTag": "ACCEPTED1",
        "meterStart": 0,
        "timestamp": "2025-01-01T00:00:00Z",
    },
    "StatusNotification": {"connectorId": 1, "errorCode": "NoError", "status": "Available"},
    "StopTransaction": {"meterStop": 10, "timestamp": "2025-01-01T01:00:00Z", "transactionId": 1},
}


@pytest.mark.parametrize("action", sorted(CHARGE_POINT_ACTIONS))
async def test_every_action_a_charge_point_sends_gets_a_callresult(
    central_system: RunningCentralSystem, action: str
) -> None:
    assert is_known_action("ocpp1.6", action)
    async with raw_client(central_system.ws_url, "CP1") as client:
        reply = await client.call(action, CHARGE_POINT_ACTIONS[action])
    assert reply[0] == 3, reply


async def test_firmware_and_diagnostics_statuses_are_stored_in_order(
    central_system: RunningCentralSystem, db_rows: Any
) -> None:
    async with stock_charge_point(central_system.ws_url, "STOCK1") as cp:
        for status in ("Downloading", "Downloaded", "Installing", "Installed"):
            await cp.call(call.FirmwareStatusNotification(status), suppress=False)
        await cp.call(call.SignedFirmwareStatusNotification("InvalidSignature", 9), suppress=False)
        await cp.call(call.DiagnosticsStatusNotification("Uploading"), suppress=False)
        await cp.call(call.LogStatusNotification("UploadFailure", 4), suppress=False)
    assert db_rows(
        "SELECT charge_point_id, action, status, request_id FROM firmware_statuses ORDER BY id"
    ) == [
        ("STOCK1", "FirmwareStatusNotification", "Downloading", None),
        ("STOCK1", "FirmwareStatusNotification", "Downloaded", None),
        ("STOCK1", "FirmwareStatusNotification", "Installing", None),
        ("STOCK1", "FirmwareStatusNotification", "Installed", None),
        ("STOCK1", "SignedFirmwareStatusNotification", "InvalidSignature", 9),
    ]
    assert db_rows("SELECT action, status, request_id FROM diagnostics_statuses ORDER BY id") == [
        ("DiagnosticsStatusNotification", "Uploading", None),
        ("LogStatusNotification", "UploadFailure", 4),
    ]


async def test_a_security_event_is_stored_with_its_time_in_utc(
    central_system: RunningCentralSystem, db_rows: Any
) -> None:
    async with stock_charge_point(central_system.ws_url, "STOCK1") as cp:
        event = call.SecurityEventNotification(
            "TamperDetectionActivated", "2025-03-01T10:00:00+02:00", tech_info="lid open"
        )
        await cp.call(event, suppress=False)
    assert db_rows("SELECT charge_point_id, type, timestamp, tech_info FROM security_events") == [
        ("STOCK1", "TamperDetectionActivated", "2025-03-01T08:00:00.000000Z", "lid open")
    ]


async def test_a_security_event_from_year_9999_is_refused_and_not_stored(
    central_system: RunningCentralSystem, db_rows: Any
) -> None:
    event = {"type": "X", "timestamp": "9999-12-31T23:59:59-01:00"}
    async with raw_client(central_system.ws_url, "CP1") as client:
        reply = await client.call("SecurityEventNotification", event)
        assert (await client.call("Heartbeat", {}))[0] == 3
    assert reply[:3] == [4, "m1", "PropertyConstraintViolation"]
    assert db_rows("SELECT COUNT(*) FROM security_events") == [(0,)]
