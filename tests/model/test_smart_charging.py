"""Ports that obey their charging profiles: the composite's limit moves the charge (through
Charging.set_limit) at its boundaries, at transactions' starts and ends, in virtual time."""

from __future__ import annotations

import pytest

from simulator.model.charging_profiles import (
    ChargingProfile,
    Kind,
    Period,
    Purpose,
    RateUnit,
    Recurrency,
    Schedule,
)
from simulator.model.records import PowerSegment
from simulator.model.resolver import BatchedResolver, ImmediateResolver
from simulator.model.simulation import Simulation
from simulator.model.smart_charging import ObservedResolver, PortProfiles, SmartCharging
from tests.model.worlds import AcceptEveryTag, arrive_at, visit, world

PORT_KW = 100.0


def running(days: float = 1.0, *, batched: bool = False) -> tuple[Simulation, PortProfiles]:
    """One 100 kW port, one 60 kWh car model at 100 kW flat; nobody arrives unasked. The
    central system answers at once, or (`batched`) at the instant's flush, as over OCPP."""
    w = world(days=days)
    inner = BatchedResolver(AcceptEveryTag()) if batched else ImmediateResolver()
    observed = ObservedResolver(inner)
    sim = Simulation(w, resolver=observed)
    smart = observed.smart = SmartCharging(sim.env, sim.charging.set_limit)
    return sim, PortProfiles(smart, sim.ports[0])


def profile(
    pid: int,
    *periods: tuple[float, float],
    purpose: Purpose = Purpose.TX_DEFAULT,
    kind: Kind = Kind.ABSOLUTE,
    connector: int = 0,
    start_s: float | None = 0.0,
    recurrency: Recurrency | None = None,
    duration_s: float | None = None,
    unit: RateUnit = RateUnit.W,
) -> ChargingProfile:
    return ChargingProfile(
        pid,
        connector,
        0,
        purpose,
        kind,
        Schedule(unit, tuple(Period(s, w) for s, w in periods), duration_s, start_s),
        recurrency,
    )


def segments(sim: Simulation) -> list[tuple[float, float, float]]:
    """(start_s, end_s, kW) of each power segment so far (flat ones: start kW = end kW)."""
    out = []
    for s in sim.recorder.segments:
        assert isinstance(s, PowerSegment)
        assert s.start_kw == pytest.approx(s.end_kw)
        out.append((s.start_s, s.end_s, s.start_kw))
    return out


def assert_segments(sim: Simulation, expected: list[tuple[float, float, float]]) -> None:
    got = segments(sim)
    assert len(got) == len(expected), got
    for g, e in zip(got, expected, strict=True):
        assert g == pytest.approx(e), (got, expected)


def charge(sim: Simulation, at_s: float, soc_start: float = 0.2, soc_target: float = 0.8) -> None:
    arrive_at(sim, visit(sim.world, at_s=at_s, soc_start=soc_start, soc_target=soc_target))


def test_a_schedule_moves_the_power_at_its_period_boundaries() -> None:
    sim, port = running()
    port.install(profile(1, (0, 20_000.0), (1800, 40_000.0)))
    charge(sim, 600.0)  # 36 kWh: 20 minutes at 20 kW, the rest at 40 kW
    sim.env.run(until=20_000)
    assert_segments(
        sim, [(600.0, 1800.0, 20.0), (1800.0, 1800.0 + (36 - 20 / 3) / 40 * 3600, 40.0)]
    )


def test_amperes_are_dc_amperes_at_the_meters_voltage() -> None:
    sim, port = running()
    port.install(profile(1, (0, 50.0), unit=RateUnit.A))  # 50 A x 400 V = 20 kW
    charge(sim, 0.0, 0.2, 0.4)
    sim.env.run(until=20_000)
    assert_segments(sim, [(0.0, 12 / 20 * 3600, 20.0)])


def test_a_daily_profile_limits_the_night_across_midnight_and_lifts_in_the_morning() -> None:
    sim, port = running(days=2.0)
    night = profile(
        1,
        (0, 10_000.0),
        (8 * 3600, PORT_KW * 1000),
        kind=Kind.RECURRING,
        recurrency=Recurrency.DAILY,
        start_s=22 * 3600.0,  # 22:00 to 06:00 at 10 kW
    )
    port.install(night)
    charge(sim, 23 * 3600.0, 0.0, 1.0)  # 60 kWh from 23:00: 6 h at 10 kW, done by 05:00
    sim.env.run(until=2 * 86_400)
    assert_segments(sim, [(23 * 3600.0, 29 * 3600.0, 10.0)])


