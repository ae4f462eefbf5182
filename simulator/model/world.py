"""The static network a run happens on, expanded from a validated scenario.

Site templates are repeated, ports numbered, and sites placed around a ring (a corridor) in
round-robin order of their networks, so that a driver's nearest sites mix the networks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from simulator import scenario as sc
from simulator.model.curve import Curve
from simulator.model.distribution import Dist

DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class Port:
    id: str
    index: int
    site: str
    network: str
    power_kw: float
    connectors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Site:
    id: str
    index: int
    network: str
    position: int
    ports: tuple[Port, ...]
    queue_limit: int | None


@dataclass(frozen=True, slots=True)
class Network:
    id: str
    name: str
    members_only: bool
    members: frozenset[str]
    open_from_s: float | None
    price_per_kwh: float
    non_member_price_per_kwh: float
    idle_fee_per_min: float
    idle_grace_min: float
    roaming_fee_per_kwh: float
    roaming_fee_per_session: float
    sites: tuple[str, ...]

    def is_open_to_all(self, at_s: float) -> bool:
        return not self.members_only or (self.open_from_s is not None and at_s >= self.open_from_s)


@dataclass(frozen=True, slots=True)
class VehicleModel:
    id: str
    index: int
    brand: str
    share: float
    battery_kwh: float
    peak_kw: float
    connectors: frozenset[str]
    adapter_share: float
    adapter_connectors: frozenset[str]
    curve: Curve


@dataclass(frozen=True, slots=True)
class Deal:
    brand: str
    network: str
    perk: str
    eligible_share: float
    session_cap_s: float | None
    price_per_kwh: float | None
    allowance_kwh: float | None
    paid_by: str
    settlement: str
    settlement_per_kwh: float
    settlement_per_session: float


@dataclass(frozen=True, slots=True)
class Choice:
    rule: str
    candidates: int | None
    site_spacing_km: float
    price_weight: float
    wait_weight: float
    power_weight: float
    perk_weight: float
    size_weight: float
    detour_weight: float


@dataclass(frozen=True, slots=True)
class Drivers:
    population: int
    arrival_soc: Dist
    target_soc: Dist
    energy_kwh: Dist | None
    idle_min: Dist
    patience_min: Dist | None
    balk_wait_min: float | None
    balk_queue_length: int | None
    free_target_soc: Dist | None
    free_idle_min: Dist | None
    choice: Choice


@dataclass(frozen=True, slots=True)
class Arrivals:
    kind: str
    rate_per_h: float = 0.0  # constant
    hourly_weekday_per_h: tuple[float, ...] = ()  # profile: the rate in each hour of a day
    hourly_weekend_per_h: tuple[float, ...] = ()
    base_per_h: float = 0.0  # sinusoid
    amplitude_per_h: float = 0.0
    period_h: float = 24.0


@dataclass(frozen=True, slots=True)
class Failures:
    mtbf_s: float
    mttr_s: float


@dataclass(frozen=True, slots=True)
class World:
    name: str
    start: datetime
    horizon_s: float
    warmup_s: float
    seed: int
    meter_interval_s: float
    networks: tuple[Network, ...]
    sites: tuple[Site, ...]
    ports: tuple[Port, ...]
    vehicles: tuple[VehicleModel, ...]
    deals: tuple[Deal, ...]
    drivers: Drivers
    arrivals: Arrivals
    failures: Failures | None

    def network(self, network_id: str) -> Network:
        return next(n for n in self.networks if n.id == network_id)


def build(scenario: sc.Scenario, *, days: float | None = None, seed: int | None = None) -> World:
    sim = scenario.simulation
    start = datetime.fromisoformat(sim.start.replace("Z", "+00:00"))
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    sites, ports = _expand_sites(scenario.networks)
    networks = tuple(
        Network(
            id=n.id,
            name=n.name or n.id,
            members_only=n.access == "members_only",
            members=frozenset(n.members),
            open_from_s=None if n.open_from_day is None else n.open_from_day * DAY_S,
            price_per_kwh=n.price_per_kwh,
            non_member_price_per_kwh=(
                n.price_per_kwh
                if n.non_member_price_per_kwh is None
                else n.non_member_price_per_kwh
            ),
            idle_fee_per_min=n.idle_fee_per_min,
            idle_grace_min=n.idle_grace_min,
            roaming_fee_per_kwh=n.roaming_fee_per_kwh,
            roaming_fee_per_session=n.roaming_fee_per_session,
            sites=tuple(s.id for s in sites if s.network == n.id),
        )
        for n in scenario.networks
    )
    d = scenario.drivers
    c = d.choice
    return World(
        name=scenario.name,
        start=start.astimezone(UTC),
        horizon_s=(days if days is not None else sim.days) * DAY_S,
        warmup_s=sim.warmup_days * DAY_S,
        seed=sim.seed if seed is None else seed,
        meter_interval_s=sim.meter_interval_s,
        networks=networks,
        sites=sites,
        ports=ports,
        vehicles=tuple(_vehicle(i, v) for i, v in enumerate(scenario.vehicles)),
        deals=tuple(_deal(x) for x in scenario.deals),
        drivers=Drivers(
            population=d.population,
            arrival_soc=dist(d.arrival_soc),
            target_soc=dist(d.target_soc),
            energy_kwh=None if d.energy_kwh is None else dist(d.energy_kwh),
            idle_min=dist(d.idle_min),
            patience_min=None if d.patience_min is None else dist(d.patience_min),
            balk_wait_min=d.balk_wait_min,
            balk_queue_length=d.balk_queue_length,
            free_target_soc=(
                None if d.free_sessions.target_soc is None else dist(d.free_sessions.target_soc)
            ),
            free_idle_min=(
                None if d.free_sessions.idle_min is None else dist(d.free_sessions.idle_min)
            ),
            choice=Choice(
                rule=c.rule,
                candidates=c.candidates,
                site_spacing_km=c.site_spacing_km,
                price_weight=c.price_weight,
                wait_weight=c.wait_weight,
                power_weight=c.power_weight,
                perk_weight=c.perk_weight,
                size_weight=c.size_weight,
                detour_weight=c.detour_weight,
            ),
        ),
        arrivals=_arrivals(scenario.arrivals),
        failures=(
            None
            if scenario.failures is None
            else Failures(scenario.failures.mtbf_days * DAY_S, scenario.failures.mttr_days * DAY_S)
        ),
    )


def dist(spec: sc.Distribution) -> Dist:
    if isinstance(spec, sc.Fixed):
        return Dist("fixed", spec.value)
    if isinstance(spec, sc.Uniform):
        return Dist("uniform", spec.low, spec.high)
    if isinstance(spec, sc.Exponential):
        return Dist("exponential", spec.mean)
    if isinstance(spec, sc.Normal):
        return Dist("normal", spec.mean, spec.sd, spec.low, spec.high)
    return Dist("lognormal", spec.mean, spec.sd)


def _expand_sites(networks: list[sc.NetworkSpec]) -> tuple[tuple[Site, ...], tuple[Port, ...]]:
    per_network: list[list[tuple[str, sc.SiteSpec, str]]] = []
    for n in networks:
        expanded = []
        for spec in n.sites:
            for k in range(spec.count):
                expanded.append((n.id, spec, spec.id if spec.count == 1 else f"{spec.id}-{k + 1}"))
        per_network.append(expanded)
    # round-robin over networks so neighbours on the corridor belong to different networks
    order = []
    for i in range(max(len(x) for x in per_network)):
        order += [x[i] for x in per_network if i < len(x)]
    sites: list[Site] = []
    ports: list[Port] = []
    for position, (network_id, spec, site_id) in enumerate(order):
        site_ports: list[Port] = []
        for port_spec in spec.ports:
            for _ in range(port_spec.count):
                port = Port(
                    id=f"{site_id}-{len(site_ports) + 1:02d}",
                    index=len(ports),
                    site=site_id,
                    network=network_id,
                    power_kw=port_spec.power_kw,
                    connectors=tuple(port_spec.connectors),
                )
                site_ports.append(port)
                ports.append(port)
        sites.append(
            Site(site_id, position, network_id, position, tuple(site_ports), spec.queue_limit)
        )
    return tuple(sites), tuple(ports)


def _vehicle(index: int, v: sc.VehicleSpec) -> VehicleModel:
    curve = v.curve
    if isinstance(curve, sc.FlatCurve):
        c = Curve.flat()
    elif isinstance(curve, sc.TwoStageCurve):
        c = Curve.two_stage(curve.knee_soc)
    else:
        c = Curve(tuple(curve.soc), tuple(curve.fraction))
    return VehicleModel(
        id=v.id,
        index=index,
        brand=v.brand,
        share=v.share,
        battery_kwh=v.battery_kwh,
        peak_kw=v.peak_kw,
        connectors=frozenset(v.connectors),
        adapter_share=v.adapter_share,
        adapter_connectors=frozenset(v.adapter_connectors),
        curve=c,
    )


def _deal(d: sc.DealSpec) -> Deal:
    return Deal(
        brand=d.brand,
        network=d.network,
        perk=d.perk,
        eligible_share=d.eligible_share,
        session_cap_s=None if d.session_cap_min is None else d.session_cap_min * 60,
        price_per_kwh=d.price_per_kwh,
        allowance_kwh=d.allowance_kwh,
        paid_by=d.paid_by or d.brand,
        settlement=d.settlement,
        settlement_per_kwh=d.settlement_per_kwh,
        settlement_per_session=d.settlement_per_session,
    )


def _arrivals(a: sc.Arrivals) -> Arrivals:
    if isinstance(a, sc.ConstantArrivals):
        return Arrivals("constant", rate_per_h=a.rate_per_h * a.multiplier)
    if isinstance(a, sc.SinusoidArrivals):
        return Arrivals(
            "sinusoid",
            base_per_h=a.base_per_h * a.multiplier,
            amplitude_per_h=a.amplitude_per_h * a.multiplier,
            period_h=a.period_h,
        )
    weekday_total = sum(a.weekday)
    weekend = a.weekend if a.weekend is not None else a.weekday
    weekend_total = sum(weekend)
    per_day = a.sessions_per_day * a.multiplier
    return Arrivals(
        "profile",
        hourly_weekday_per_h=tuple(per_day * w / weekday_total for w in a.weekday),
        hourly_weekend_per_h=tuple(per_day * a.weekend_factor * w / weekend_total for w in weekend),
    )


def ring_distance(a: int, b: int, n: int) -> int:
    d = abs(a - b) % n
    return min(d, n - d)


def low_discrepancy(index: int, salt: float) -> float:
    """A per-driver fraction in [0, 1): whether driver `index` owns an adapter, is enrolled."""
    return math.modf(index * salt + 0.5)[0]
