"""Where a driver goes, and whether they stay: pure functions of the visit and what the
driver can see (sites, their free ports, queues and past occupancy).

Nothing here changes state or needs SimPy: `Corridor` is computed once from the world, and
the functions only read the `Site`, `ChargePoint` and `Visit` objects they are given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from simulator.model import partnership
from simulator.model.world import Network, VehicleModel, World, ring_distance

if TYPE_CHECKING:
    from simulator.model.port import ChargePoint
    from simulator.model.site import Site
    from simulator.model.visit import Visit

__all__ = [
    "Corridor",
    "Option",
    "TermsOf",
    "balks",
    "choose",
    "free_port",
    "predicted_wait_s",
    "usable_kw",
]

Option = tuple["Site", int, float]
"""(site, ports the car fits, best usable kW)."""

Key = tuple[int, bool]


class TermsOf(Protocol):
    """What the choice reads of the drivers' accounts (simulator.model.accounts.Accounts)."""

    def terms(self, visit: Visit, network_id: str) -> partnership.Terms: ...

    def allowance_left(self, visit: Visit, t: partnership.Terms) -> float: ...


def site_options(vehicle: VehicleModel, adapter: bool, sites: Sequence[Site]) -> list[Option]:
    """Every site this car can plug into, in corridor order."""
    plugs = vehicle.connectors | (vehicle.adapter_connectors if adapter else frozenset())
    out = []
    for site in sites:
        compatible = [p for p in site.ports if plugs & set(p.connectors)]
        if compatible:
            best = max(usable_kw(vehicle, p.power_kw, p.connectors) for p in compatible)
            out.append((site, len(compatible), best))
    return out


def usable_kw(vehicle: VehicleModel, power_kw: float, connectors: Sequence[str]) -> float:
    """The most the car draws on a port: its peak, the rating, and on a port it reaches
    only through its adapter the adapter's cap (vehicles' adapter_kw)."""
    kw = min(power_kw, vehicle.peak_kw)
    cap = vehicle.adapter_kw
    if cap is not None and vehicle.connectors.isdisjoint(connectors):
        kw = min(kw, cap)
    return kw


class Corridor:
    """The sites as every kind of car sees them, precomputed: read-only once built."""

    __slots__ = (
        "choice",
        "drivers",
        "n_sites",
        "nearest",
        "networks",
        "option_at",
        "options",
        "ring",
        "usable_plugs",
        "usable_ports",
    )

    def __init__(self, world: World, sites: Sequence[Site]) -> None:
        self.drivers = world.drivers
        self.choice = world.drivers.choice
        self.networks: dict[str, Network] = {n.id: n for n in world.networks}
        self.options: dict[Key, list[Option]] = {
            (v.index, adapter): site_options(v, adapter, sites)
            for v in world.vehicles
            for adapter in (False, True)
        }
        self.usable_ports: dict[tuple[Key, int], int] = {}
        self.usable_plugs: dict[tuple[Key, int], frozenset[str]] = {}
        for key, options in self.options.items():
            vehicle = world.vehicles[key[0]]
            plugs = vehicle.connectors | (vehicle.adapter_connectors if key[1] else frozenset())
            for site, n_ports, _ in options:
                fits = [p for p in site.ports if not plugs.isdisjoint(p.connectors)]
                self.usable_ports[(key, site.index)] = n_ports
                self.usable_plugs[(key, site.index)] = frozenset(
                    c for p in fits for c in p.connectors
                )
        self.option_at = {
            key: {option[0].position: option for option in options}
            for key, options in self.options.items()
        }
        # from each position, the sites nearest first (ties by position)
        n = self.n_sites = len(sites)
        self.ring = [[ring_distance(i, here, n) for i in range(n)] for here in range(n)]
        self.nearest = [
            sorted(range(n), key=lambda i: (ring_distance(i, here, n), i)) for here in range(n)
        ]


