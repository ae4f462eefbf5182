"""A site's grid limit in the model: the charging ports share it, and it moves the physics."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from simulator import scenario as sc
from simulator.model.charging_profiles import Kind, Purpose
from simulator.model.grid import OTHERS, demand_kw, peak_fraction
from simulator.model.port import ChargePoint
from simulator.model.records import PowerSegment
from simulator.model.requests import SiteNeed, SiteNeeds
from simulator.model.resolver import ImmediateResolver
from simulator.model.simulation import Simulation
from simulator.model.smart_charging import (
    GRID_PROFILE_ID,
    ObservedResolver,
    PortProfiles,
    SmartCharging,
)
from simulator.model.world import GridLimit, World
from tests.model.test_smart_charging import assert_segments, charge, profile
from tests.model.worlds import arrive_at, visit, world

FOUR_PORTS = [{"power_kw": 100, "connectors": ["CCS1"], "count": 4}]


def car(
    vehicle_id: str, brand: str, curve: dict[str, Any] | None = None, share: float = 0.5
) -> dict[str, Any]:
    return {
        "id": vehicle_id,
        "brand": brand,
        "share": share,
        "battery_kwh": 60,
        "peak_kw": 100,
        "connectors": ["CCS1"],
        "curve": curve or {"kind": "flat"},
    }


TAPER = {"kind": "table", "soc": [0.1, 0.5, 0.9], "fraction": [1.0, 0.8, 0.3]}


def limited(site: dict[str, Any], **kw: Any) -> World:
    """The unit world whose site has these grid keys."""
    return sc.world(sc.parse(limited_data(site, **kw)))


def limited_data(site: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {
        "name": "unit",
        "simulation": {"days": 1, "seed": 1},
        "networks": [
            {
                "id": "n",
                "price_per_kwh": 0.5,
                "sites": [{"id": "s", "ports": FOUR_PORTS, **site}],
                **kw.get("network", {}),
            }
        ],
        "vehicles": kw.get("vehicles") or [car("v", "V", share=1.0)],
        "arrivals": {"kind": "constant", "rate_per_h": 1e-9},
    }


def limits(sim: Simulation) -> list[float | None]:
    return [p.limit_kw for p in sim.ports]


def integral_kwh(segments: tuple[PowerSegment, ...]) -> float:
    """∫ site power dt from the segments' times and powers alone (not their booked energy):
    on a piece where power is linear in SoC it is exponential in time, P0 (P1/P0)^x."""
    total = 0.0
    for s in segments:
        hours = (s.end_s - s.start_s) / 3600.0
        p0, p1 = s.start_kw, s.end_kw
        total += hours * (p0 if math.isclose(p0, p1) else (p1 - p0) / math.log(p1 / p0))
    return total


def site_kw_at(segments: tuple[PowerSegment, ...], t: float) -> float:
    """The site's power at instant t: the segments under way then ([start, end), the end
    within a microsecond: a leg's last piece ends where its hours sum to), each at its power
    at t (power linear in SoC is exponential in time, exactly)."""
    total = 0.0
    for s in segments:
        if s.start_s <= t < s.end_s - 1e-6:
            if s.start_kw == s.end_kw or s.end_kw <= 0:
                total += s.start_kw
            else:
                x = (t - s.start_s) / (s.end_s - s.start_s)
                total += s.start_kw * (s.end_kw / s.start_kw) ** x
    return total


def test_cars_share_a_binding_limit_equally_and_the_newcomer_starts_at_its_share() -> None:
    w = limited({"grid_limit_kw": 250})
    sim = Simulation(w)
    for i, at_s in enumerate((0.0, 60.0, 120.0)):
        arrive_at(sim, visit(w, at_s=at_s, driver=i, soc_start=0.1, soc_target=0.9))
    assert limits(sim)[:3] == [83.333, 83.333, 83.333]
    records = sim.run()
    first = next(s for s in records.segments if s.port == sim.ports[2].id)
    assert (first.start_s, first.start_kw) == (120.0, 83.333)  # no leg at 100 kW first


def test_a_car_that_leaves_hands_its_share_to_the_others() -> None:
    w = limited({"grid_limit_kw": 150})
    sim = Simulation(w)
    arrive_at(sim, visit(w, at_s=0.0, soc_start=0.5, soc_target=0.6))  # 6 kWh
    arrive_at(sim, visit(w, at_s=1.0, driver=1, soc_start=0.1, soc_target=0.9))
    assert limits(sim)[:2] == [75.0, 75.0]
    sim.env.run(until=400.0)  # the first car is done: 6 kWh at 100 then 75 kW
    assert sim.ports[0].visit is None
    assert sim.ports[1].limit_kw == 100.0  # its demand, all of it


def test_a_tapering_cars_demand_caps_its_share_and_the_rest_goes_to_the_other() -> None:
    w = limited({"grid_limit_kw": 150}, vehicles=[car("t", "T", TAPER), car("v", "V")])
    sim = Simulation(w)
    arrive_at(sim, visit(w, at_s=0.0, vehicle=0, soc_start=0.6, soc_target=0.9))
    arrive_at(sim, visit(w, at_s=0.0, vehicle=1, driver=1))
    tapering_kw = 100 * peak_fraction(w.vehicles[0].curve, 0.6, 0.9)
    assert tapering_kw == pytest.approx(67.5)
    assert limits(sim)[:2] == [67.5, 82.5]


def test_a_cars_demand_is_the_curves_highest_point_over_the_rest_of_its_charge() -> None:
    w = limited({"grid_limit_kw": 150}, vehicles=[car("t", "T", TAPER, share=1.0)])
    curve = w.vehicles[0].curve
    assert peak_fraction(curve, 0.0, 0.3) == 1.0
    assert peak_fraction(curve, 0.3, 0.7) == pytest.approx(0.9)
    assert peak_fraction(curve, 0.95, 0.99) == pytest.approx(0.3)
    sim = Simulation(w)
    v = visit(w, soc_start=0.5, soc_target=0.9)
    arrive_at(sim, v)
    assert demand_kw(sim.ports[0], v, 0.5) == pytest.approx(80.0)


def test_under_the_priority_policy_partners_charge_first() -> None:
    w = limited(
        {"grid_limit_kw": 150, "grid_policy": "priority"},
        vehicles=[car("m", "Member"), car("o", "Other")],
        network={"members": ["Member"]},
    )
    sim = Simulation(w)
    arrive_at(sim, visit(w, at_s=0.0, vehicle=1))
    arrive_at(sim, visit(w, at_s=1.0, vehicle=0, driver=1))
    assert limits(sim)[:2] == [50.0, 100.0]


def test_a_scheduled_limit_changes_the_shares_at_the_time_of_day() -> None:
    schedule = [{"from": "00:00", "kw": 60}, {"from": "01:00", "kw": 200}]
    w = limited({"grid_limit_schedule": schedule})
    sim = Simulation(w)
    arrive_at(sim, visit(w, at_s=0.0, soc_start=0.0, soc_target=1.0))
    arrive_at(sim, visit(w, at_s=0.0, driver=1, soc_start=0.0, soc_target=1.0))
    assert limits(sim)[:2] == [30.0, 30.0]
    sim.env.run(until=3600.0 + 1)
    assert limits(sim)[:2] == [100.0, 100.0]
    sim.env.run(until=86_400.0 - 1)
    sim.env.run(until=86_400.0 + 1)  # the next day's 00:00 is back at 60 (nobody charges)
    assert sim.sites[0].grid is not None
    assert sim.sites[0].grid.limit_kw == 60.0


@pytest.mark.parametrize(
    "site",
    [
        {"grid_limit_kw": 180},
        {"grid_limit_schedule": [{"from": "00:00", "kw": 120}, {"from": "07:30", "kw": 260}]},
    ],
    ids=["binding", "scheduled"],
)
def test_session_energy_is_the_integral_of_site_power_and_never_above_the_limit(
    site: dict[str, Any],
) -> None:
    data = {
        "name": "busy",
        "simulation": {"days": 1, "seed": 5},
        "networks": [
            {
                "id": "n",
                "sites": [{"id": "s", "ports": FOUR_PORTS, **site}],
                "members": ["Member"],
            }
        ],
        "vehicles": [car("m", "Member", TAPER), car("o", "Other")],
        "drivers": {"patience_min": {"dist": "exponential", "mean": 30}},
        "arrivals": {"kind": "constant", "rate_per_h": 5},
    }
    w = sc.world(sc.parse(data))
    records = Simulation(w).run()
    assert len(records.sessions) > 50
    delivered_kwh = sum(s.energy_kwh for s in records.sessions)
    assert delivered_kwh == pytest.approx(sum(s.energy_kwh for s in records.segments), rel=1e-9)
    assert delivered_kwh == pytest.approx(integral_kwh(records.segments), rel=1e-6)
    grid = w.sites[0].grid
    assert grid is not None
    binding = 0
    for t in sorted({s.start_s for s in records.segments}):
        kw = site_kw_at(records.segments, t)
        limit_kw = grid.kw_at(t % 86_400.0)
        assert kw <= limit_kw + 1e-6, t
        binding += kw > limit_kw - 1.0
    assert binding > 10  # the limit did bind


def test_scenario_grid_keys_are_checked_with_one_line_errors() -> None:
    def refused(site: dict[str, Any]) -> str:
        with pytest.raises(sc.ScenarioError) as e:
            limited(site)
        assert "\n" not in str(e.value)
        return str(e.value)

    assert "not both" in refused(
        {"grid_limit_kw": 100, "grid_limit_schedule": [{"from": "00:00", "kw": 1}]}
    )
    assert '"00:00"' in refused({"grid_limit_schedule": [{"from": "06:00", "kw": 1}]})
    schedule = [{"from": "00:00", "kw": 1}, {"from": "08:00", "kw": 2}, {"from": "07:00", "kw": 3}]
    assert "07:00 does not come after 08:00" in refused({"grid_limit_schedule": schedule})
    assert "from" in refused({"grid_limit_schedule": [{"from": "25:00", "kw": 1}]})
    assert "grid_policy" in refused({"grid_policy": "priority"})
    assert "grid_policy" in refused({"grid_limit_kw": 100, "grid_policy": "fair"})


def test_a_scenario_with_grid_keys_survives_a_dump_and_parse_round_trip() -> None:
    schedule = [{"from": "00:00", "kw": 60}, {"from": "01:00", "kw": 200}]
    plain = sc.parse(limited_data({}))
    assert sc.parse(plain.model_dump()) == plain  # what --warmup-days does
    scenario = sc.parse(limited_data({"grid_limit_schedule": schedule, "grid_policy": "priority"}))
    assert sc.parse(scenario.model_dump()) == scenario
    assert sc.world(scenario).sites[0].grid == GridLimit(((0.0, 60.0), (3600.0, 200.0)), "priority")


def test_a_port_draws_the_lower_of_its_grid_share_and_its_profiles_limit_whichever_came_last() -> (
    None
):
    w = limited({"grid_limit_kw": 150})
    sim = Simulation(w)
    arrive_at(sim, visit(w, at_s=0.0, soc_start=0.1, soc_target=0.9))
    arrive_at(sim, visit(w, at_s=0.0, driver=1, soc_start=0.1, soc_target=0.9))
    assert limits(sim)[:2] == [75.0, 75.0]
    port = sim.ports[0]
    sim.charging.set_limit(port, 11.0)  # a TxProfile below the share holds
    assert (port.grid_kw, port.profile_kw, port.limit_kw) == (75.0, 11.0, 11.0)
    sim.charging.set_limit(port, 90.0)  # one above it leaves the share in force
    assert port.limit_kw == 75.0
    sim.charging.set_limit(port, None)
    assert port.limit_kw == 75.0


def test_a_profile_limit_caps_the_ports_demand_so_the_other_port_gets_the_rest() -> None:
    w = limited({"grid_limit_kw": 150})
    sim = Simulation(w)
    arrive_at(sim, visit(w, at_s=0.0, soc_start=0.1, soc_target=0.9))
    sim.charging.set_limit(sim.ports[1], 30.0)  # a ChargePointMaxProfile on the next port
    arrive_at(sim, visit(w, at_s=60.0, driver=1, soc_start=0.1, soc_target=0.9))
    assert limits(sim)[:2] == [100.0, 30.0]  # 150 kW: 30 to the capped port, 100 the other's cap


class Reporting(ImmediateResolver):
    """A central system that applies the grid policy: it collects the sites' reports; the
    test answers them."""

    grid_policy_in_model = False

    def __init__(self) -> None:
        super().__init__()
        self.reports: list[tuple[ChargePoint, SiteNeeds, Callable[[], None]]] = []

    def site_needs(self, port: ChargePoint, needs: SiteNeeds, then: Callable[[], None]) -> None:
        self.reports.append((port, needs, then))


def test_against_a_central_system_the_site_reports_its_needs_and_a_car_starts_once_answered() -> (
    None
):
    schedule = [{"from": "00:00", "kw": 150}, {"from": "06:00", "kw": 250}]
    w = limited({"grid_limit_schedule": schedule})
    resolver = Reporting()
    sim = Simulation(w, resolver=resolver)
    port = sim.ports[0]
    arrive_at(sim, visit(w, at_s=0.0, driver=0, soc_start=0.1, soc_target=0.9))
    sim.env.run(until=1.0)
    ((sender, needs, then),) = resolver.reports
    assert sender is port  # the site's first port reports for the site
    assert needs == SiteNeeds("s", 0, (SiteNeed(port.id, 1, 100_000, OTHERS),), port.id, 0.0)
    assert not port.charging  # the car waits for the answer
    assert port.grid_kw is None  # the model allocated nothing itself
    sim.charging.set_grid_share(port, 75.0)  # what the central system's TxProfile does
    then()
    assert port.charging
    assert port.visit is not None
    assert port.visit.leg_kw == 75.0
    sim.env.run(until=7 * 3600.0)
    # the charge's end and the schedule's change are reported too, with no car starting
    ended, changed = (n for _, n, _ in resolver.reports[1:])
    assert (ended.period, ended.needs, ended.starting) == (0, (), None)
    assert (changed.period, changed.needs, changed.at_s) == (1, (), 6 * 3600.0)


def test_the_grid_profile_sets_the_ports_grid_share_apart_from_its_other_profiles() -> None:
    w = world()
    observed = ObservedResolver(ImmediateResolver())
    sim = Simulation(w, resolver=observed)
    charging = sim.charging
    smart = SmartCharging(sim.env, charging.set_limit, set_share=charging.set_grid_share)
    observed.smart = smart
    port = PortProfiles(smart, sim.ports[0])
    charge(sim, 0.0, 0.2, 0.3)  # 6 kWh
    sim.env.run(until=60.0)
    port.install(profile(1, (0, 50_000.0), purpose=Purpose.TX, connector=1, kind=Kind.RELATIVE))
    grid = profile(
        GRID_PROFILE_ID, (0, 30_000.0), purpose=Purpose.TX, connector=1, kind=Kind.RELATIVE
    )
    port.install(replace(grid, stack_level=1))  # beside the other TxProfile, not replacing it
    model_port = sim.ports[0]
    # the share is the grid's own: the demand the site reports is capped by the rest only
    assert (model_port.profile_kw, model_port.grid_kw, model_port.limit_kw) == (50.0, 30.0, 30.0)
    sim.env.run(until=10_000.0)
    # both TxProfiles ended with the transaction: no share, no limit left on the port
    assert (model_port.profile_kw, model_port.grid_kw) == (None, None)
    assert_segments(sim, [(0.0, 60.0, 100.0), (60.0, 60.0 + (6 - 100 / 60) / 30 * 3600, 30.0)])


def test_a_reset_while_the_sites_report_is_out_turns_the_starting_driver_away() -> None:
    w = limited({"grid_limit_kw": 150})
    resolver = Reporting()
    sim = Simulation(w, resolver=resolver)
    port = sim.ports[0]
    arrive_at(sim, visit(w, at_s=0.0, driver=0, soc_start=0.1, soc_target=0.9))
    sim.env.run(until=1.0)
    ((_, _, then),) = resolver.reports
    assert sim.reset(port.id, hard=False)
    then()
    assert not port.charging
    records = sim.finish()
    (session,) = records.sessions
    assert session.reason == "reset"
