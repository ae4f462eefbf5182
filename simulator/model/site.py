"""A site while the run goes on: its ports, the free ones, its queue and what drivers have
seen of its sessions."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from simulator.model.port import ChargePoint

if TYPE_CHECKING:
    from simulator.model import world
    from simulator.model.grid import SiteGrid
    from simulator.model.visit import Visit

__all__ = ["PRIOR_OCCUPANCY_S", "Site"]

PRIOR_OCCUPANCY_S = 1800.0  # what drivers assume of a site's sessions before seeing any


class Site:
    """One site's state; its static facts copied from the world's `Site`."""

    __slots__ = (
        "free",
        "grid",
        "id",
        "index",
        "network",
        "occupancy_n",
        "occupancy_total_s",
        "on_site",
        "ports",
        "position",
        "queue",
        "queue_limit",
    )

    def __init__(self, site: world.Site) -> None:
        self.id = site.id
        self.index = site.index
        self.network = site.network
        self.position = site.position
        self.queue_limit = site.queue_limit
        self.ports = [ChargePoint(p, self) for p in site.ports]
        self.free: list[ChargePoint] = list(self.ports)
        """Ports with no visit, in service and not rebooting: the ones a car may take."""
        self.queue: deque[Visit] = deque()
        self.on_site = 0
        """Visits at the site: waiting, or on a port."""
        self.occupancy_total_s = PRIOR_OCCUPANCY_S
        self.occupancy_n = 1
        self.grid: SiteGrid | None = None
        """The site's grid limit, when the model applies it (Simulation wires it)."""

    @property
    def mean_occupancy_s(self) -> float:
        """How long a port has been taken per visit so far (with one prior visit)."""
        return self.occupancy_total_s / self.occupancy_n

    def left(self, on_port_s: float) -> None:
        """A visit that had a port leaves the site after `on_port_s` on it."""
        self.on_site -= 1
        self.occupancy_total_s += on_port_s
        self.occupancy_n += 1
