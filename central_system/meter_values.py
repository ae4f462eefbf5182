"""OCPP 1.6 meterValue lists (as the ocpp package hands them: snake_case dicts) to samples."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from central_system import semantics
from central_system.records import MeterSample

__all__ = [
    "samples_from_meter_values",
]


def samples_from_meter_values(
    meter_values: Iterable[Mapping[str, Any]], field: str = "meterValue"
) -> list[MeterSample]:
    """Flatten meterValue[].sampledValue[] into samples, filling in the spec's defaults.

    Raises `semantics.Implausible` for a timestamp out of range or a Raw value that is not a
    finite number (`field` names the list in the message)."""
    samples = []
    for index, meter_value in enumerate(meter_values):
        where = f"{field}[{index}]"
        timestamp = semantics.timestamp(f"{where}.timestamp", meter_value["timestamp"])
        for sampled in meter_value["sampled_value"]:
            # The ocpp package's snake_case keys are MeterSample's field names; absent ones
            # take the spec's defaults.
            sample = MeterSample(timestamp=timestamp, **sampled)
            semantics.check_sample(f"{where}.sampledValue", sample)
            samples.append(sample)
    return samples
