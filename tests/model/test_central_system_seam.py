"""The model's side of the central system, in virtual time with no event loop: a triggered meter
reading (`Simulation.meter_reading`) in every state of a port (the central system may ask at
any instant), and the record of a driver whose tag it refused."""

from __future__ import annotations

from simulator import scenario as sc
from simulator.model.records import Outcome
from simulator.model.requests import (
    Authorize,
    AuthReply,
    AuthStatus,
    StartReply,
    StartTransaction,
)
from simulator.model.resolver import BatchedResolver, Outgoing
from simulator.model.simulation import Simulation


def one_port_world() -> sc.Scenario:
    return sc.parse(
        {
            "name": "one-port",
            "simulation": {"days": 1, "seed": 3},
            "networks": [
                {
                    "id": "n",
                    "price_per_kwh": 0.5,
                    "sites": [{"id": "s", "ports": [{"power_kw": 150, "connectors": ["CCS1"]}]}],
                }
            ],
            "vehicles": [
                {
                    "id": "v",
                    "brand": "V",
                    "share": 1.0,
                    "battery_kwh": 60,
                    "peak_kw": 120,
                    "connectors": ["CCS1"],
                }
            ],
            "arrivals": {"kind": "constant", "rate_per_h": 2},
        }
    )


class HeldReplies:
    """A central system that has not answered yet: the batches the model flushed, kept."""

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    def __call__(self, batch: list[Outgoing]) -> None:
        self.sent.extend(batch)

    def waiting(self, kind: type) -> Outgoing | None:
        """The first request of this kind whose reply the model still waits for."""
        return next(
            (
                o
                for o in self.sent
                if isinstance(o.request, kind) and o.reply is not None and not o.reply.triggered
            ),
            None,
        )

    def answer(self, sim: Simulation, kind: type, reply: object) -> None:
        """Step until the model asks this, answer it and let the answer take effect."""
        for _ in range(10_000):
            asked = self.waiting(kind)
            if asked is not None:
                assert asked.reply is not None
                asked.reply.succeed(reply)
                sim.env.run(until=sim.env.now + 1e-9)
                return
            sim.env.step()
        raise AssertionError(f"the model never asked {kind.__name__}")


def plugged_in_awaiting_authorization() -> tuple[Simulation, HeldReplies, str]:
    """A simulation stepped until a visit is on its port, its Authorize unanswered."""
    world = sc.world(one_port_world())
    central = HeldReplies()
    sim = Simulation(world, resolver=BatchedResolver(central), meter_interval_s=60.0)
    port = sim.ports[0]
    for _ in range(10_000):
        if central.waiting(Authorize) is not None:
            break
        sim.env.step()
    assert port.visit is not None
    assert not port.charging
    return sim, central, port.id


def test_a_reading_while_a_car_is_plugged_in_but_not_charging_is_its_arrival_state() -> None:
    sim, _, port_id = plugged_in_awaiting_authorization()
    visit = sim.ports[0].visit
    assert visit is not None
    reading = sim.meter_reading(port_id)
    assert reading is not None
    assert (reading.at_s, reading.power_kw, reading.energy_wh) == (sim.env.now, 0.0, 0)
    assert reading.soc == visit.soc_start
    assert reading.context == "Trigger"


def test_a_reading_on_a_free_port_is_none_and_while_charging_it_draws_power() -> None:
    free = Simulation(
        sc.world(one_port_world()), resolver=BatchedResolver(HeldReplies()), meter_interval_s=60.0
    )
    assert free.meter_reading(free.ports[0].id) is None
    sim, central, port_id = plugged_in_awaiting_authorization()
    central.answer(sim, Authorize, AuthReply(AuthStatus.ACCEPTED))
    central.answer(sim, StartTransaction, StartReply(AuthStatus.ACCEPTED, 1))
    assert sim.ports[0].charging
    sim.env.run(until=sim.env.now + 600.0)
    reading = sim.meter_reading(port_id)
    assert reading is not None
    assert reading.power_kw > 0
    assert reading.energy_wh > 0


def test_a_refused_driver_is_recorded_with_the_port_and_the_time_they_plugged_in() -> None:
    sim, central, port_id = plugged_in_awaiting_authorization()
    visit = sim.ports[0].visit
    assert visit is not None
    assert visit.arrival_s > 0
    central.answer(sim, Authorize, AuthReply(AuthStatus.INVALID))
    [refused] = sim.recorder.sessions
    assert (refused.outcome, refused.reason) == (Outcome.TURNED_AWAY, "authorization_invalid")
    assert (refused.port, refused.start_s, refused.wait_s) == (port_id, visit.arrival_s, 0.0)
