"""`ModelAdapter`: the OCPP engine's one door into the model (`simulator.model.simulation`).

Nothing else on the OCPP side touches `Simulation`: the lockstep steps virtual time, takes the
requests each instant hands over and answers the ones the model waits on, all through here;
the central system's calls (RemoteStart, Reset, ...) enter the model here, by charge point
index (the index of the port in `world.ports`). Should the model's seam change, this module is
the one to change with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from simpy.core import EmptySchedule

from simulator.model.records import Records
from simulator.model.requests import Reply, Request
from simulator.model.resolver import BatchedResolver, Outgoing
from simulator.model.simulation import Simulation
from simulator.model.smart_charging import ObservedResolver, PortProfiles, SmartCharging
from simulator.model.world import World

__all__ = ["Handover", "ModelAdapter"]


class Handover(NamedTuple):
    """A request the model made, for charge point number `charge_point` to send."""

    charge_point: int
    request: Request
    answer: Callable[[Reply], object] | None
    """Resolves the model's wait with the reply; None for a notification nobody waits on."""


class ModelAdapter:
    """One run of `world`'s model, stepped by the lockstep."""

    __slots__ = ("_batch", "_port_ids", "_resolver", "_sim", "_smart", "_world")

    def __init__(self, world: World, *, grid_in_csms: bool = False) -> None:
        """`grid_in_csms`: the central system applies the sites' grid policy (the built-in
        one): the sites report their needs, and the grid's TxProfiles set the shares."""
        self._world = world
        self._batch: list[Outgoing] = []
        self._resolver = BatchedResolver(self._batch.extend, grid_policy_in_model=not grid_in_csms)
        observed = ObservedResolver(self._resolver)  # the charge points' charging profiles
        self._sim = Simulation(world, resolver=observed, meter_interval_s=world.meter_interval_s)
        charging = self._sim.charging
        share = charging.set_grid_share if grid_in_csms else None
        self._smart = observed.smart = SmartCharging(
            self._sim.env, charging.set_limit, set_share=share
        )
        self._port_ids = [p.id for p in world.ports]

    # --- virtual time ---------------------------------------------------------------------

    @property
    def now_s(self) -> float:
        return self._sim.env.now

    def next_event_s(self) -> float:
        """When the next event is scheduled (inf when none is)."""
        return self._sim.env.peek()

    def step(self) -> bool:
        """Process the next event; False when nothing was scheduled."""
        try:
            self._sim.env.step()
        except EmptySchedule:
            return False
        return True

    def run_until(self, t: float) -> None:
        """Process every event before virtual time t and move the clock to it."""
        self._sim.env.run(until=t)

    def take_handovers(self) -> list[Handover]:
        """The requests of the instants stepped since the last call, in issue order."""
        batch = self._batch
        if not batch:
            return []
        handed = [
            Handover(out.port, out.request, None if out.reply is None else out.reply.succeed)
            for out in batch
        ]
        batch.clear()
        return handed

    def finish(self) -> Records:
        return self._sim.finish()

    # --- what a central system may ask of a charge point ----------------------------------

    def remote_start(self, index: int, id_tag: str) -> bool:
        return self._sim.remote_start(self._port_ids[index], id_tag)

    def remote_stop(self, index: int, transaction_ref: int) -> bool:
        """Stop the charge point's transaction `transaction_ref` (negative: whichever runs)."""
        transaction = self._sim.transaction_on(self._port_ids[index])
        if transaction_ref < 0:
            transaction_ref = transaction
        if transaction != transaction_ref:
            return False
        return self._sim.remote_stop(transaction_ref)

    def change_availability(self, index: int, operative: bool) -> str:
        return self._sim.change_availability(self._port_ids[index], operative)

    def reset(self, index: int, hard: bool) -> bool:
        return self._sim.reset(self._port_ids[index], hard)

    def rebooted(self, index: int) -> None:
        self._sim.rebooted(self._port_ids[index])

    def unlock(self, index: int) -> bool:
        return self._sim.unlock(self._port_ids[index])

    def smart_charging(self, index: int) -> PortProfiles:
        """The charge point's charging profiles, and the limits they set on its port."""
        return PortProfiles(self._smart, self._sim.ports[index])

    def meter_wh(self, index: int) -> int | None:
        """The port's energy register now; None while no session is on it."""
        reading = self._sim.meter_reading(self._port_ids[index])
        return None if reading is None else reading.energy_wh

    def settled(self, index: int) -> bool:
        """The model has handed over everything it will send after the port's Reset: no
        authorization under way, nothing of the port's still waiting for its instant's
        flush."""
        if self._sim.authorizing(self._port_ids[index]):
            return False
        return not self._resolver.pending(index)