def test_a_morning_lift_takes_the_rest_of_the_charge_to_full_power() -> None:
    sim, port = running(days=2.0)
    port.install(
        profile(
            1,
            (0, 10_000.0),
            (8 * 3600, PORT_KW * 1000),
            kind=Kind.RECURRING,
            recurrency=Recurrency.DAILY,
            start_s=22 * 3600.0,
        )
    )
    charge(sim, 4 * 3600.0 + 86_400, 0.2, 0.8)  # 04:00 on day 1: 2 h at 10 kW, then 100 kW
    sim.env.run(until=2 * 86_400)
    six = 30 * 3600.0
    assert_segments(sim, [(six - 7200.0, six, 10.0), (six, six + (36 - 20) / 100 * 3600, 100.0)])


def test_a_relative_profile_runs_from_each_transactions_start() -> None:
    sim, port = running()
    port.install(profile(1, (0, 10_000.0), (600, 50_000.0), kind=Kind.RELATIVE, start_s=None))
    charge(sim, 1000.0, 0.2, 0.3)  # 6 kWh: 600 s at 10 kW (1.67 kWh), then 50 kW
    charge(sim, 10_000.0, 0.2, 0.3)
    sim.env.run(until=20_000)
    rest_s = (6 - 10 / 6) / 50 * 3600
    assert_segments(
        sim,
        [
            (1000.0, 1600.0, 10.0),
            (1600.0, 1600.0 + rest_s, 50.0),
            (10_000.0, 10_600.0, 10.0),
            (10_600.0, 10_600.0 + rest_s, 50.0),
        ],
    )


def test_a_tx_profile_holds_its_transaction_only_and_the_max_profile_stays() -> None:
    sim, port = running()
    port.install(profile(1, (0, 60_000.0), purpose=Purpose.CHARGE_POINT_MAX))
    charge(sim, 0.0, 0.2, 0.3)  # 6 kWh
    sim.env.run(until=60.0)
    assert port.transaction is not None
    port.install(profile(2, (0, 12_000.0), purpose=Purpose.TX, connector=1, kind=Kind.RELATIVE))
    sim.env.run(until=10_000.0)
    assert [p.purpose for p in port.profiles.profiles] == [Purpose.CHARGE_POINT_MAX]
    assert port.transaction is None
    charge(sim, 10_000.0, 0.2, 0.3)
    sim.env.run(until=20_000.0)
    first_rest_s = (6 - 1) / 12 * 3600
    assert_segments(
        sim,
        [
            (0.0, 60.0, 60.0),
            (60.0, 60.0 + first_rest_s, 12.0),
            (10_000.0, 10_000.0 + 6 / 60 * 3600, 60.0),
        ],
    )


def test_clearing_a_profile_lifts_its_limit_mid_charge() -> None:
    sim, port = running()
    port.install(profile(1, (0, 20_000.0)))
    charge(sim, 0.0, 0.2, 0.4)  # 12 kWh
    sim.env.run(until=720.0)  # 4 kWh at 20 kW
    assert port.clear(purpose=Purpose.TX_DEFAULT) == 1
    assert port.clear(purpose=Purpose.TX_DEFAULT) == 0
    sim.env.run(until=20_000.0)
    assert_segments(sim, [(0.0, 720.0, 20.0), (720.0, 720.0 + 8 / 100 * 3600, 100.0)])


def test_a_remote_starts_tx_profile_holds_the_session_it_started_only() -> None:
    sim, port = running(batched=True)
    assert sim.remote_start(sim.ports[0].id, "APP")  # authorized and started at the flush
    port.remote_start_profile(
        profile(9, (0, 15_000.0), purpose=Purpose.TX, connector=1, kind=Kind.RELATIVE)
    )
    sim.env.run(until=40_000.0)
    charge(sim, 40_000.0, 0.2, 0.3)
    sim.env.run(until=86_400.0)
    remote, walk_in = segments(sim)
    assert remote[2] == pytest.approx(15.0)
    assert walk_in == pytest.approx((40_000.0, 40_000.0 + 6 / 100 * 3600, PORT_KW))


def test_a_port_whose_profiles_never_limit_it_is_never_touched() -> None:
    sim, port = running()
    port.install(profile(1, (0, 1000.0), start_s=10 * 86_400.0))  # starts after the horizon
    charge(sim, 0.0)
    sim.env.run(until=86_400.0)
    assert sim.ports[0].limit_kw is None
    assert_segments(sim, [(0.0, 36 / 100 * 3600, 100.0)])
