from __future__ import annotations

from datetime import UTC, datetime

from central_system.meter_values import samples_from_meter_values
from central_system.records import MeterSample


def test_sampled_values_are_flattened_with_the_specs_defaults() -> None:
    samples = samples_from_meter_values(
        [
            {
                "timestamp": "2025-01-01T10:00:00+01:00",
                "sampled_value": [
                    {"value": "10"},
                    {"value": "230.1", "measurand": "Voltage", "phase": "L1", "unit": "V"},
                ],
            }
        ]
    )
    moment = datetime(2025, 1, 1, 9, tzinfo=UTC)
    assert samples == [
        MeterSample(moment, "10", "Energy.Active.Import.Register", "", "Wh"),
        MeterSample(moment, "230.1", "Voltage", "L1", "V"),
    ]
    assert samples[1].context == "Sample.Periodic"
    assert samples[1].location == "Outlet"
