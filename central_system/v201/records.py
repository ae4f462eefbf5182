"""The 2.0.1 facts, as frozen dataclasses (ocpp types stay in `session`)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "ConnectorStatus",
    "EventOutcome",
    "ReportedVariable",
    "Sample",
    "TransactionEvent",
]


@dataclass(frozen=True, slots=True)
class ConnectorStatus:
    """A StatusNotification. `error_code` is always "" (2.0.1 reports errors elsewhere); it is
    here so that the operator view reads a 2.0.1 status as it reads a 1.6 one."""

    charge_point_id: str
    evse_id: int
    connector_id: int
    status: str
    timestamp: datetime | None
    error_code: str = ""


@dataclass(frozen=True, slots=True)
class Sample:
    """One sampledValue of a meterValue, with the meterValue's timestamp."""

    timestamp: datetime
    value: float
    measurand: str = "Energy.Active.Import.Register"
    phase: str = ""
    location: str = "Outlet"
    context: str = "Sample.Periodic"
    unit: str = "Wh"
    multiplier: int = 0
    signed_meter_value: str | None = None

    @property
    def wh(self) -> float | None:
        """The value in Wh when this is an energy reading in Wh or kWh, else None."""
        factor = {"Wh": 1.0, "kWh": 1000.0}.get(self.unit)
        return None if factor is None else self.value * factor * 10.0**self.multiplier


class EventOutcome(enum.StrEnum):
    """What storing a TransactionEvent did."""

    APPLIED = "applied"
    #: Its seqNo was stored already (a retransmission): nothing applied a second time.
    REPEATED = "repeated"


@dataclass(frozen=True, slots=True)
class TransactionEvent:
    charge_point_id: str
    transaction_id: str
    event_type: str
    timestamp: datetime
    trigger_reason: str
    seq_no: int
    offline: bool = False
    evse_id: int | None = None
    connector_id: int | None = None
    id_token: str | None = None
    id_token_type: str | None = None
    charging_state: str | None = None
    stopped_reason: str | None = None
    remote_start_id: int | None = None
    number_of_phases_used: int | None = None
    cable_max_current: int | None = None
    reservation_id: int | None = None
    samples: tuple[Sample, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class ReportedVariable:
    """One variableAttribute of a NotifyReport's reportData."""

    component_name: str
    component_instance: str
    evse_id: int
    connector_id: int
    variable_name: str
    variable_instance: str
    attribute_type: str
    value: str | None
    mutability: str | None
    data_type: str | None
    unit: str | None
