"""`Dialect`: the OCPP version a synthetic fleet speaks, chosen once per run.

A dialect names the subprotocol, maps the plan's steps (named by their 1.6 actions) to its
version's actions and gives the `Schedule` that builds its payloads. A charge point takes its
fleet's dialect once per connection, so a message costs the same whichever version it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from ocppj import OCPP16, OCPP201, Version
from simulator.load.schedule import METER, START, STEPS, STOP, Schedule
from simulator.load.schedule201 import Schedule201

__all__ = ["DIALECTS", "Dialect", "OcppLabel", "dialect"]

OcppLabel = Literal["1.6", "2.0.1"]
"""A version as the command line and scenario files name it."""


@dataclass(frozen=True, slots=True)
class Dialect:
    label: OcppLabel
    version: Version
    """The websocket subprotocol, and ocppj's name of the version."""
    actions: Mapping[str, str]
    """The plan's step -> the action sent on the wire."""
    schedule: type[Schedule]


_SAME: Final = {step: step for step in STEPS}
DIALECTS: Final[Mapping[str, Dialect]] = {
    "1.6": Dialect("1.6", OCPP16, _SAME, Schedule),
    "2.0.1": Dialect(
        "2.0.1",
        OCPP201,
        _SAME | {START: "TransactionEvent", METER: "TransactionEvent", STOP: "TransactionEvent"},
        Schedule201,
    ),
}


def dialect(label: str) -> Dialect:
    """The dialect of `label` ("1.6", "2.0.1"); ValueError for another."""
    try:
        return DIALECTS[label]
    except KeyError:
        raise ValueError(f"OCPP {label!r}: expected one of {', '.join(DIALECTS)}") from None
