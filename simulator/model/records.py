"""What a run leaves behind: the ground truth that every metric is a pure function of.

The per-event records are NamedTuples rather than frozen dataclasses: just as immutable, and
several times cheaper to create, which matters at one record per arrival and state change.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

__all__ = [
    "LimitedLeg",
    "Outcome",
    "PortInterval",
    "PortState",
    "PowerSegment",
    "Records",
    "SessionRecord",
]


class Outcome(StrEnum):
    SERVED = "served"
    TURNED_AWAY = "turned_away"
    GAVE_UP = "gave_up"
    ON_SITE = "on_site"  # still waiting or charging when the run ended
    RETRIED = "retried"  # a failed try on a port, after which the driver tried again


class SessionRecord(NamedTuple):
    """One record per arrival, whatever became of it, and one per failed try the driver
    followed with another (`Outcome.RETRIED`, simulator.model.attempts). Times in seconds of
    virtual time."""

    arrival_s: float
    vehicle: str
    brand: str
    driver: int
    outcome: Outcome
    reason: str  # why turned away or stopped: no_access, queue_full, balked, Local, PowerLoss...
    network: str = ""
    site: str = ""
    port: str = ""
    partner: bool = False
    """The brand has a deal or membership with the network it charged at."""
    wait_s: float = 0.0
    start_s: float = 0.0
    charge_end_s: float = 0.0
    depart_s: float = 0.0
    soc_start: float = 0.0
    soc_end: float = 0.0
    energy_kwh: float = 0.0
    energy_cost: float = 0.0
    """What the driver paid for energy."""
    idle_fee: float = 0.0
    roaming_fee: float = 0.0
    settlement: float = 0.0
    """What the perk's payer (the automaker) paid the network for this session."""
    paid_by: str = ""
    perk_value: float = 0.0
    """List price of the energy minus what the driver paid for it."""
    free: bool = False
    perk_refused: bool = False
    """The deal's fine print refused its perk for this session (min_interval_min)."""
    adapter_kw: float = 0.0
    """The cap of the adapter the car charged through (0: no cap applied)."""

    @property
    def price_paid(self) -> float:
        return self.energy_cost + self.idle_fee + self.roaming_fee


class PortState(StrEnum):
    AVAILABLE = "available"
    CHARGING = "charging"
    OCCUPIED = "occupied"  # a car on the port, not drawing power (preparing, idle, finishing)
    DOWN = "down"


class PortInterval(NamedTuple):
    port: str
    state: PortState
    start_s: float
    end_s: float


class PowerSegment(NamedTuple):
    """Power drawn on one port, monotone between the two ends (one linear piece of a curve)."""

    port: str
    start_s: float
    end_s: float
    energy_kwh: float
    start_kw: float
    end_kw: float


class LimitedLeg(NamedTuple):
    """One leg of a charge held below the port's rating (a grid share or a charging profile),
    and what the limit took: the energy the car asked for (its curve at the port's rating, at
    the SoC it had at each instant, integrated over the leg), and the time it charged below
    that curve.

    A stream of its own rather than fields of PowerSegment: a run with no limit records none,
    so nothing of it changes."""

    port: str
    charge_start_s: float
    """When the charge began: the legs of one charge share it."""
    start_s: float
    end_s: float
    limit_kw: float
    energy_kwh: float
    """Delivered in the leg."""
    requested_kwh: float
    """What the car asked for over the leg: its curve at the port's rating along its SoC."""
    below_curve_s: float
    """Time the leg's power was below the car's curve at the port's rating."""


@dataclass(frozen=True, slots=True)
class Records:
    horizon_s: float
    warmup_s: float
    sessions: tuple[SessionRecord, ...]
    intervals: tuple[PortInterval, ...]
    segments: tuple[PowerSegment, ...]
    limited: tuple[LimitedLeg, ...] | None = ()
    """The limited legs; None where the records cannot tell (a central system's store sees
    delivered power only)."""