def choose(
    corridor: Corridor, accounts: TermsOf, visit: Visit, now: float
) -> tuple[Site, partnership.Terms] | None:
    """The site the driver heads for and the terms there; None when no site will have them.

    Among the nearest `candidates` sites they may use: the first (rule "first"), or a logit
    pick on price, predicted wait, power, perks, size and detour, by the visit's own uniform.
    """
    options = corridor.options[visit.key]
    networks = corridor.networks
    if len(options) == 1:
        site = options[0][0]
        t = accounts.terms(visit, site.network)
        return (site, t) if partnership.may_use(networks[site.network], t, now) else None
    choice = corridor.choice
    here = int(visit.location * corridor.n_sites)
    allowed = []
    # the sites along the corridor, nearest first; at most `candidates` of them
    at = corridor.option_at[visit.key]
    considered = [at[i] for i in corridor.nearest[here] if i in at]
    limit = choice.candidates or len(considered)
    for site, n_ports, best_kw in considered:
        network_id = site.network
        t = accounts.terms(visit, network_id)
        if partnership.may_use(networks[network_id], t, now):
            allowed.append((site, n_ports, best_kw, t))
            if len(allowed) == limit:
                break
    if not allowed:
        return None
    if choice.rule == "first" or len(allowed) == 1:
        site, _, _, t = allowed[0]
        return site, t
    demand_kwh = max(0.0, visit.soc_target - visit.soc_start) * visit.vehicle.battery_kwh
    ring = corridor.ring[here]
    utilities = []
    for site, n_ports, best_kw, t in allowed:
        cost = partnership.expected_cost(
            networks[site.network], t, accounts.allowance_left(visit, t), demand_kwh
        )
        detour_km = ring[site.position] * choice.site_spacing_km
        u = (
            choice.price_weight * cost
            + choice.wait_weight * predicted_wait_s(corridor, site, visit) / 60.0
            + choice.power_weight * best_kw
            + choice.perk_weight * (1.0 if t.perk else 0.0)
            + choice.size_weight * math.log(n_ports)
            + choice.detour_weight * detour_km
        )
        utilities.append(u)
    top = max(utilities)
    weights = [math.exp(u - top) for u in utilities]
    pick = visit.u_choice * sum(weights)
    for (site, _, _, t), w in zip(allowed, weights, strict=True):
        pick -= w
        if pick <= 0:
            return site, t
    site, _, _, t = allowed[-1]
    return site, t


def balks(corridor: Corridor, site: Site, visit: Visit) -> bool:
    """The driver finds no free port and will not join this queue."""
    drivers = corridor.drivers
    if drivers.balk_queue_length is not None and len(site.queue) >= drivers.balk_queue_length:
        return True
    return (
        drivers.balk_wait_min is not None
        and predicted_wait_s(corridor, site, visit) > drivers.balk_wait_min * 60.0
    )


def predicted_wait_s(corridor: Corridor, site: Site, visit: Visit) -> float:
    """What a driver expects to wait: the cars ahead that compete for the same ports,
    served by those ports at the site's mean occupancy so far."""
    if free_port(site, visit) is not None:
        return 0.0
    key = (visit.key, site.index)
    usable = corridor.usable_plugs[key]
    ahead = sum(1 for c in site.queue if not c.connectors.isdisjoint(usable))
    mean_occupancy_s = site.occupancy_total_s / site.occupancy_n
    return (ahead + 1) * mean_occupancy_s / corridor.usable_ports[key]


def free_port(site: Site, visit: Visit) -> ChargePoint | None:
    """The free port the car fits where it draws the most (usable_kw); among equals the one
    with the fewest other connectors, so that a CCS car leaves the CCS/CHAdeMO dispenser to a
    Leaf."""
    best = None
    best_rank = (-1.0, 0)
    vehicle = visit.vehicle
    peak = vehicle.peak_kw
    capped = vehicle.adapter_kw is not None
    for p in site.free:
        if visit.connectors.isdisjoint(p.connectors):
            continue
        kw = usable_kw(vehicle, p.power_kw, p.connectors) if capped else min(p.power_kw, peak)
        rank = (kw, -len(p.connectors))
        if rank > best_rank:
            best, best_rank = p, rank
    return best
