"""meterValue lists (TransactionEvent, MeterValues) as `Sample`s, the way 2.0.1 spells them:
value is a number, the unit and its power-of-ten multiplier sit in unitOfMeasure."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Final

from central_system import semantics
from central_system.v201.records import Sample
from ocppj.casing import camel_keys

__all__ = [
    "BEGIN",
    "END",
    "MAX_MULTIPLIER",
    "energy_wh",
    "samples_from_meter_values",
]

#: unitOfMeasure.multiplier beyond this (a power of ten) is refused: no meter reads in units
#: beyond giga or below nano, and 10**400 is not a float.
MAX_MULTIPLIER: Final = 9

#: The readingContexts of a transaction's first and last energy readings.
BEGIN: Final = "Transaction.Begin"
END: Final = "Transaction.End"


def samples_from_meter_values(
    meter_values: Iterable[dict[str, Any]], field: str = "meterValue"
) -> tuple[Sample, ...]:
    """Snake-cased meterValue dicts (schema-checked) as samples; raises
    `semantics.Implausible` for an unreadable timestamp or a multiplier beyond
    ±`MAX_MULTIPLIER`."""
    samples = []
    for index, meter_value in enumerate(meter_values):
        moment = semantics.timestamp(f"{field}[{index}].timestamp", meter_value["timestamp"])
        for number, sampled in enumerate(meter_value["sampled_value"]):
            unit = sampled.get("unit_of_measure") or {}
            if abs(unit.get("multiplier", 0)) > MAX_MULTIPLIER:
                raise semantics.Implausible(
                    f"{field}[{index}].sampledValue[{number}].unitOfMeasure.multiplier",
                    f"beyond ±{MAX_MULTIPLIER}",
                )
            signed = sampled.get("signed_meter_value")
            samples.append(
                Sample(
                    timestamp=moment,
                    value=float(sampled["value"]),
                    measurand=sampled.get("measurand", "Energy.Active.Import.Register"),
                    phase=sampled.get("phase", ""),
                    location=sampled.get("location", "Outlet"),
                    context=sampled.get("context", "Sample.Periodic"),
                    unit=unit.get("unit", "Wh"),
                    multiplier=int(unit.get("multiplier", 0)),
                    signed_meter_value=None if signed is None else json.dumps(camel_keys(signed)),
                )
            )
    return tuple(samples)


def energy_wh(samples: Iterable[Sample], context: str) -> float | None:
    """The energy register (Wh) of the last whole-meter reading in `context`, if any."""
    found = None
    for sample in samples:
        if (
            sample.context == context
            and sample.measurand == semantics.ENERGY_REGISTER
            and not sample.phase
        ):
            found = sample.wh if sample.wh is not None else found
    return found
