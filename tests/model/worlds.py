"""Small worlds and hand-made visits for the model's unit tests (virtual time, no wire)."""

from __future__ import annotations

import math
from typing import Any

from simulator import scenario as sc
from simulator.model.requests import AuthReply, AuthStatus, StartReply, StartTransaction
from simulator.model.resolver import Outgoing
from simulator.model.simulation import Simulation
from simulator.model.visit import Visit
from simulator.model.world import World

QUIET_PER_H = 1e-9  # an arrival rate at which nobody arrives: the test brings the visits


def world(
    *,
    ports: list[dict[str, Any]] | None = None,
    sites: int = 1,
    rate_per_h: float = QUIET_PER_H,
    days: float = 1.0,
    drivers: dict[str, Any] | None = None,
    network: dict[str, Any] | None = None,
    vehicles: list[dict[str, Any]] | None = None,
    deals: list[dict[str, Any]] | None = None,
    failures: dict[str, float] | None = None,
    attempts: dict[str, Any] | None = None,
    queue_limit: int | None = None,
    seed: int = 1,
) -> World:
    """One network of `sites` identical sites (default: one 100 kW CCS1 port each) and one
    60 kWh CCS1 car with a flat curve."""
    site: dict[str, Any] = {
        "id": "s",
        "count": sites,
        "ports": ports or [{"power_kw": 100, "connectors": ["CCS1"]}],
    }
    if queue_limit is not None:
        site["queue_limit"] = queue_limit
    data: dict[str, Any] = {
        "name": "unit",
        "simulation": {"days": days, "seed": seed},
        "networks": [{"id": "n", "price_per_kwh": 0.5, "sites": [site], **(network or {})}],
        "vehicles": vehicles
        or [
            {
                "id": "v",
                "brand": "V",
                "share": 1.0,
                "battery_kwh": 60,
                "peak_kw": 100,
                "connectors": ["CCS1"],
                "curve": {"kind": "flat"},
            }
        ],
        "drivers": drivers or {},
        "arrivals": {"kind": "constant", "rate_per_h": rate_per_h},
    }
    if deals is not None:
        data["deals"] = deals
    if failures is not None:
        data["failures"] = failures
    if attempts is not None:
        data["attempts"] = attempts
    return sc.world(sc.parse(data))


def visit(
    w: World,
    *,
    at_s: float = 0.0,
    vehicle: int = 0,
    driver: int = 0,
    soc_start: float = 0.2,
    soc_target: float = 0.8,
    idle_s: float = 0.0,
    patience_s: float = math.inf,
    location: float = 0.0,
    u_choice: float = 0.5,
) -> Visit:
    """A visit as the arrivals would draw it, with the values given."""
    v = Visit()
    model = w.vehicles[vehicle]
    v.arrival_s = at_s
    v.vehicle = model
    v.driver = driver
    v.key = (model.index, False)
    v.connectors = model.connectors
    v.soc_start = v.soc_now = soc_start
    v.soc_target = soc_target
    v.idle_s = idle_s
    v.patience_s = patience_s
    v.location = location
    v.u_choice = u_choice
    v.free_behaviour = (None, None)
    return v


def arrive_at(sim: Simulation, v: Visit) -> None:
    """Bring the visit to the model at its arrival instant."""
    if v.arrival_s > sim.env.now:
        sim.env.run(until=v.arrival_s)
    assert sim.env.now == v.arrival_s, "visits arrive in time order"
    sim.visits.arrive(v)


class AcceptEveryTag:
    """A central system that answers in the batch's instant, in issue order, every tag
    accepted: what the built-in one does with --accept-unknown-tags."""

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []
        self.transactions = 0

    def __call__(self, batch: list[Outgoing]) -> None:
        for out in batch:
            self.sent.append(out)
            if out.reply is None:
                continue
            if isinstance(out.request, StartTransaction):
                self.transactions += 1
                out.reply.succeed(StartReply(AuthStatus.ACCEPTED, self.transactions))
            else:
                out.reply.succeed(AuthReply(AuthStatus.ACCEPTED))
