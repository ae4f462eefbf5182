"""A visit: one driver and their car from arrival to departure, and what happens between
arriving at the chosen site and getting a port (queue limit, balking, queueing, reneging)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from simulator.model import choice, id_tags
from simulator.model.choice import balks, choose, free_port
from simulator.model.events import Timer
from simulator.model.partnership import is_free
from simulator.model.records import Outcome

if TYPE_CHECKING:
    import simpy

    from simulator.model import partnership
    from simulator.model.accounts import Accounts
    from simulator.model.curve import Profile
    from simulator.model.port import ChargePoint
    from simulator.model.recorder import Recorder
    from simulator.model.site import Site
    from simulator.model.world import VehicleModel

__all__ = ["Visit", "Visits"]

NO_TAG = ""


class Visit:
    """What the model knows of a driver during one visit. Slotted: one per arrival."""

    arrival_s: float
    connectors: frozenset[str]
    """The plugs the car can use (its own, and an adapter's if the driver owns one)."""
    driver: int
    """The driver's number among the vehicle model's drivers (-1: an app-started session)."""
    free_behaviour: tuple[float | None, float | None]
    """(target SoC, idle minutes) under a free session, settled once the site is known."""
    idle_s: float
    key: tuple[int, bool]
    """(vehicle index, owns an adapter): what decides where the car fits."""
    location: float
    patience_s: float
    soc_now: float
    soc_start: float
    soc_target: float
    u_choice: float
    vehicle: VehicleModel

    __slots__ = (
        "adapter_kw",
        "arrival_s",
        "charge_timer",
        "connector",
        "connectors",
        "done",
        "driver",
        "energy_kwh",
        "free",
        "free_behaviour",
        "idle_s",
        "key",
        "leg_kw",
        "leg_soc",
        "leg_start_s",
        "location",
        "patience_s",
        "port",
        "port_id",
        "profile",
        "site",
        "soc_now",
        "soc_start",
        "soc_target",
        "tag",
        "target_soc",
        "terms",
        "tries",
        "u_choice",
        "vehicle",
        "wait_s",
    )

    def __init__(self) -> None:
        self.tag = NO_TAG
        self.site: Site | None = None
        self.terms: partnership.Terms | None = None
        self.port: ChargePoint | None = None
        self.port_id = ""
        self.free = False
        self.done = False
        self.connector = 1
        self.profile: Profile | None = None
        """Set when charging starts: until then the visit waits to be authorized."""
        self.charge_timer: Timer | None = None
        # The charge's current leg: a stretch at one power limit (see Charging.set_limit).
        self.leg_start_s = 0.0
        self.leg_soc = 0.0
        """The SoC at the leg's start."""
        self.leg_kw = 0.0
        """The limit the leg's profile was built with: min(port rating, port limit, adapter)."""
        self.adapter_kw = 0.0
        """The cap of the adapter the car plugged in with (0: none), set at plug-in."""
        self.target_soc = 0.0
        """Where the charge ends unless stopped: min(soc_target, the curve's max_soc)."""
        self.energy_kwh = 0.0
        self.wait_s = 0.0
        self.tries = 0
        """Tries on a port so far (failed attempts: simulator.model.attempts)."""

    @property
    def id_tag(self) -> str:
        """The driver's RFID tag (OCPP idTag, at most 20 characters), encoded on first use."""
        tag = self.tag
        if not tag:
            tag = self.tag = id_tags.encode(self.vehicle.index, self.driver)
        return tag


class Visits:
    """Where each visit goes and whether it gets a port; wired to the sessions by `plug_in`
    (take a free port and plug in)."""

    __slots__ = ("accounts", "corridor", "env", "plug_in", "present", "recorder")

    def __init__(
        self,
        env: simpy.Environment,
        corridor: choice.Corridor,
        accounts: Accounts,
        recorder: Recorder,
        present: dict[int, Visit],
        plug_in: Callable[[ChargePoint, Visit], None],
    ) -> None:
        self.env = env
        self.corridor = corridor
        self.accounts = accounts
        self.recorder = recorder
        self.present = present
        self.plug_in = plug_in

    def arrive(self, visit: Visit) -> None:
        """A driver sets out: choose a site, then plug in, queue, or be turned away."""
        corridor = self.corridor
        chosen = choose(corridor, self.accounts, visit, self.env.now)
        if chosen is None:
            self.recorder.turned_away(visit, "no_access")
            return
        site, t = chosen
        visit.site = site
        visit.terms = t
        free_target, free_idle_min = visit.free_behaviour
        visit.free = is_free(t, self.accounts.allowance_left(visit, t))
        if visit.free:
            if free_target is not None and corridor.drivers.energy_kwh is None:
                visit.soc_target = max(free_target, visit.soc_start)
            if free_idle_min is not None:
                visit.idle_s = free_idle_min * 60.0
        limit = site.queue_limit
        if limit is not None and site.on_site >= limit:
            self.recorder.turned_away(visit, "queue_full")
            return
        port = free_port(site, visit)
        if port is None and balks(corridor, site, visit):
            self.recorder.turned_away(visit, "balked")
            return
        site.on_site += 1
        self.present[id(visit)] = visit
        if port is None:
            site.queue.append(visit)
            if visit.patience_s < math.inf:
                Timer(self.env, visit.patience_s, lambda _: self._renege(visit))
        else:
            self.plug_in(port, visit)

    def _renege(self, visit: Visit) -> None:
        if visit.port is not None or visit.done:
            return
        site = visit.site
        assert site is not None
        site.queue.remove(visit)
        site.on_site -= 1
        del self.present[id(visit)]
        now = self.env.now
        self.recorder.session(
            visit, Outcome.GAVE_UP, "reneged", wait_s=now - visit.arrival_s, depart_s=now
        )
        visit.done = True
