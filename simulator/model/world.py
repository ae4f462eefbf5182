"""The static network a run happens on, built from a `WorldSpec` of plain frozen dataclasses.

`build` repeats site templates, numbers ports, and places sites around a ring (a corridor) in
round-robin order of their networks, so that a driver's nearest sites mix the networks. The
spec comes from `simulator.scenario.spec` (a validated scenario file); the model never sees
pydantic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from policy.grid import GridPolicy
from simulator.model.curve import Curve
from simulator.model.distribution import Dist

if TYPE_CHECKING:  # attempts imports choice, which imports this module
    from simulator.model.attempts import AttemptRules

DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class Station:
    """Who a port's charge point says it is, and its OCPP configuration to start from (a
    scenario's station template; the physics ignores it)."""

    vendor: str = "chargenet"
    model: str | None = None
    """None: named after the port's power and connectors."""
    firmware_version: str = "chargenet-0.1"
    configuration: tuple[tuple[str, str], ...] = ()
    """(key, value) pairs that replace the charge point's configuration defaults."""


DEFAULT_STATION = Station()


@dataclass(frozen=True, slots=True)
class Port:
    id: str
    index: int
    site: str
    network: str
    power_kw: float
    connectors: tuple[str, ...]
    station: Station = DEFAULT_STATION


@dataclass(frozen=True, slots=True)
class GridLimit:
    """A site's grid connection: the most its ports draw together, by time of day, and how
    they share it (policy.grid)."""

    periods: tuple[tuple[float, float], ...]
    """(from second of the day, kW), in order, the first from 0; each holds until the next,
    every day (the clock of simulation.start)."""
    policy: GridPolicy = "equal"

    def kw_at(self, second_of_day: float) -> float:
        kw = self.periods[0][1]
        for from_s, period_kw in self.periods:
            if from_s > second_of_day:
                break
            kw = period_kw
        return kw


@dataclass(frozen=True, slots=True)
class Site:
    id: str
    index: int
    network: str
    position: int
    ports: tuple[Port, ...]
    queue_limit: int | None
    grid: GridLimit | None = None


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
    attempts: AttemptRules | None = None
    """The network's own failed-attempt rules, in place of the world's."""

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
    adapter_kw: float | None = None
    """The most the car draws through its adapter, on a port none of its own plugs fit."""


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
    min_interval_s: float | None = None
    """The perk's fine print: a driver's next complimentary session needs this long since the
    arrival of their last one; sooner, the session is paid (simulator.model.accounts)."""


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
    attempts: AttemptRules | None = None

    def network(self, network_id: str) -> Network:
        return next(n for n in self.networks if n.id == network_id)


@dataclass(frozen=True, slots=True)
class PortGroup:
    """`count` identical ports of a site."""

    power_kw: float
    connectors: tuple[str, ...]
    count: int = 1
    station: Station = DEFAULT_STATION


@dataclass(frozen=True, slots=True)
class SitePlan:
    """A site, or a template repeated `count` times (ids get a -1, -2, ... suffix)."""

    id: str
    ports: tuple[PortGroup, ...]
    count: int = 1
    queue_limit: int | None = None
    grid: GridLimit | None = None


@dataclass(frozen=True, slots=True)
class NetworkPlan:
    """A network and its site plans; `build` fills in `network.sites` (left empty here)."""

    network: Network
    sites: tuple[SitePlan, ...]


@dataclass(frozen=True, slots=True)
class WorldSpec:
    """Everything a `World` is built from, in the model's own types."""

    name: str
    start: datetime  # aware UTC
    days: float
    warmup_days: float
    seed: int
    meter_interval_s: float
    networks: tuple[NetworkPlan, ...]
    vehicles: tuple[VehicleModel, ...]  # `index` is the position in this tuple
    deals: tuple[Deal, ...]
    drivers: Drivers
    arrivals: Arrivals
    failures: Failures | None
    attempts: AttemptRules | None = None


def build(spec: WorldSpec, *, days: float | None = None, seed: int | None = None) -> World:
    """The world `spec` describes, over `days` (default the spec's) with `seed` (likewise)."""
    sites, ports = _expand_sites(spec.networks)
    networks = tuple(
        replace(plan.network, sites=tuple(s.id for s in sites if s.network == plan.network.id))
        for plan in spec.networks
    )
    return World(
        name=spec.name,
        start=spec.start,
        horizon_s=(days if days is not None else spec.days) * DAY_S,
        warmup_s=spec.warmup_days * DAY_S,
        seed=spec.seed if seed is None else seed,
        meter_interval_s=spec.meter_interval_s,
        networks=networks,
        sites=sites,
        ports=ports,
        vehicles=spec.vehicles,
        deals=spec.deals,
        drivers=spec.drivers,
        arrivals=spec.arrivals,
        failures=spec.failures,
        attempts=spec.attempts,
    )


def _expand_sites(
    networks: tuple[NetworkPlan, ...],
) -> tuple[tuple[Site, ...], tuple[Port, ...]]:
    per_network: list[list[tuple[str, SitePlan, str]]] = []
    for n in networks:
        expanded = []
        for plan in n.sites:
            for k in range(plan.count):
                expanded.append(
                    (n.network.id, plan, plan.id if plan.count == 1 else f"{plan.id}-{k + 1}")
                )
        per_network.append(expanded)
    # round-robin over networks so neighbours on the corridor belong to different networks
    order = []
    for i in range(max(len(x) for x in per_network)):
        order += [x[i] for x in per_network if i < len(x)]
    sites: list[Site] = []
    ports: list[Port] = []
    for position, (network_id, plan, site_id) in enumerate(order):
        site_ports: list[Port] = []
        for group in plan.ports:
            for _ in range(group.count):
                port = Port(
                    id=f"{site_id}-{len(site_ports) + 1:02d}",
                    index=len(ports),
                    site=site_id,
                    network=network_id,
                    power_kw=group.power_kw,
                    connectors=group.connectors,
                    station=group.station,
                )
                site_ports.append(port)
                ports.append(port)
        sites.append(
            Site(
                site_id,
                position,
                network_id,
                position,
                tuple(site_ports),
                plan.queue_limit,
                plan.grid,
            )
        )
    return tuple(sites), tuple(ports)


def ring_distance(a: int, b: int, n: int) -> int:
    d = abs(a - b) % n
    return min(d, n - d)


def low_discrepancy(index: int, salt: float) -> float:
    """A per-driver fraction in [0, 1): whether driver `index` owns an adapter, is enrolled."""
    return math.modf(index * salt + 0.5)[0]
