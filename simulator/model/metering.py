"""The port's meter: readings for MeterValues, periodic and at a transaction's ends.

Readings travel to the central system; the physics never waits on them.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from simulator.model.requests import MeterSample

if TYPE_CHECKING:
    import simpy
    from simpy.events import Event

    from simulator.model.port import ChargePoint
    from simulator.model.resolver import Resolver
    from simulator.model.visit import Visit

__all__ = ["NOMINAL_VOLTAGE_V", "periodic", "reading"]

NOMINAL_VOLTAGE_V = 400.0


def reading(port: ChargePoint, visit: Visit, now: float, context: str) -> MeterSample:
    """What the port's meter reads at `now` for the visit on it."""
    prof = visit.profile
    if port.charging and prof is not None:
        soc = prof.soc_after(visit.leg_soc, (now - visit.leg_start_s) / 3600.0)
        power_kw = prof.power_kw(soc)
        energy_wh = port.meter_wh + (soc - visit.soc_start) * visit.vehicle.battery_kwh * 1000
    else:
        soc, power_kw, energy_wh = visit.soc_now, 0.0, port.meter_wh
    return MeterSample(
        connector_id=visit.connector,
        transaction_ref=port.transaction,
        at_s=now,
        energy_wh=int(energy_wh),
        power_kw=power_kw,
        soc=None if math.isinf(soc) else min(soc, 1.0),
        voltage_v=NOMINAL_VOLTAGE_V,
        context=context,
    )


def periodic(
    env: simpy.Environment,
    resolver: Resolver,
    port: ChargePoint,
    visit: Visit,
    interval_s: float,
) -> Generator[Event, Any, None]:
    """Sample.Periodic readings every `interval_s` while this visit charges on the port."""
    while True:
        yield env.timeout(interval_s)
        if port.visit is not visit or not port.charging:
            return
        resolver.meter_values(port, visit, "Sample.Periodic")
