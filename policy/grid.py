"""How a site shares its grid limit among the ports that charge: one pure function per policy.

- `equal`: water-filling. Every charging port gets an equal share of the site's limit, capped
  by its car's demand (the most the car can draw on that port over the rest of its charge);
  what a capped car leaves unused is shared equally among the others, until every car is
  capped or the limit is used up.
- `priority`: the same, class by class. The highest class (0: a partner network's members)
  is water-filled first from the whole limit; each next class shares what is left.

Allocations are whole watts, rounded down, so their sum never exceeds the limit and a
central system sending them as TxProfiles in W gives the model exactly the same numbers. The
few watts the rounding leaves (fewer than one per port) stay unallocated.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Literal

__all__ = [
    "POLICIES",
    "Demand",
    "GridPolicy",
    "allocate",
    "by_priority",
    "equal_share",
    "to_w",
]

GridPolicy = Literal["equal", "priority"]


@dataclass(frozen=True, slots=True)
class Demand:
    """One charging port's claim on the site's limit."""

    port: str
    """Who the allocation is for (the port's id)."""
    max_w: int
    """The most its car can draw there over the rest of its charge, in whole watts:
    min(port rating, peak x the curve's highest fraction between SoC now and the target)."""
    priority: int = 0
    """The port's class under the priority policy: lower classes are served first."""


def to_w(kw: float) -> int:
    """kW as whole watts, rounded down (a cap or a limit never rounds up)."""
    return math.floor(kw * 1000.0 + 1e-6)  # 0.3 kW is 300 W, not 299 (binary fractions)


def equal_share(limit_w: int, demands: Sequence[Demand]) -> dict[str, int]:
    """Water-filling: equal shares of `limit_w`, each capped by its demand, the unused
    share redistributed. Ports in `demands` order; every one is in the result."""
    out = dict.fromkeys((d.port for d in demands), 0)
    left_w = max(0, limit_w)
    pending = sorted(demands, key=lambda d: d.max_w)  # stable: ties keep their order
    while pending:
        share_w = left_w // len(pending)
        capped = pending[0]
        if capped.max_w > share_w:  # nobody is capped: everyone gets the share
            for d in pending:
                out[d.port] = share_w
            break
        out[capped.port] = max(0, capped.max_w)
        left_w -= out[capped.port]
        pending.pop(0)
    return out


def by_priority(limit_w: int, demands: Sequence[Demand]) -> dict[str, int]:
    """Class by class (lowest `priority` first), each water-filled from what the classes
    before it left."""
    out = dict.fromkeys((d.port for d in demands), 0)
    left_w = max(0, limit_w)
    for _, group in groupby(sorted(demands, key=lambda d: d.priority), key=lambda d: d.priority):
        shares = equal_share(left_w, list(group))
        out.update(shares)
        left_w -= sum(shares.values())
    return out


POLICIES: dict[str, Callable[[int, Sequence[Demand]], dict[str, int]]] = {
    "equal": equal_share,
    "priority": by_priority,
}


def allocate(policy: GridPolicy, limit_w: int, demands: Sequence[Demand]) -> dict[str, int]:
    """The watts each charging port may draw under `policy` (see the module's docstring)."""
    return POLICIES[policy](limit_w, demands)
