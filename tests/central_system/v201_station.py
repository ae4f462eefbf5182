"""An independent OCPP 2.0.1 charging station for the tests: the stock `ocpp` package's
`v201.ChargePoint`, its own schema validation on, over a real websocket to 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from ocpp.routing import after, on
from ocpp.v201 import ChargePoint, call, call_result
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

REPLY_TIMEOUT_S = 30.0  # a loaded machine: the replies come, late
OCPP201_SUBPROTOCOL = Subprotocol("ocpp2.0.1")

#: The moment the tests' transactions start (fixed: stored timestamps are compared).
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def boot_request(reason: str = "PowerUp") -> call.BootNotification:
    return call.BootNotification(
        charging_station={
            "model": "Stock201",
            "vendor_name": "OCA",
            "serial_number": "SN-1",
            "firmware_version": "1.2.3",
            "modem": {"iccid": "8931", "imsi": "2620"},
        },
        reason=reason,
    )


def energy(wh: float, minutes: float, context: str = "Sample.Periodic") -> dict[str, Any]:
    return {
        "timestamp": at(minutes),
        "sampled_value": [
            {
                "value": wh,
                "context": context,
                "measurand": "Energy.Active.Import.Register",
                "unit_of_measure": {"unit": "Wh"},
            }
        ],
    }


def transaction_event(
    event_type: str,
    transaction_id: str,
    seq_no: int,
    minutes: float,
    *,
    trigger_reason: str = "MeterValuePeriodic",
    wh: float | None = None,
    context: str = "Sample.Periodic",
    **fields: Any,
) -> call.TransactionEvent:
    info = {"transaction_id": transaction_id, **fields.pop("info", {})}
    meter_value = None if wh is None else [energy(wh, minutes, context)]
    return call.TransactionEvent(
        event_type=event_type,
        timestamp=at(minutes),
        trigger_reason=trigger_reason,
        seq_no=seq_no,
        transaction_info=info,
        meter_value=meter_value,
        **fields,
    )


def session_events(transaction_id: str, *, updates: int = 3) -> list[call.TransactionEvent]:
    """Started (Authorized, Transaction.Begin at 1000 Wh), `updates` periodic Updated events,
    Ended (EVDisconnected, Transaction.End): seqNo 0 .. updates + 1."""
    events = [
        transaction_event(
            "Started",
            transaction_id,
            0,
            0,
            trigger_reason="Authorized",
            wh=1000.0,
            context="Transaction.Begin",
            evse={"id": 1, "connector_id": 1},
            id_token={"id_token": "ACCEPTED1", "type": "ISO14443"},
            info={"charging_state": "Charging"},
        )
    ]
    for index in range(1, updates + 1):
        events.append(
            transaction_event("Updated", transaction_id, index, 5 * index, wh=1000.0 + 500 * index)
        )
    end = updates + 1
    events.append(
        transaction_event(
            "Ended",
            transaction_id,
            end,
            5 * end,
            trigger_reason="EVCommunicationLost",
            wh=1000.0 + 500 * end,
            context="Transaction.End",
            info={"stopped_reason": "EVDisconnected", "charging_state": "Idle"},
        )
    )
    return events


class StockStation(ChargePoint):
    """Answers every CSMS-initiated call the tests make, and records what it was sent."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.reported = asyncio.Event()

    @on("RequestStartTransaction")
    def on_request_start(self, **payload: Any) -> call_result.RequestStartTransaction:
        self.received.append(("RequestStartTransaction", payload))
        return call_result.RequestStartTransaction(status="Accepted", transaction_id="RS-1")

    @on("RequestStopTransaction")
    def on_request_stop(self, **payload: Any) -> call_result.RequestStopTransaction:
        self.received.append(("RequestStopTransaction", payload))
        return call_result.RequestStopTransaction(status="Rejected")

    @on("Reset")
    def on_reset(self, **payload: Any) -> call_result.Reset:
        self.received.append(("Reset", payload))
        status = "Scheduled" if payload["type"] == "OnIdle" else "Accepted"
        return call_result.Reset(status=status)

    @on("ChangeAvailability")
    def on_change_availability(self, **payload: Any) -> call_result.ChangeAvailability:
        self.received.append(("ChangeAvailability", payload))
        return call_result.ChangeAvailability(status="Accepted")

    @on("TriggerMessage")
    def on_trigger_message(self, **payload: Any) -> call_result.TriggerMessage:
        self.received.append(("TriggerMessage", payload))
        return call_result.TriggerMessage(status="Accepted")

    @on("UnlockConnector")
    def on_unlock_connector(self, **payload: Any) -> call_result.UnlockConnector:
        self.received.append(("UnlockConnector", payload))
        return call_result.UnlockConnector(status="Unlocked")

    @on("ClearCache")
    def on_clear_cache(self, **payload: Any) -> call_result.ClearCache:
        self.received.append(("ClearCache", payload))
        return call_result.ClearCache(status="Accepted")

    @on("GetVariables")
    def on_get_variables(self, **payload: Any) -> call_result.GetVariables:
        self.received.append(("GetVariables", payload))
        results = [
            {
                "attribute_status": "Accepted",
                "attribute_value": "300",
                "component": data["component"],
                "variable": data["variable"],
            }
            for data in payload["get_variable_data"]
        ]
        return call_result.GetVariables(get_variable_result=results)

    @on("SetVariables")
    def on_set_variables(self, **payload: Any) -> call_result.SetVariables:
        self.received.append(("SetVariables", payload))
        results = [
            {
                "attribute_status": "Rejected",
                "component": data["component"],
                "variable": data["variable"],
            }
            for data in payload["set_variable_data"]
        ]
        return call_result.SetVariables(set_variable_result=results)

    @on("GetBaseReport")
    def on_get_base_report(self, **payload: Any) -> call_result.GetBaseReport:
        self.received.append(("GetBaseReport", payload))
        return call_result.GetBaseReport(status="Accepted")

    @after("GetBaseReport")
    async def send_report(self, request_id: int, **_: Any) -> None:
        """The report follows its GetBaseReport's reply, in two parts (tbc)."""
        await self.call(
            call.NotifyReport(
                request_id=request_id,
                generated_at=at(0),
                seq_no=0,
                tbc=True,
                report_data=[
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "HeartbeatInterval"},
                        "variable_attribute": [
                            {"type": "Actual", "value": "300", "mutability": "ReadWrite"}
                        ],
                        "variable_characteristics": {
                            "data_type": "integer",
                            "unit": "s",
                            "supports_monitoring": False,
                        },
                    }
                ],
            ),
            suppress=False,
        )
        await self.call(
            call.NotifyReport(
                request_id=request_id,
                generated_at=at(0),
                seq_no=1,
                report_data=[
                    {
                        "component": {"name": "EVSE", "evse": {"id": 1}},
                        "variable": {"name": "AvailabilityState"},
                        "variable_attribute": [
                            {"type": "Actual", "value": "Available", "mutability": "ReadOnly"}
                        ],
                        "variable_characteristics": {
                            "data_type": "OptionList",
                            "supports_monitoring": False,
                        },
                    }
                ],
            ),
            suppress=False,
        )
        self.reported.set()

    @on("GetTransactionStatus")
    def on_get_transaction_status(self, **payload: Any) -> call_result.GetTransactionStatus:
        self.received.append(("GetTransactionStatus", payload))
        return call_result.GetTransactionStatus(messages_in_queue=False, ongoing_indicator=True)

    @on("DataTransfer")
    def on_data_transfer(self, **payload: Any) -> call_result.DataTransfer:
        self.received.append(("DataTransfer", payload))
        return call_result.DataTransfer(status="Accepted", data={"pong": [1, 2]})


async def _serve_quietly(station: ChargePoint) -> None:
    with contextlib.suppress(ConnectionClosed):
        await station.start()


@contextlib.asynccontextmanager
async def stock_station(
    ws_url: str,
    station_id: str,
    station_type: type[StockStation] = StockStation,
    **connect_options: Any,
) -> AsyncIterator[StockStation]:
    """A connected stock 2.0.1 station, serving the CSMS's calls in a task group."""
    async with connect(
        f"{ws_url}/{station_id}", subprotocols=[OCPP201_SUBPROTOCOL], **connect_options
    ) as ws:
        assert ws.subprotocol == OCPP201_SUBPROTOCOL
        station = station_type(station_id, ws, response_timeout=REPLY_TIMEOUT_S)
        async with asyncio.TaskGroup() as tasks:
            serving = tasks.create_task(_serve_quietly(station))
            try:
                yield station
            finally:
                serving.cancel()
