"""The engine: drivers arrive, choose a site, queue, charge along their curve, pay and leave.

Everything happens in SimPy virtual time with no I/O. Each port is a model charge point that
asks the central system through protocol-neutral requests (simulator.model.requests) and
yields an event that the runtime resolves with the reply.

- The fast engine (no `on_flush`) answers at once: the event it returns is already processed,
  so the process goes on without a scheduling round, and notifications nobody carries are
  dropped.
- The OCPP engine passes `on_flush`: requests made during one instant collect in an outbox;
  a flush event at the lowest priority fires once every other event of that instant has run
  and hands the batch to the driver, which sends it and resolves the replies in issue order.

Both give the same physics: a reply arrives at the same virtual instant either way, every
decision (port assignment, queueing, choice) happens synchronously when its cause occurs, and
random numbers are drawn only at arrivals and failures, from streams of their own.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, cast

import simpy
from simpy.events import Event

from simulator.model import id_tags, partnership
from simulator.model.arrivals import arrival_times
from simulator.model.curve import Profile, profile
from simulator.model.distribution import sampler_or_none
from simulator.model.records import (
    Outcome,
    PortInterval,
    PortState,
    PowerSegment,
    Records,
    SessionRecord,
)
from simulator.model.requests import (
    Authorize,
    AuthReply,
    AuthStatus,
    MeterSample,
    PortStatus,
    Request,
    StartReply,
    StartTransaction,
    StatusChange,
    StopReason,
    StopTransaction,
)
from simulator.model.streams import Streams
from simulator.model.world import Port, Site, VehicleModel, World, low_discrepancy, ring_distance

# SimPy sorts events by (time, priority, id); URGENT is 0 and NORMAL 1. The flush runs after
# every other event due at the same instant.
FLUSH_PRIORITY = 2
PRIOR_OCCUPANCY_S = 1800.0  # what drivers assume of a site's sessions before seeing any
NOMINAL_VOLTAGE_V = 400.0
ADAPTER_SALT = 0.6180339887498949
ENROLMENT_SALT = 0.7548776662466927


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A request on its way to the central system; `reply` is None for notifications."""

    port: int
    request: Request
    reply: Event | None


class Car:
    """A driver and their car during one visit (mutable, short-lived)."""

    arrival_s: float
    connectors: frozenset[str]
    driver: int
    free_behaviour: tuple[float | None, float | None]
    idle_s: float
    key: tuple[int, bool]
    location: float
    patience_s: float
    soc_now: float
    soc_start: float
    soc_target: float
    u_choice: float
    vehicle: VehicleModel

    __slots__ = (
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
        "terms",
        "u_choice",
        "vehicle",
        "wait_s",
    )

    def __init__(self) -> None:
        self.tag = ""
        self.site: SiteRuntime | None = None
        self.terms: partnership.Terms | None = None
        self.port: PortRuntime | None = None
        self.port_id = ""
        self.free = False
        self.done = False
        self.connector = 1
        self.profile: Profile | None = None
        self.charge_timer: Event | None = None
        self.energy_kwh = 0.0
        self.wait_s = 0.0

    @property
    def id_tag(self) -> str:
        """The driver's RFID tag (OCPP idTag, at most 20 characters)."""
        return self.tag or id_tags.encode(self.vehicle.index, self.driver)


class PortRuntime:
    __slots__ = (
        "car",
        "charge_start_s",
        "charging",
        "connector_ids",
        "down",
        "down_status",
        "meter_wh",
        "port",
        "profile_cache",
        "rebooting",
        "reset_reason",
        "site",
        "state",
        "state_since_s",
        "stop_on_start",
        "transaction",
        "unavailable_after_car",
        "voided",
    )

    def __init__(self, port: Port, site: SiteRuntime) -> None:
        self.port = port
        self.site = site
        self.car: Car | None = None
        self.charging = False
        self.down = False
        self.down_status = PortStatus.FAULTED
        self.unavailable_after_car = False
        self.rebooting = False  # after a Reset, until the charge point has booted again
        self.reset_reason = StopReason.SOFT_RESET
        self.voided: Car | None = None  # a car whose authorization a Reset cut short
        self.stop_on_start = False  # a remote stop came while the start was being answered
        self.state = PortState.AVAILABLE
        self.state_since_s = 0.0
        self.meter_wh = 0.0
        self.charge_start_s = 0.0
        self.transaction = 0
        self.connector_ids = {c: i + 1 for i, c in enumerate(port.connectors)}


class SiteRuntime:
    __slots__ = ("free", "occupancy_n", "occupancy_total_s", "on_site", "ports", "queue", "site")

    def __init__(self, site: Site) -> None:
        self.site = site
        self.ports: list[PortRuntime] = []
        self.free: list[PortRuntime] = []
        self.queue: deque[Car] = deque()
        self.on_site = 0
        self.occupancy_total_s = PRIOR_OCCUPANCY_S
        self.occupancy_n = 1


