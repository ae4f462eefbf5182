"""The OCPP 2.0.1 payloads of the synthetic fleet's `MessagePlan` (the 1.6 ones: `plan`).

The same plan, step for step, in 2.0.1's messages:

- BootNotification: `chargingStation` (vendorName, model, serialNumber, firmwareVersion),
  reason PowerUp.
- StatusNotification per connector: EVSE 1, connectors 1..connectors, Available.
- Heartbeat, Authorize (`idToken` {idToken, type ISO14443}).
- A transaction cycle is TransactionEvent Started (triggerReason Authorized, the idToken,
  EVSE 1 connector 1, the register as Transaction.Begin), Updated every `meter_interval_s`
  (triggerReason MeterValuePeriodic, register and power as Sample.Periodic), Ended
  (triggerReason StopAuthorized, stoppedReason Local, the register as Transaction.End): seqNo
  0, 1, 2, ... and a transactionId the station chooses.
"""

from __future__ import annotations

from typing import Any, Final

from simulator.load.plan import CHARGING_POWER_W, FIRMWARE, ID_TAG, VENDOR

__all__ = ["EVSE_ID", "TOKEN_TYPE"]

EVSE_ID: Final = 1
TOKEN_TYPE: Final = "ISO14443"
_ID_TOKEN: Final = {"idToken": ID_TAG, "type": TOKEN_TYPE}
_EVSE: Final = {"id": EVSE_ID, "connectorId": 1}
_ENERGY: Final = "Energy.Active.Import.Register"
_WH: Final = {"unit": "Wh"}
_W: Final = {"unit": "W"}


def boot(charge_point_id: str) -> dict[str, Any]:
    return {
        "chargingStation": {
            "model": "load",
            "vendorName": VENDOR,
            "serialNumber": charge_point_id[:25],
            "firmwareVersion": FIRMWARE,
        },
        "reason": "PowerUp",
    }


def status(connector_id: int, timestamp: str) -> dict[str, Any]:
    return {
        "timestamp": timestamp,
        "connectorStatus": "Available",
        "evseId": EVSE_ID,
        "connectorId": connector_id,
    }


def authorize() -> dict[str, Any]:
    return {"idToken": dict(_ID_TOKEN)}


def _register(meter_wh: int, context: str, timestamp: str) -> dict[str, Any]:
    return {
        "timestamp": timestamp,
        "sampledValue": [
            {"value": meter_wh, "context": context, "measurand": _ENERGY, "unitOfMeasure": _WH}
        ],
    }


def started(transaction_id: str, seq_no: int, meter_wh: int, timestamp: str) -> dict[str, Any]:
    return {
        "eventType": "Started",
        "timestamp": timestamp,
        "triggerReason": "Authorized",
        "seqNo": seq_no,
        "transactionInfo": {"transactionId": transaction_id, "chargingState": "Charging"},
        "idToken": dict(_ID_TOKEN),
        "evse": dict(_EVSE),
        "meterValue": [_register(meter_wh, "Transaction.Begin", timestamp)],
    }


def updated(transaction_id: str, seq_no: int, meter_wh: int, timestamp: str) -> dict[str, Any]:
    return {
        "eventType": "Updated",
        "timestamp": timestamp,
        "triggerReason": "MeterValuePeriodic",
        "seqNo": seq_no,
        "transactionInfo": {"transactionId": transaction_id},
        "meterValue": [
            {
                "timestamp": timestamp,
                "sampledValue": [
                    {
                        "value": meter_wh,
                        "context": "Sample.Periodic",
                        "measurand": _ENERGY,
                        "unitOfMeasure": _WH,
                    },
                    {
                        "value": CHARGING_POWER_W,
                        "context": "Sample.Periodic",
                        "measurand": "Power.Active.Import",
                        "unitOfMeasure": _W,
                    },
                ],
            }
        ],
    }


def ended(transaction_id: str, seq_no: int, meter_wh: int, timestamp: str) -> dict[str, Any]:
    return {
        "eventType": "Ended",
        "timestamp": timestamp,
        "triggerReason": "StopAuthorized",
        "seqNo": seq_no,
        "transactionInfo": {
            "transactionId": transaction_id,
            "chargingState": "EVConnected",
            "stoppedReason": "Local",
        },
        "idToken": dict(_ID_TOKEN),
        "meterValue": [_register(meter_wh, "Transaction.End", timestamp)],
    }
