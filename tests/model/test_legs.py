"""A port's power limit moves the physics: each change of limit mid-charge starts a new leg."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.model.records import PowerSegment
from simulator.model.requests import MeterSample, StopReason, StopTransaction
from simulator.model.resolver import BatchedResolver
from simulator.model.simulation import Simulation
from tests.model.worlds import AcceptEveryTag, arrive_at, visit, world

TAPERING = [
    {
        "id": "v",
        "brand": "V",
        "share": 1.0,
        "battery_kwh": 60,
        "peak_kw": 100,
        "connectors": ["CCS1"],
        "curve": {"kind": "table", "soc": [0.1, 0.5, 0.9], "fraction": [1.0, 0.8, 0.3]},
    }
]


def spans(segments: tuple[PowerSegment, ...]) -> list[tuple[float, ...]]:
    """(start s, end s, start kW, end kW) of each segment, to the millisecond and the watt."""
    return [
        (round(s.start_s, 3), round(s.end_s, 3), round(s.start_kw, 3), round(s.end_kw, 3))
        for s in segments
    ]


def integral_kwh(segments: tuple[PowerSegment, ...]) -> float:
    """∫ power dt of the segments (power linear in SoC is not linear in time: the booked
    energy is the integral)."""
    return sum(s.energy_kwh for s in segments)


def full_charge(sim: Simulation, **kw: Any) -> None:
    arrive_at(sim, visit(sim.world, soc_start=0.0, soc_target=1.0, **kw))  # 60 kWh


def test_a_lower_limit_mid_charge_ends_the_leg_and_the_rest_charges_at_the_limit() -> None:
    sim = Simulation(world())
    full_charge(sim)
    port = sim.ports[0]
    sim.env.run(until=900.0)  # 25 kWh at 100 kW
    sim.charging.set_limit(port, 50.0)
    sim.env.run(until=1800.0)
    reading = sim.meter_reading(port.id)
    assert reading is not None
    assert (reading.energy_wh, reading.power_kw) == (37_500, 50.0)
    records = sim.run()
    [session] = records.sessions
    assert session.charge_end_s == pytest.approx(900.0 + 35 / 50 * 3600)
    assert session.energy_kwh == pytest.approx(60.0)
    assert spans(records.segments) == [(0.0, 900.0, 100.0, 100.0), (900.0, 3420.0, 50.0, 50.0)]
    assert [s.energy_kwh for s in records.segments] == pytest.approx([25.0, 35.0])
    assert port.meter_wh == pytest.approx(60_000.0)


def test_a_limit_at_or_above_the_rating_changes_nothing() -> None:
    sim = Simulation(world())
    full_charge(sim)
    sim.env.run(until=900.0)
    sim.charging.set_limit(sim.ports[0], 150.0)
    sim.charging.set_limit(sim.ports[0], None)
    records = sim.run()
    assert spans(records.segments) == [(0.0, 2160.0, 100.0, 100.0)]


def test_the_limit_stays_on_the_port_and_holds_the_next_car() -> None:
    sim = Simulation(world())
    port = sim.ports[0]
    sim.charging.set_limit(port, 40.0)
    full_charge(sim)
    assert port.limit_kw == 40.0
    [session] = sim.run().sessions
    assert session.charge_end_s == pytest.approx(60 / 40 * 3600)


def test_a_zero_limit_pauses_the_charge_until_the_limit_is_lifted() -> None:
    sim = Simulation(world())
    full_charge(sim)
    port = sim.ports[0]
    sim.env.run(until=900.0)
    sim.charging.set_limit(port, 0.0)
    sim.env.run(until=1800.0)
    reading = sim.meter_reading(port.id)
    assert reading is not None
    assert (reading.energy_wh, reading.power_kw) == (25_000, 0.0)
    assert port.charging
    sim.charging.set_limit(port, None)
    records = sim.run()
    [session] = records.sessions
    assert session.charge_end_s == pytest.approx(1800.0 + 35 / 100 * 3600)
    assert session.energy_kwh == pytest.approx(60.0)
    assert spans(records.segments) == [(0.0, 900.0, 100.0, 100.0), (1800.0, 3060.0, 100.0, 100.0)]


def test_changes_at_one_instant_book_no_zero_length_leg() -> None:
    sim = Simulation(world())
    full_charge(sim)
    sim.env.run(until=900.0)
    for limit_kw in (50.0, 30.0, 60.0):
        sim.charging.set_limit(sim.ports[0], limit_kw)
    records = sim.run()
    assert spans(records.segments) == [
        (0.0, 900.0, 100.0, 100.0),
        (900.0, 900.0 + 35 / 60 * 3600, 60.0, 60.0),
    ]


def test_a_free_sessions_cap_still_counts_from_the_charges_start() -> None:
    deal = {"brand": "V", "network": "n", "perk": "complimentary", "session_cap_min": 30}
    sim = Simulation(world(deals=[deal]))
    full_charge(sim)
    sim.env.run(until=600.0)
    sim.charging.set_limit(sim.ports[0], 50.0)
    [session] = sim.run().sessions
    assert session.free
    assert session.reason == StopReason.OTHER.value
    assert session.charge_end_s == pytest.approx(1800.0)
    assert session.energy_kwh == pytest.approx(600 / 36 + 1200 * 50 / 3600)


def test_a_tapering_car_under_a_limit_follows_min_of_curve_and_limit_leg_by_leg() -> None:
    sim = Simulation(world(vehicles=TAPERING))
    arrive_at(sim, visit(sim.world, soc_start=0.0, soc_target=0.9))  # 54 kWh
    port = sim.ports[0]
    sim.env.run(until=600.0)
    sim.charging.set_limit(port, 60.0)
    sim.env.run(until=1800.0)
    sim.charging.set_limit(port, 20.0)
    records = sim.run()
    [session] = records.sessions
    assert session.energy_kwh == pytest.approx(54.0)
    assert integral_kwh(records.segments) == pytest.approx(54.0)
    for seg in records.segments:
        limit_kw = 100.0 if seg.end_s <= 600.0 else 60.0 if seg.end_s <= 1800.0 + 1e-6 else 20.0
        assert max(seg.start_kw, seg.end_kw) <= limit_kw + 1e-9
    # legs abut: each starts where the one before ended
    for before, after in zip(records.segments, records.segments[1:], strict=False):
        assert after.start_s == pytest.approx(before.end_s)
    assert session.charge_end_s > 1800.0


def test_stop_transaction_and_the_meter_values_follow_the_legs_on_the_ocpp_engine() -> None:
    central = AcceptEveryTag()
    sim = Simulation(world(), resolver=BatchedResolver(central), meter_interval_s=600.0)
    full_charge(sim)
    sim.env.run(until=900.0)
    sim.charging.set_limit(sim.ports[0], 50.0)
    sim.run()
    samples = [o.request for o in central.sent if isinstance(o.request, MeterSample)]
    assert [(s.at_s, s.energy_wh, s.power_kw) for s in samples] == [
        (0.0, 0, 100.0),
        (600.0, 16_666, 100.0),
        (1200.0, 29_166, 50.0),
        (1800.0, 37_500, 50.0),
        (2400.0, 45_833, 50.0),
        (3000.0, 54_166, 50.0),
        (pytest.approx(3420.0), 60_000, 0.0),  # the End reading comes once the charge ended
    ]
    [stop] = [o.request for o in central.sent if isinstance(o.request, StopTransaction)]
    assert stop.meter_stop_wh == 60_000


def test_a_negative_limit_is_refused() -> None:
    sim = Simulation(world())
    with pytest.raises(ValueError, match="kW >= 0"):
        sim.charging.set_limit(sim.ports[0], -1.0)
