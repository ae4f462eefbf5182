"""NotifyEvent in the built-in 2.0.1 central system (central_system/v201/session.py): answered,
as a station reporting a connector's AvailabilityState or a lock problem must be, and refused
with PropertyConstraintViolation when its time cannot be meant. Over real websockets on
127.0.0.1: the stock `ocpp` package's v201 station (its own validation on) and a raw client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from ocpp.v201 import call

from central_system.server import RunningCentralSystem, running
from tests.central_system.conftest import make_config, raw_client
from tests.central_system.v201_station import OCPP201_SUBPROTOCOL, at, stock_station


@pytest.fixture
async def central(tmp_path: Path) -> AsyncIterator[RunningCentralSystem]:
    async with running(make_config(tmp_path)) as central_system:
        yield central_system


def _event(value: str, component: str, variable: str) -> dict[str, Any]:
    return {
        "event_id": 7,
        "timestamp": at(1),
        "trigger": "Delta",
        "actual_value": value,
        "event_notification_type": "HardWiredNotification",
        "component": {"name": component, "evse": {"id": 1, "connector_id": 1}},
        "variable": {"name": variable},
    }


async def test_a_connector_s_availability_and_lock_problem_events_are_answered(
    central: RunningCentralSystem,
) -> None:
    async with stock_station(central.ws_url, "CS1") as station:
        reply = await station.call(
            call.NotifyEvent(
                generated_at=at(1),
                seq_no=0,
                event_data=[
                    _event("Unavailable", "Connector", "AvailabilityState"),
                    _event("true", "ConnectorPlugRetentionLock", "Problem"),
                ],
            ),
            suppress=False,
        )
    assert reply is not None  # an empty NotifyEventResponse, schema-checked by the station


async def test_a_notify_event_generated_before_1970_is_refused_and_the_connection_goes_on(
    central: RunningCentralSystem,
) -> None:
    payload = {
        "generatedAt": "1960-01-01T00:00:00Z",
        "seqNo": 0,
        "eventData": [
            {
                "eventId": 1,
                "timestamp": "2026-03-01T08:00:00Z",
                "trigger": "Delta",
                "actualValue": "Occupied",
                "eventNotificationType": "HardWiredNotification",
                "component": {"name": "Connector"},
                "variable": {"name": "AvailabilityState"},
            }
        ],
    }
    async with raw_client(central.ws_url, "CS1", subprotocols=[OCPP201_SUBPROTOCOL]) as client:
        reply = await client.call("NotifyEvent", payload)
        heartbeat = await client.call("Heartbeat", {})
    assert reply[0] == 4, reply
    assert reply[2] == "PropertyConstraintViolation", reply
    assert "generatedAt" in reply[3], reply
    assert heartbeat[0] == 3
