"""Port failures: each port alternates up and down, exponential times from its own stream."""

from __future__ import annotations

import random
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import simpy
    from simpy.events import Event

    from simulator.model.port import ChargePoint
    from simulator.model.world import Failures

__all__ = ["stream_name", "up_and_down"]


def stream_name(port_id: str) -> str:
    """The random stream of a port's failures: its own, so ports never share draws."""
    return f"failures:{port_id}"


def up_and_down(
    env: simpy.Environment,
    port: ChargePoint,
    failures: Failures,
    rng: random.Random,
    take_down: Callable[[ChargePoint], None],
    bring_up: Callable[[ChargePoint], None],
) -> Generator[Event, Any, None]:
    """Mean time between failures, then mean time to repair, forever."""
    mtbf_s, mttr_s = failures.mtbf_s, failures.mttr_s
    while True:
        yield env.timeout(rng.expovariate(1.0 / mtbf_s))
        take_down(port)
        yield env.timeout(rng.expovariate(1.0 / mttr_s))
        bring_up(port)
