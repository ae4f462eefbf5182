"""One run of a world: the model's concepts wired together, in SimPy virtual time, no I/O.

Drivers arrive (arrivals), choose a site (choice), queue or plug in (visit), are authorized,
charge and leave (charging); ports fail and come back (failures, port); everything is
written down as it happens (recorder). The model asks the central system only through its
resolver (resolver): `ImmediateResolver` answers at once (the fast engine, the default),
`BatchedResolver` hands each instant's requests to the OCPP runtime. Both give the same
physics: a reply arrives at the same virtual instant either way, every decision happens
synchronously when its cause occurs, and random numbers are drawn only at arrivals,
failures and tries on a port (attempts), from streams of their own.
"""

from __future__ import annotations

from simpy import Environment

from simulator.model import arrivals, failures
from simulator.model.accounts import Accounts
from simulator.model.attempts import Tries, attempt_rules
from simulator.model.charging import Charging
from simulator.model.choice import Corridor
from simulator.model.commands import Commands
from simulator.model.grid import SiteGrid
from simulator.model.port import Availability, ChargePoint
from simulator.model.recorder import Recorder
from simulator.model.records import Records
from simulator.model.requests import MeterSample
from simulator.model.resolver import ImmediateResolver, Resolver
from simulator.model.site import Site
from simulator.model.streams import Streams
from simulator.model.visit import Visit, Visits
from simulator.model.world import World

__all__ = ["Simulation"]


class Simulation:
    """One run of a world. Drive it with `run()`, or step its `env` (the OCPP engine)."""

    def __init__(
        self,
        world: World,
        *,
        resolver: Resolver | None = None,
        meter_interval_s: float | None = None,
    ) -> None:
        self.world = world
        self.env = env = Environment()
        self.streams = Streams(world.seed)
        self.resolver: Resolver = ImmediateResolver() if resolver is None else resolver
        self.resolver.attach(env)
        self.recorder = Recorder()
        self.sites = [Site(s) for s in world.sites]
        self.ports: list[ChargePoint] = [p for s in self.sites for p in s.ports]
        """Every port, by index (the world's order)."""
        self.port_by_id = {p.id: p for p in self.ports}
        self.accounts = Accounts(world)
        self._present: dict[int, Visit] = {}  # visits on site, for the end of the run
        self.charging = Charging(
            env, self.recorder, self.accounts, self.resolver, self._present, meter_interval_s
        )
        # the model knows the sites' demands and the schedule's instants either way; only who
        # allocates differs (simulator.model.grid)
        report = None if self.resolver.grid_policy_in_model else self.resolver.site_needs
        day_s = world.start.hour * 3600.0 + world.start.minute * 60.0 + world.start.second
        for site, spec in zip(self.sites, world.sites, strict=True):
            if spec.grid is not None:
                site.grid = SiteGrid(
                    env, site, spec.grid, self.charging.set_grid_share, day_s, report
                )
        rules = attempt_rules(world)
        if rules:  # else nothing of it is built, nothing drawn
            self.charging.authorize = Tries(env, rules, self.streams, self.charging).begin
        self.availability = Availability(env, self.recorder, self.resolver)
        self.charging.release = self.availability.release
        self.availability.plug_in = self.charging.plug_in
        self.availability.stop_charging = self.charging.stop_charging
        self.visits = Visits(
            env,
            Corridor(world, self.sites),
            self.accounts,
            self.recorder,
            self._present,
            self.charging.plug_in,
        )
        self.commands = Commands(
            env,
            world,
            self.streams,
            self.port_by_id,
            self.charging,
            self.availability,
            self.accounts,
            self._present,
        )
        self._finished = False
        arrivals.start(env, world, self.streams, self.visits.arrive)
        if world.failures is not None:
            for p in self.ports:
                rng = self.streams[failures.stream_name(p.id)]
                env.process(
                    failures.up_and_down(
                        env,
                        p,
                        world.failures,
                        rng,
                        self.availability.take_down,
                        self.availability.bring_up,
                    )
                )

    # --- running ------------------------------------------------------------------------

    def run(self) -> Records:
        """Run to the horizon and close the books."""
        self.env.run(until=self.world.horizon_s)
        return self.finish()

    def finish(self) -> Records:
        """Close the books at the horizon: visits still on site, open intervals."""
        if not self._finished:
            self._finished = True
            now = self.world.horizon_s
            for visit in list(self._present.values()):
                self.charging.close(visit, now)
            for p in self.ports:
                self.recorder.close_interval(p, now)
        return self.recorder.records(self.world.horizon_s, self.world.warmup_s)

    # --- what a central system may ask of a charge point (simulator.model.commands) ----

    def remote_start(self, port_id: str, id_tag: str) -> bool:
        """An app-started session begins on the port now; False when it cannot."""
        return self.commands.remote_start(port_id, id_tag)

    def remote_stop(self, transaction_ref: int) -> bool:
        """Stop the charge of the transaction with this model handle."""
        return self.commands.remote_stop(transaction_ref)

    def unlock(self, port_id: str) -> bool:
        """Stop the charge on the port (UnlockCommand); False when nothing charges there."""
        return self.commands.unlock(port_id)

    def change_availability(self, port_id: str, operative: bool) -> str:
        """Accepted, Scheduled or Rejected."""
        return self.commands.change_availability(port_id, operative)

    def reset(self, port_id: str, hard: bool) -> bool:
        """Stop the port's charge, void an authorization under way; hold it until rebooted."""
        return self.commands.reset(port_id, hard)

    def rebooted(self, port_id: str) -> None:
        """The charge point is back after a Reset."""
        self.commands.rebooted(port_id)

    def authorizing(self, port_id: str) -> bool:
        """A visit on the port waits for the answer to its Authorize or StartTransaction."""
        return self.commands.authorizing(port_id)

    def transaction_on(self, port_id: str) -> int:
        """The model's handle of the port's latest transaction (0: none)."""
        return self.commands.transaction_on(port_id)

    def meter_reading(self, port_id: str) -> MeterSample | None:
        """The port's meter now; None while no visit is on it."""
        return self.commands.meter_reading(port_id)