class Simulation:
    """One run of a world. Drive it with `run()` (fast) or step its `env` (OCPP driver)."""

    def __init__(
        self,
        world: World,
        *,
        on_flush: Callable[[list[Outgoing]], None] | None = None,
        meter_interval_s: float | None = None,
    ) -> None:
        self.world = world
        self.env = simpy.Environment()
        self.streams = Streams(world.seed)
        self.meter_interval_s = meter_interval_s
        self.on_flush = on_flush
        self._sync = on_flush is None
        self.outbox: list[Outgoing] = []
        self.sessions: list[SessionRecord] = []
        self.intervals: list[PortInterval] = []
        self.segments: list[PowerSegment] = []
        self.allowance_used_kwh: dict[tuple[int, int, str], float] = {}
        self.sites = [SiteRuntime(s) for s in world.sites]
        self.ports: list[PortRuntime] = []
        for runtime in self.sites:
            for port in runtime.site.ports:
                p = PortRuntime(port, runtime)
                runtime.ports.append(p)
                runtime.free.append(p)
                self.ports.append(p)
        self.port_by_id = {p.port.id: p for p in self.ports}
        self.networks = {n.id: n for n in world.networks}
        self._options = {
            (v.index, adapter): self._site_options(v, adapter)
            for v in world.vehicles
            for adapter in (False, True)
        }
        self._usable_ports: dict[tuple[tuple[int, bool], int], int] = {}
        self._usable_plugs: dict[tuple[tuple[int, bool], int], frozenset[str]] = {}
        for key, options in self._options.items():
            vehicle = world.vehicles[key[0]]
            plugs = vehicle.connectors | (vehicle.adapter_connectors if key[1] else frozenset())
            for site, n_ports, _ in options:
                fits = [p for p in site.site.ports if not plugs.isdisjoint(p.connectors)]
                self._usable_ports[(key, site.site.index)] = n_ports
                self._usable_plugs[(key, site.site.index)] = frozenset(
                    c for p in fits for c in p.connectors
                )
        self._option_at = {
            key: {option[0].site.position: option for option in options}
            for key, options in self._options.items()
        }
        self._terms: dict[tuple[str, str, bool], partnership.Terms] = {}
        self._deals = {(d.brand, d.network): d for d in world.deals}
        self._plain_terms = {
            (v.brand, n.id): partnership.terms(n, v.brand, None)
            for v in world.vehicles
            for n in world.networks
        }
        # the corridor: from each position, the sites nearest first (ties by position)
        n_sites = len(self.sites)
        self._ring = [
            [ring_distance(i, here, n_sites) for i in range(n_sites)] for here in range(n_sites)
        ]
        self._nearest = [
            sorted(range(n_sites), key=lambda i: (ring_distance(i, here, n_sites), i))
            for here in range(n_sites)
        ]
        self._profiles: dict[tuple[int, int], Profile] = {}
        self._connectors: dict[tuple[tuple[int, bool], int], int] = {}
        self._vehicle_cdf = _cumulative([v.share for v in world.vehicles])
        self._next_transaction = 0
        self._active: dict[int, Car] = {}  # cars on site by id(car), for the end of the run
        self._finished = False
        self._start_arrivals()
        if world.failures is not None:
            for p in self.ports:
                self.env.process(self._failures(p))

    # --- running ------------------------------------------------------------------------

    def run(self) -> Records:
        self.env.run(until=self.world.horizon_s)
        return self.finish()

    def finish(self) -> Records:
        """Close the books at the horizon: cars still on site, open intervals."""
        if not self._finished:
            self._finished = True
            now = self.world.horizon_s
            for car in list(self._active.values()):
                self._record_on_site(car, now)
            for p in self.ports:
                self._close_interval(p, now)
        return Records(
            horizon_s=self.world.horizon_s,
            warmup_s=self.world.warmup_s,
            sessions=tuple(sorted(self.sessions, key=lambda r: r.arrival_s)),
            intervals=tuple(self.intervals),
            segments=tuple(self.segments),
        )

    # --- the seam -----------------------------------------------------------------------

    def _send(self, port: PortRuntime, request: Request, wait: bool) -> Event | None:
        reply = Event(self.env) if wait else None
        if not self.outbox:
            flush = Event(self.env)
            flush._ok = True
            flush._value = None
            _then(flush, self._flush)
            self.env.schedule(flush, cast(Any, FLUSH_PRIORITY))
        self.outbox.append(Outgoing(port.port.index, request, reply))
        return reply

    def _flush(self, _: Event) -> None:
        batch, self.outbox = self.outbox, []
        assert self.on_flush is not None
        self.on_flush(batch)

    def _status(self, port: PortRuntime, status: PortStatus, connector_id: int = 0) -> None:
        if self._sync:
            return
        self._send(port, StatusChange(status, connector_id, self.env.now), wait=False)

    # --- arrivals and choice ------------------------------------------------------------

    def _start_arrivals(self) -> None:
        """Arrivals as a chain of timeouts, each drawing one driver and visit."""
        world = self.world
        drivers = world.drivers
        s = self.streams
        times = arrival_times(world.arrivals, s["arrivals"], world.start.weekday())
        r_vehicle, r_driver, r_soc, r_energy = s["vehicle"], s["driver"], s["soc"], s["energy"]
        r_idle, r_patience, r_choice = s["idle"], s["patience"], s["choice"]
        vehicles = world.vehicles
        env = self.env
        cdf = self._vehicle_cdf
        # the region's drivers split by model share: every driver visits about as often
        populations = [max(1, round(drivers.population * v.share)) for v in vehicles]
        draw_soc = drivers.arrival_soc.sampler()
        draw_target = drivers.target_soc.sampler()
        draw_free_target = sampler_or_none(drivers.free_target_soc)
        draw_energy = sampler_or_none(drivers.energy_kwh)
        draw_idle = drivers.idle_min.sampler()
        draw_free_idle = sampler_or_none(drivers.free_idle_min)
        draw_patience = sampler_or_none(drivers.patience_min)
        plugs: dict[tuple[int, bool], frozenset[str]] = {}
        horizon_s = world.horizon_s

        def schedule_next() -> None:
            t = next(times)
            if t < horizon_s:
                callbacks = env.timeout(t - env.now).callbacks
                assert callbacks is not None
                callbacks.append(arrive)

        def arrive(_: Event) -> None:
            t = env.now
            car = Car()
            car.arrival_s = t
            vehicle = vehicles[bisect.bisect_right(cdf, r_vehicle.random())]
            car.vehicle = vehicle
            driver = car.driver = int(r_driver.random() * populations[vehicle.index])
            share = vehicle.adapter_share
            key = car.key = (
                vehicle.index,
                share > 0 and low_discrepancy(driver, ADAPTER_SALT) < share,
            )
            connectors = plugs.get(key)
            if connectors is None:
                connectors = vehicle.connectors | (vehicle.adapter_connectors if key[1] else set())
                plugs[key] = connectors
            car.connectors = connectors
            # Fixed draws per purpose and arrival keep common random numbers aligned.
            soc_start = car.soc_start = draw_soc(r_soc)
            target = draw_target(r_soc)
            free_target = draw_free_target(r_soc)
            energy = draw_energy(r_energy)
            idle_min = draw_idle(r_idle)
            free_idle_min = draw_free_idle(r_idle)
            patience = draw_patience(r_patience)
            car.location = r_choice.random()
            car.u_choice = r_choice.random()
            if energy is not None:
                car.soc_target = soc_start + energy / vehicle.battery_kwh
            else:
                car.soc_target = target if target > soc_start else soc_start
            car.idle_s = idle_min * 60.0
            car.patience_s = math.inf if patience is None else patience * 60.0
            # the behaviour under a free session is settled once the site is known
            car.free_behaviour = (free_target, free_idle_min)
            self._visit(car)
            schedule_next()

        schedule_next()

    def _site_options(
        self, vehicle: VehicleModel, adapter: bool
    ) -> list[tuple[SiteRuntime, int, float]]:
        """(site, compatible ports, best usable kW) for every site this car can plug into."""
        plugs = vehicle.connectors | (vehicle.adapter_connectors if adapter else frozenset())
        out = []
        for site in self.sites:
            compatible = [p for p in site.site.ports if plugs & set(p.connectors)]
            if compatible:
                best = max(min(p.power_kw, vehicle.peak_kw) for p in compatible)
                out.append((site, len(compatible), best))
        return out

    def _terms_for(self, car: Car, network_id: str) -> partnership.Terms:
        brand = car.vehicle.brand
        deal = self._deals.get((brand, network_id))
        if deal is None:
            return self._plain_terms[(brand, network_id)]
        enrolled = low_discrepancy(car.driver, ENROLMENT_SALT) < deal.eligible_share
        key = (brand, network_id, enrolled)
        t = self._terms.get(key)
        if t is None:
            t = partnership.terms(self.networks[network_id], brand, deal if enrolled else None)
            self._terms[key] = t
        return t

    def _allowance_left(self, car: Car, t: partnership.Terms) -> float:
        deal = t.deal
        if deal is None or deal.allowance_kwh is None:
            return 0.0
        used = self.allowance_used_kwh.get((car.vehicle.index, car.driver, deal.network), 0.0)
        return max(0.0, deal.allowance_kwh - used)

    def _choose(self, car: Car) -> tuple[SiteRuntime, partnership.Terms] | None:
        options = self._options[car.key]
        now = self.env.now
        if len(options) == 1:
            site = options[0][0]
            t = self._terms_for(car, site.site.network)
            return (
                (site, t) if partnership.may_use(self.networks[site.site.network], t, now) else None
            )
        choice = self.world.drivers.choice
        here = int(car.location * len(self.sites))
        networks = self.networks
        allowed = []
        # the sites along the corridor, nearest first; at most `candidates` of them
        at = self._option_at[car.key]
        considered = [at[i] for i in self._nearest[here] if i in at]
        limit = choice.candidates or len(considered)
        for site, n_ports, best_kw in considered:
            network_id = site.site.network
            t = self._terms_for(car, network_id)
            if partnership.may_use(networks[network_id], t, now):
                allowed.append((site, n_ports, best_kw, t))
                if len(allowed) == limit:
                    break
        if not allowed:
            return None
        if choice.rule == "first" or len(allowed) == 1:
            site, _, _, t = allowed[0]
            return site, t
        demand_kwh = max(0.0, car.soc_target - car.soc_start) * car.vehicle.battery_kwh
        ring = self._ring[here]
        utilities = []
        for site, n_ports, best_kw, t in allowed:
            cost = partnership.expected_cost(
                networks[site.site.network], t, self._allowance_left(car, t), demand_kwh
            )
            detour_km = ring[site.site.position] * choice.site_spacing_km
            u = (
                choice.price_weight * cost
                + choice.wait_weight * self._predicted_wait_s(site, car) / 60.0
                + choice.power_weight * best_kw
                + choice.perk_weight * (1.0 if t.perk else 0.0)
                + choice.size_weight * math.log(n_ports)
                + choice.detour_weight * detour_km
            )
            utilities.append(u)
        top = max(utilities)
        weights = [math.exp(u - top) for u in utilities]
        pick = car.u_choice * sum(weights)
        for (site, _, _, t), w in zip(allowed, weights, strict=True):
            pick -= w
            if pick <= 0:
                return site, t
        site, _, _, t = allowed[-1]
        return site, t

    def _balks(self, site: SiteRuntime, car: Car) -> bool:
        drivers = self.world.drivers
        if drivers.balk_queue_length is not None and len(site.queue) >= drivers.balk_queue_length:
            return True
        return (
            drivers.balk_wait_min is not None
            and self._predicted_wait_s(site, car) > drivers.balk_wait_min * 60.0
        )

    def _predicted_wait_s(self, site: SiteRuntime, car: Car) -> float:
        """What a driver expects to wait: the cars ahead that compete for the same ports,
        served by those ports at the site's mean occupancy so far."""
        if self._free_port(site, car) is not None:
            return 0.0
        usable = self._usable_plugs[(car.key, site.site.index)]
        ahead = sum(1 for c in site.queue if not c.connectors.isdisjoint(usable))
        mean_occupancy_s = site.occupancy_total_s / site.occupancy_n
        return (ahead + 1) * mean_occupancy_s / self._usable_ports[(car.key, site.site.index)]

    def _free_port(self, site: SiteRuntime, car: Car) -> PortRuntime | None:
        """The most powerful free port the car fits; among equals the one with the fewest
        other connectors, so that a CCS car leaves the CCS/CHAdeMO dispenser to a Leaf."""
        best = None
        best_rank = (-1.0, 0)
        peak = car.vehicle.peak_kw
        for p in site.free:
            if car.connectors.isdisjoint(p.port.connectors):
                continue
            rank = (min(p.port.power_kw, peak), -len(p.port.connectors))
            if rank > best_rank:
                best, best_rank = p, rank
        return best

    # --- a visit ------------------------------------------------------------------------

    def _visit(self, car: Car) -> None:
        chosen = self._choose(car)
        if chosen is None:
            self._record_turned_away(car, "no_access")
            return
        site, t = chosen
        car.site = site
        car.terms = t
        drivers = self.world.drivers
        free_target, free_idle_min = car.free_behaviour
        car.free = partnership.is_free(t, self._allowance_left(car, t))
        if car.free:
            if free_target is not None and drivers.energy_kwh is None:
                car.soc_target = max(free_target, car.soc_start)
            if free_idle_min is not None:
                car.idle_s = free_idle_min * 60.0
        limit = site.site.queue_limit
        if limit is not None and site.on_site >= limit:
            self._record_turned_away(car, "queue_full")
            return
        port = self._free_port(site, car)
        if port is None and self._balks(site, car):
            self._record_turned_away(car, "balked")
            return
        site.on_site += 1
        self._active[id(car)] = car
        if port is None:
            site.queue.append(car)
            if car.patience_s < math.inf:
                timer = self.env.timeout(car.patience_s)
                _then(timer, lambda _: self._renege(car))
        else:
            self._take(port, car)
            self._plug_in(car, port)

    # A visit is a chain of event callbacks rather than a generator process: the same SimPy
    # events at the same instants, without a process's start and end events per car, which
    # is a third of the engine's time on a busy site.

    def _take(self, port: PortRuntime, car: Car) -> None:
        port.site.free.remove(port)
        port.car = car
        car.port = port
        car.port_id = port.port.id
        car.soc_now = car.soc_start  # what a meter reads until the charge begins
        if not self._sync:  # on the fast engine charging starts at this same instant
            self._set_state(port, PortState.OCCUPIED)

    def _renege(self, car: Car) -> None:
        if car.port is not None or car.done:
            return
        site = car.site
        assert site is not None
        site.queue.remove(car)
        site.on_site -= 1
        del self._active[id(car)]
        now = self.env.now
        self._record(car, Outcome.GAVE_UP, "reneged", wait_s=now - car.arrival_s, depart_s=now)
        car.done = True

    def _plug_in(self, car: Car, port: PortRuntime) -> None:
        car.wait_s = self.env.now - car.arrival_s
        self._next_transaction += 1
        port.transaction = self._next_transaction
        if self._sync:  # the fast engine's central system accepts every tag, at once
            self._start_charging(car, port)
            return
        car.connector = self._connector(car, port)
        self._status(port, PortStatus.PREPARING, car.connector)
        reply = self._send(port, Authorize(car.id_tag, self.env.now), wait=True)
        assert reply is not None
        _then(reply, lambda ev: self._authorized(car, port, ev.value))

    def _authorized(self, car: Car, port: PortRuntime, auth: object) -> None:
        if port.voided is car:
            port.voided = None
            self._refused(car, port, None, "reset")
            return
        if not isinstance(auth, AuthReply) or auth.status is not AuthStatus.ACCEPTED:
            self._refused(car, port, auth.status if isinstance(auth, AuthReply) else None)
            return
        start = StartTransaction(
            car.connector, car.id_tag, int(port.meter_wh), self.env.now, port.transaction
        )
        reply = self._send(port, start, wait=True)
        assert reply is not None
        _then(reply, lambda ev: self._started(car, port, ev.value))

    def _started(self, car: Car, port: PortRuntime, start: object) -> None:
        stop_now, port.stop_on_start = port.stop_on_start, False
        if port.voided is car:  # started by the central system, stopped by the Reset
            port.voided = None
            if isinstance(start, StartReply) and start.status is AuthStatus.ACCEPTED:
                meter_wh = int(port.meter_wh)
                stop = StopTransaction(
                    port.transaction, car.id_tag, meter_wh, self.env.now, port.reset_reason
                )
                self._send(port, stop, wait=False)
            self._refused(car, port, None, "reset")
            return
        if not isinstance(start, StartReply) or start.status is not AuthStatus.ACCEPTED:
            stop = StopTransaction(
                port.transaction,
                car.id_tag,
                int(port.meter_wh),
                self.env.now,
                StopReason.DE_AUTHORIZED,
            )
            self._send(port, stop, wait=False)
            self._refused(car, port, start.status if isinstance(start, StartReply) else None)
            return
        self._start_charging(car, port)
        if stop_now:
            self.stop_charging(port, StopReason.REMOTE)

    def _refused(
        self, car: Car, port: PortRuntime, status: AuthStatus | None, reason: str = ""
    ) -> None:
        self._status(port, PortStatus.FINISHING, car.connector)
        self._leave(car, port)
        reason = reason or f"authorization_{(status or AuthStatus.INVALID).value.lower()}"
        self._record(
            car,
            Outcome.TURNED_AWAY,
            reason,
            wait_s=car.wait_s,
            start_s=car.arrival_s + car.wait_s,  # plugged in, then refused
            depart_s=self.env.now,
        )

    def _start_charging(self, car: Car, port: PortRuntime) -> None:
        env = self.env
        vehicle = car.vehicle
        prof = self._profile(vehicle, port)
        car.profile = prof
        target = min(car.soc_target, vehicle.curve.max_soc)
        duration_s = prof.hours_between(car.soc_start, target) * 3600.0
        reason = StopReason.LOCAL
        deal = car.terms.deal if car.terms is not None else None
        if (
            car.free
            and deal is not None
            and deal.session_cap_s is not None
            and deal.session_cap_s < duration_s
        ):
            duration_s = deal.session_cap_s
            reason = StopReason.OTHER
            target = prof.soc_after(car.soc_start, duration_s / 3600.0)
        port.charging = True
        port.charge_start_s = env.now
        car.soc_now = car.soc_start
        self._set_state(port, PortState.CHARGING)
        if not self._sync:
            self._status(port, PortStatus.CHARGING, car.connector)
            if self.meter_interval_s is not None:
                self._sample(port, car, "Transaction.Begin")
                env.process(self._meter(port, car))
        timer = env.timeout(duration_s)
        car.charge_timer = timer
        callbacks = timer.callbacks
        assert callbacks is not None
        callbacks.append(lambda ev: self._charge_timer(car, port, ev, reason, target))

    def _charge_timer(
        self, car: Car, port: PortRuntime, timer: Event, reason: StopReason, soc_end: float
    ) -> None:
        if car.charge_timer is timer:  # not overtaken by a stop
            self._stop_charging(car, port, reason, soc_end)

    def stop_charging(self, port: PortRuntime, cause: StopReason) -> bool:
        """End the charge on a port now (failure, remote stop, reset, unlock); the car leaves."""
        car = port.car
        if not port.charging or car is None or car.profile is None:
            return False
        elapsed_h = (self.env.now - port.charge_start_s) / 3600.0
        self._stop_charging(car, port, cause, car.profile.soc_after(car.soc_start, elapsed_h))
        return True

    def _stop_charging(
        self, car: Car, port: PortRuntime, reason: StopReason, soc_end: float
    ) -> None:
        car.charge_timer = None
        self._end_charge(port, car, soc_end)
        if not self._sync:
            if self.meter_interval_s is not None:
                self._sample(port, car, "Transaction.End")
            stop = StopTransaction(
                port.transaction, car.id_tag, int(port.meter_wh), self.env.now, reason
            )
            self._send(port, stop, wait=False)
            self._status(port, PortStatus.FINISHING, car.connector)
        # a driver who reached the target or the cap lingers; any other stop sends them away
        idle_s = car.idle_s if reason in (StopReason.LOCAL, StopReason.OTHER) else 0.0
        charge_end_s = self.env.now
        if idle_s > 0:
            timer = self.env.timeout(idle_s)
            _then(timer, lambda _: self._depart(car, port, reason, idle_s, charge_end_s))
        else:
            self._depart(car, port, reason, idle_s, charge_end_s)

    def _depart(
        self, car: Car, port: PortRuntime, reason: StopReason, idle_s: float, charge_end_s: float
    ) -> None:
        self._leave(car, port)
        terms = car.terms
        assert terms is not None
        b = partnership.bill(
            self.networks[port.port.network],
            terms,
            car.energy_kwh,
            idle_s / 60.0,
            self._allowance_left(car, terms),
        )
        if b.allowance_used_kwh > 0 and terms.deal is not None:
            key = (car.vehicle.index, car.driver, terms.deal.network)
            self.allowance_used_kwh[key] = (
                self.allowance_used_kwh.get(key, 0.0) + b.allowance_used_kwh
            )
        self._record(
            car,
            Outcome.SERVED,
            reason.value,
            wait_s=car.wait_s,
            start_s=car.arrival_s + car.wait_s,
            charge_end_s=charge_end_s,
            depart_s=self.env.now,
            soc_end=car.soc_now,
            bill=b,
        )

    def _profile(self, vehicle: VehicleModel, port: PortRuntime) -> Profile:
        key = (vehicle.index, port.port.index)
        prof = self._profiles.get(key)
        if prof is None:
            prof = profile(vehicle.curve, vehicle.battery_kwh, vehicle.peak_kw, port.port.power_kw)
            self._profiles[key] = prof
        return prof

    def _connector(self, car: Car, port: PortRuntime) -> int:
        """The connector the car plugs into: the first of the port's that fits."""
        key = (car.key, port.port.index)
        connector = self._connectors.get(key)
        if connector is None:
            ids = port.connector_ids
            connector = min(ids[c] for c in car.connectors if c in ids)
            self._connectors[key] = connector
        return connector

    def _end_charge(self, port: PortRuntime, car: Car, soc_end: float) -> None:
        """Book the energy and power of the charge that just ended (or stopped at the horizon)."""
        assert car.profile is not None
        t = port.charge_start_s
        pid = port.port.id
        energy = max(0.0, soc_end - car.soc_start) * car.vehicle.battery_kwh
        if car.profile.flat_kw is not None:
            if energy > 0:
                kw = car.profile.flat_kw
                self.segments.append(PowerSegment(pid, t, self.env.now, energy, kw, kw))
        else:
            append = self.segments.append
            for hours, energy_kwh, kw0, kw1 in car.profile.segments(car.soc_start, soc_end):
                end = t + hours * 3600.0
                append(PowerSegment(pid, t, end, energy_kwh, kw0, kw1))
                t = end
        car.energy_kwh = energy
        car.soc_now = soc_end
        port.meter_wh += energy * 1000.0
        port.charging = False
        self._set_state(port, PortState.OCCUPIED)

    def _leave(self, car: Car, port: PortRuntime) -> None:
        site = port.site
        site.on_site -= 1
        del self._active[id(car)]
        car.done = True
        site.occupancy_total_s += self.env.now - car.arrival_s - car.wait_s
        site.occupancy_n += 1
        port.car = None
        car.port = None
        self._release(port)

    def _release(self, port: PortRuntime) -> None:
        """A port with no car: give it to the first compatible car waiting, or free it."""
        if port.unavailable_after_car:
            port.unavailable_after_car = False
            port.down = True
            port.down_status = PortStatus.UNAVAILABLE
        if port.down:
            self._set_state(port, PortState.DOWN)
            self._status(port, port.down_status)
            return
        self._status(port, PortStatus.AVAILABLE)
        if port.rebooting:  # back in service once the charge point has booted again
            self._set_state(port, PortState.AVAILABLE)
            return
        self._offer(port)

    def _offer(self, port: PortRuntime) -> None:
        """A free port: give it to the first compatible car waiting, or make it free."""
        site = port.site
        site.free.append(port)
        for car in site.queue:
            if not car.connectors.isdisjoint(port.port.connectors):
                site.queue.remove(car)
                self._take(port, car)
                self._plug_in(car, port)
                return
        self._set_state(port, PortState.AVAILABLE)

    # --- meter values (OCPP engine only: they travel, the physics does not wait) -------

    def _meter(self, port: PortRuntime, car: Car) -> Generator[Event, Any, None]:
        interval = self.meter_interval_s
        assert interval is not None
        while True:
            yield self.env.timeout(interval)
            if port.car is not car or not port.charging:
                return
            self._sample(port, car, "Sample.Periodic")

    def _sample(self, port: PortRuntime, car: Car, context: str) -> None:
        self._send(port, self._reading(port, car, context), wait=False)

    def _reading(self, port: PortRuntime, car: Car, context: str) -> MeterSample:
        now = self.env.now
        prof = car.profile
        if port.charging and prof is not None:
            soc = prof.soc_after(car.soc_start, (now - port.charge_start_s) / 3600.0)
            power_kw = prof.power_kw(soc)
            energy_wh = port.meter_wh + (soc - car.soc_start) * car.vehicle.battery_kwh * 1000
        else:
            soc, power_kw, energy_wh = car.soc_now, 0.0, port.meter_wh
        sample = MeterSample(
            connector_id=car.connector,
            transaction_ref=port.transaction,
            at_s=now,
            energy_wh=int(energy_wh),
            power_kw=power_kw,
            soc=None if math.isinf(soc) else min(soc, 1.0),
            voltage_v=NOMINAL_VOLTAGE_V,
            context=context,
        )
        return sample

    # --- failures -----------------------------------------------------------------------

    def _failures(self, port: PortRuntime) -> Generator[Event, Any, None]:
        assert self.world.failures is not None
        rng = self.streams[f"failures:{port.port.id}"]
        mtbf_s, mttr_s = self.world.failures.mtbf_s, self.world.failures.mttr_s
        while True:
            yield self.env.timeout(rng.expovariate(1.0 / mtbf_s))
            self.take_down(port)
            yield self.env.timeout(rng.expovariate(1.0 / mttr_s))
            self.bring_up(port)

    def take_down(
        self,
        port: PortRuntime,
        cause: StopReason = StopReason.POWER_LOSS,
        status: PortStatus = PortStatus.FAULTED,
    ) -> None:
        """The port stops serving: a failure (Faulted) or an operator's order (Unavailable)."""
        if port.down:
            return
        port.down = True
        port.down_status = status
        car = port.car
        if car is None:
            if not port.rebooting:  # a rebooting port is not among the free ones
                port.site.free.remove(port)
            self._status(port, status)
        elif port.charging:
            self.stop_charging(port, cause)  # the car leaves; the port then reports its status
        else:
            self._status(port, status)  # a car still plugged in, not charging
        self._set_state(port, PortState.DOWN)

    def bring_up(self, port: PortRuntime) -> None:
        if not port.down:
            return
        port.down = False
        if port.car is None:
            self._release(port)
        else:
            self._set_state(port, PortState.OCCUPIED)
            self._status(port, PortStatus.FINISHING, port.car.connector)

    def meter_reading(self, port_id: str) -> MeterSample | None:
        """The port's meter now (a triggered MeterValues): None while no session is on it."""
        port = self.port_by_id.get(port_id)
        if port is None or port.car is None:
            return None
        return self._reading(port, port.car, "Trigger")

    # --- what a central system may ask of a charge point (OCPP engine) -----------------

    def remote_start(self, port_id: str, id_tag: str) -> bool:
        """An app-started session: a driver already at the port plugs in now."""
        port = self.port_by_id.get(port_id)
        if port is None or port.down or port.car is not None or port.rebooting:
            return False
        usable = [
            v for v in self.world.vehicles if not v.connectors.isdisjoint(port.port.connectors)
        ]
        if not usable:
            return False
        rng = self.streams["operator"]
        drivers = self.world.drivers
        car = Car()
        car.arrival_s = self.env.now
        car.vehicle = usable[0]
        car.driver = -1
        car.tag = id_tag
        car.key = (car.vehicle.index, False)
        car.connectors = car.vehicle.connectors
        car.soc_start = drivers.arrival_soc.sample(rng)
        car.soc_target = max(drivers.target_soc.sample(rng), car.soc_start)
        car.idle_s = 0.0
        car.patience_s = math.inf
        car.site = port.site
        car.terms = self._terms_for(car, port.port.network)
        car.free = partnership.is_free(car.terms, 0.0)
        port.site.on_site += 1
        self._active[id(car)] = car
        self._take(port, car)
        self._plug_in(car, port)
        return True

    def remote_stop(self, transaction_ref: int) -> bool:
        """Stop that transaction's charge; one whose StartTransaction answer is still on its
        way to the model (the central system knows it) stops the moment it starts."""
        for port in self.ports:
            if port.transaction != transaction_ref:
                continue
            if port.charging:
                return self.stop_charging(port, StopReason.REMOTE)
            car = port.car
            if car is not None and car.profile is None and port.voided is not car:
                port.stop_on_start = True
                return True
        return False

    def change_availability(self, port_id: str, operative: bool) -> str:
        """Accepted, or Scheduled when a car is charging (applied as it leaves), or Rejected."""
        port = self.port_by_id.get(port_id)
        if port is None:
            return "Rejected"
        if operative:
            if port.down and port.down_status is PortStatus.UNAVAILABLE:
                self.bring_up(port)
            return "Accepted"
        if port.down:
            return "Accepted"
        if port.car is not None:
            port.unavailable_after_car = True
            return "Scheduled"
        self.take_down(port, StopReason.OTHER, PortStatus.UNAVAILABLE)
        return "Accepted"

    def reset(self, port_id: str, hard: bool) -> bool:
        """A Reset: the running charge ends (SoftReset/HardReset), an authorization under way
        is void (its driver is turned away when the answer comes), and the port takes no new
        car until `rebooted` (the charge point has booted again)."""
        port = self.port_by_id.get(port_id)
        if port is None:
            return False
        if port.rebooting:
            return True
        port.rebooting = True
        port.reset_reason = StopReason.HARD_RESET if hard else StopReason.SOFT_RESET
        car = port.car
        if car is None and not port.down:
            port.site.free.remove(port)  # an idle port takes no car until it has rebooted
        if car is not None and car.profile is None:
            port.voided = car
        self.stop_charging(port, port.reset_reason)
        return True

    def rebooted(self, port_id: str) -> None:
        """The charge point is back after a Reset: the port serves again."""
        port = self.port_by_id.get(port_id)
        if port is None or not port.rebooting:
            return
        port.rebooting = False
        if port.car is None and not port.down:
            self._offer(port)

    def authorizing(self, port_id: str) -> bool:
        """A car on the port waits for the answer to its Authorize or StartTransaction."""
        port = self.port_by_id.get(port_id)
        return port is not None and port.car is not None and port.car.profile is None

    # --- records ------------------------------------------------------------------------

    def _set_state(self, port: PortRuntime, state: PortState) -> None:
        if port.down:
            state = PortState.DOWN
        if state is port.state:
            return
        now = self.env.now
        if now > port.state_since_s:
            self.intervals.append(PortInterval(port.port.id, port.state, port.state_since_s, now))
        port.state_since_s = now
        port.state = state

    def _close_interval(self, port: PortRuntime, now: float) -> None:
        if now > port.state_since_s:
            self.intervals.append(PortInterval(port.port.id, port.state, port.state_since_s, now))
        port.state_since_s = now

    def _record_turned_away(self, car: Car, reason: str) -> None:
        self._record(car, Outcome.TURNED_AWAY, reason, depart_s=car.arrival_s)

    def _record_on_site(self, car: Car, now: float) -> None:
        port = car.port
        if port is None:
            self._record(car, Outcome.ON_SITE, "waiting", wait_s=now - car.arrival_s, depart_s=now)
            return
        if port.charging and car.profile is not None:
            soc = car.profile.soc_after(car.soc_start, (now - port.charge_start_s) / 3600.0)
            self._end_charge(port, car, soc)
            reason = "charging"
        else:
            reason = "plugged_in"
        self._record(
            car,
            Outcome.ON_SITE,
            reason,
            wait_s=car.wait_s,
            start_s=car.arrival_s + car.wait_s,
            depart_s=now,
            soc_end=car.soc_now if car.energy_kwh else car.soc_start,
        )

    def _record(
        self,
        car: Car,
        outcome: Outcome,
        reason: str,
        *,
        wait_s: float = 0.0,
        start_s: float = 0.0,
        charge_end_s: float = 0.0,
        depart_s: float = 0.0,
        soc_end: float | None = None,
        bill: partnership.Bill | None = None,
    ) -> None:
        s = car.site
        terms = car.terms
        vehicle = car.vehicle
        # positional, in field order: the hottest allocation of a run
        record = SessionRecord(
            car.arrival_s,
            vehicle.id,
            vehicle.brand,
            car.driver,
            outcome,
            reason,
            s.site.network if s is not None else "",
            s.site.id if s is not None else "",
            car.port_id,
            terms.partner if terms is not None else False,
            wait_s,
            start_s,
            charge_end_s,
            depart_s,
            car.soc_start,
            car.soc_start if soc_end is None else soc_end,
            car.energy_kwh,
            *(bill[:6] if bill is not None else _NO_BILL),
            car.free,
        )
        self.sessions.append(record)


_NO_BILL = (0.0, 0.0, 0.0, 0.0, "", 0.0)


def _then(event: Event, callback: Callable[[Event], None]) -> None:
    """Run `callback` when the event is processed (a visit is a chain of these)."""
    assert event.callbacks is not None
    event.callbacks.append(callback)


def _cumulative(shares: list[float]) -> list[float]:
    total = sum(shares)
    out, acc = [], 0.0
    for s in shares[:-1]:
        acc += s / total
        out.append(acc)
    return out
