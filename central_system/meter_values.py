"""OCPP 1.6 meterValue lists (as the ocpp package hands them: snake_case dicts) to samples."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from central_system.records import MeterSample
from central_system.timestamps import parse_timestamp


def samples_from_meter_values(meter_values: Iterable[Mapping[str, Any]]) -> list[MeterSample]:
    """Flatten meterValue[].sampledValue[] into samples, filling in the spec's defaults."""
    samples = []
    for meter_value in meter_values:
        timestamp = parse_timestamp(meter_value["timestamp"])
        for sampled in meter_value["sampled_value"]:
            # The ocpp package's snake_case keys are MeterSample's field names; absent ones
            # take the spec's defaults.
            samples.append(MeterSample(timestamp=timestamp, **sampled))
    return samples
