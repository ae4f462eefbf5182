"""Protocol-neutral requests from a model charge point to the central system, and replies.

The model never speaks OCPP. A charge point hands one of these to its resolver
(simulator.model.resolver), which answers: at once in the fast engine, after a real OCPP round
trip in the OCPP engine. Requests the physics does not wait on (status, meter values, stops)
are notifications: they still travel, in order, but nothing waits on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "AuthReply",
    "AuthStatus",
    "Authorize",
    "MeterSample",
    "PortStatus",
    "Reply",
    "Request",
    "SiteNeed",
    "SiteNeeds",
    "StartReply",
    "StartTransaction",
    "StatusChange",
    "StopReason",
    "StopTransaction",
]


class PortStatus(StrEnum):
    AVAILABLE = "Available"
    PREPARING = "Preparing"
    CHARGING = "Charging"
    SUSPENDED_EV = "SuspendedEV"
    FINISHING = "Finishing"
    FAULTED = "Faulted"
    UNAVAILABLE = "Unavailable"


class AuthStatus(StrEnum):
    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    CONCURRENT_TX = "ConcurrentTx"  # already in another transaction (answers a start only)


class StopReason(StrEnum):
    LOCAL = "Local"  # the driver reached the target and unplugged
    EV_DISCONNECTED = "EVDisconnected"
    REMOTE = "Remote"
    UNLOCK_COMMAND = "UnlockCommand"
    POWER_LOSS = "PowerLoss"  # the port failed under the car
    OTHER = "Other"  # a time cap (complimentary session) or the end of the run
    DE_AUTHORIZED = "DeAuthorized"
    HARD_RESET = "HardReset"
    SOFT_RESET = "SoftReset"


@dataclass(frozen=True, slots=True)
class StatusChange:
    status: PortStatus
    connector_id: int
    at_s: float


@dataclass(frozen=True, slots=True)
class Authorize:
    id_tag: str
    at_s: float


@dataclass(frozen=True, slots=True)
class StartTransaction:
    connector_id: int
    id_tag: str
    meter_start_wh: int
    at_s: float
    transaction_ref: int
    """The model's handle of the session: its samples and stop name it too."""


@dataclass(frozen=True, slots=True)
class MeterSample:
    """One sampled reading of the port's meter (OCPP measurands)."""

    connector_id: int
    transaction_ref: int
    """The model's own handle of the session; the wire maps it to the CSMS's transaction id."""
    at_s: float
    energy_wh: int
    power_kw: float
    soc: float | None
    voltage_v: float
    context: str  # Sample.Periodic, Transaction.Begin, Transaction.End


@dataclass(frozen=True, slots=True)
class StopTransaction:
    transaction_ref: int
    id_tag: str
    meter_stop_wh: int
    at_s: float
    reason: StopReason


@dataclass(frozen=True, slots=True)
class SiteNeed:
    """One charging port's claim on its site's grid limit (policy.grid.Demand on the wire)."""

    port_id: str
    connector_id: int
    demand_w: int
    """The most its car can draw there over the rest of its charge (simulator.model.grid)."""
    priority: int


@dataclass(frozen=True, slots=True)
class SiteNeeds:
    """A site's local controller reports what its charging ports need, at each instant the
    shares of its grid limit may change; the central system answers once it has sent each
    port whose share changed its new share (simulator.model.grid)."""

    site_id: str
    period: int
    """The period of the site's grid limit schedule in force (its index)."""
    needs: tuple[SiteNeed, ...]
    starting: str | None
    """The port whose car is about to start (its share is always sent), if any."""
    at_s: float


Request = StatusChange | Authorize | StartTransaction | MeterSample | StopTransaction | SiteNeeds


@dataclass(frozen=True, slots=True)
class AuthReply:
    status: AuthStatus


@dataclass(frozen=True, slots=True)
class StartReply:
    status: AuthStatus
    transaction_id: int


Reply = AuthReply | StartReply | None
