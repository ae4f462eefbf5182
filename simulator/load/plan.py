"""`MessagePlan`: what every synthetic charge point of a load run sends, and the payloads.

Per charge point, from the moment its websocket opens:

1. BootNotification. Accepted: go on; Pending/Rejected: boot again after the interval the
   central system gave (at least 1 s); a CALLERROR: boot again after 5 s; no answer within
   timeout_s: boot again at once.
2. Once the boot is accepted: one StatusNotification (Available) per connector, 1..connectors.
3. Heartbeat every `heartbeat_interval_s` (the plan's interval: the one in the boot reply is
   not used, the load is the plan's), first one at a per-charge-point phase in the interval.
4. Only the `active_share` of charge points (spread evenly over the ids): transaction cycles
   on connector 1. A cycle starts with Authorize; StartTransaction right after its answer;
   MeterValues (Energy.Active.Import.Register, Power.Active.Import) every `meter_interval_s`
   from the cycle's start; StopTransaction `transaction_s` after the cycle's start; the next
   cycle `idle_between_s` after that. The first cycle starts at a per-charge-point phase in
   `idle_between_s` after the boot.

The phases are golden-ratio fractions of the charge point's index, so a fleet that booted at
once does not send its heartbeats in one burst, and two runs send the same thing.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Final

__all__ = [
    "CHARGING_POWER_W",
    "FIRMWARE",
    "ID_TAG",
    "VENDOR",
    "MessagePlan",
    "is_active",
    "phase",
]

VENDOR: Final = "chargenet"
FIRMWARE: Final = "chargenet-load-1"
ID_TAG: Final = "chargenet-load"
"""The id tag of every transaction (a backend under test should accept it, or every unknown)."""
CHARGING_POWER_W: Final = 7400
"""What the meter values report while a transaction runs (the register grows with it)."""
_GOLDEN: Final = (math.sqrt(5.0) - 1.0) / 2.0


@dataclass(frozen=True, slots=True)
class MessagePlan:
    """Per charge point: heartbeats always, transaction cycles for the active share."""

    heartbeat_interval_s: float = 60.0
    active_share: float = 0.0
    """Share of charge points that run transactions (0..1)."""
    meter_interval_s: float = 60.0
    transaction_s: float = 600.0
    """One cycle: Authorize, StartTransaction, MeterValues.., StopTransaction after this."""
    idle_between_s: float = 60.0
    connectors: int = 1
    """StatusNotifications after the boot: one per connector."""

    def __post_init__(self) -> None:
        for name in ("heartbeat_interval_s", "meter_interval_s", "transaction_s"):
            value = getattr(self, name)
            if not (value > 0 and math.isfinite(value)):
                raise ValueError(f"{name} must be a positive number of seconds, not {value}")
        if not (self.idle_between_s >= 0 and math.isfinite(self.idle_between_s)):
            raise ValueError(f"idle_between_s must be >= 0, not {self.idle_between_s}")
        if not 0.0 <= self.active_share <= 1.0:
            raise ValueError(f"active_share must be within 0..1, not {self.active_share}")
        if not 1 <= self.connectors <= 100:
            raise ValueError(f"connectors must be within 1..100, not {self.connectors}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def is_active(index: int, share: float) -> bool:
    """Whether charge point `index` runs transactions: exactly round-down(N * share) of the
    first N ids do, spread evenly."""
    return math.floor((index + 1) * share + 1e-9) > math.floor(index * share + 1e-9)


def phase(index: int) -> float:
    """A fraction in [0, 1) that spreads charge points evenly over an interval."""
    return (index * _GOLDEN) % 1.0


def boot(charge_point_id: str) -> dict[str, Any]:
    return {
        "chargePointVendor": VENDOR,
        "chargePointModel": "load",
        "chargePointSerialNumber": charge_point_id[:25],
        "firmwareVersion": FIRMWARE,
    }


def status(connector_id: int, timestamp: str) -> dict[str, Any]:
    return {
        "connectorId": connector_id,
        "errorCode": "NoError",
        "status": "Available",
        "timestamp": timestamp,
    }


def authorize() -> dict[str, Any]:
    return {"idTag": ID_TAG}


def start_transaction(meter_wh: int, timestamp: str) -> dict[str, Any]:
    return {"connectorId": 1, "idTag": ID_TAG, "meterStart": meter_wh, "timestamp": timestamp}


def meter_values(transaction_id: int, meter_wh: int, timestamp: str) -> dict[str, Any]:
    return {
        "connectorId": 1,
        "transactionId": transaction_id,
        "meterValue": [
            {
                "timestamp": timestamp,
                "sampledValue": [
                    {
                        "value": str(meter_wh),
                        "context": "Sample.Periodic",
                        "measurand": "Energy.Active.Import.Register",
                        "unit": "Wh",
                    },
                    {
                        "value": str(CHARGING_POWER_W),
                        "context": "Sample.Periodic",
                        "measurand": "Power.Active.Import",
                        "unit": "W",
                    },
                ],
            }
        ],
    }


def stop_transaction(transaction_id: int, meter_wh: int, timestamp: str) -> dict[str, Any]:
    return {
        "transactionId": transaction_id,
        "idTag": ID_TAG,
        "meterStop": meter_wh,
        "timestamp": timestamp,
        "reason": "Local",
    }
