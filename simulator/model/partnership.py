"""Who may charge where, at what price, with what perk, and who pays: pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from simulator.model.world import Deal, Network

__all__ = [
    "PRICED_PERKS",
    "Bill",
    "Terms",
    "bill",
    "energy_price_per_kwh",
    "expected_cost",
    "is_free",
    "may_use",
    "refused_price_per_kwh",
    "terms",
]

PRICED_PERKS = ("complimentary", "member_price", "allowance")


@dataclass(frozen=True, slots=True)
class Terms:
    """What applies to one driver at one network."""

    member: bool
    deal: Deal | None
    """The deal the driver is enrolled in at this network, if any."""
    list_price_per_kwh: float
    """What the driver would pay without a perk."""
    refused: bool = False
    """The deal's fine print refuses its perk this time (min_interval_s): the driver pays the
    deal's price_per_kwh if it has one, else the list price, and nobody settles."""

    @property
    def partner(self) -> bool:
        return self.member or self.deal is not None

    @property
    def perk(self) -> bool:
        return self.deal is not None and not self.refused and self.deal.perk in PRICED_PERKS


class Bill(NamedTuple):
    energy_cost: float
    idle_fee: float
    roaming_fee: float
    settlement: float
    paid_by: str
    perk_value: float
    allowance_used_kwh: float


def terms(network: Network, brand: str, deal: Deal | None, *, refused: bool = False) -> Terms:
    member = brand in network.members or (deal is not None and deal.perk == "membership")
    price = network.price_per_kwh if member else network.non_member_price_per_kwh
    return Terms(member=member, deal=deal, list_price_per_kwh=price, refused=refused)


def refused_price_per_kwh(t: Terms) -> float:
    """What a session the fine print refused costs a kWh: the deal's price, else the list's."""
    deal = t.deal
    assert deal is not None
    return deal.price_per_kwh if deal.price_per_kwh is not None else t.list_price_per_kwh


def may_use(network: Network, t: Terms, at_s: float) -> bool:
    return t.member or network.is_open_to_all(at_s)


def energy_price_per_kwh(t: Terms, allowance_left_kwh: float) -> float:
    """The marginal price the driver expects to pay, for choosing a site."""
    deal = t.deal
    if deal is None or deal.perk == "membership":
        return t.list_price_per_kwh
    if t.refused:
        return refused_price_per_kwh(t)
    if deal.perk == "complimentary" or (deal.perk == "allowance" and allowance_left_kwh > 0):
        return 0.0
    return deal.price_per_kwh if deal.price_per_kwh is not None else t.list_price_per_kwh


def expected_cost(
    network: Network, t: Terms, allowance_left_kwh: float, energy_kwh: float
) -> float:
    """What a driver expects to pay for a session's energy at a network, roaming included."""
    cost = energy_price_per_kwh(t, allowance_left_kwh) * energy_kwh
    if not t.member:
        cost += network.roaming_fee_per_kwh * energy_kwh + network.roaming_fee_per_session
    return cost


def is_free(t: Terms, allowance_left_kwh: float) -> bool:
    """Whether the driver expects this session to cost nothing (they then charge longer)."""
    return energy_price_per_kwh(t, allowance_left_kwh) == 0.0


def bill(
    network: Network, t: Terms, energy_kwh: float, idle_min: float, allowance_left_kwh: float
) -> Bill:
    deal = t.deal
    list_cost = energy_kwh * t.list_price_per_kwh
    allowance_used = 0.0
    if deal is None or deal.perk == "membership":
        energy_cost = list_cost
    elif t.refused:
        energy_cost = energy_kwh * refused_price_per_kwh(t)
    elif deal.perk == "complimentary":
        energy_cost = 0.0
    elif deal.perk == "allowance":
        allowance_used = min(energy_kwh, allowance_left_kwh)
        after = deal.price_per_kwh if deal.price_per_kwh is not None else t.list_price_per_kwh
        energy_cost = (energy_kwh - allowance_used) * after
    else:
        assert deal.price_per_kwh is not None
        energy_cost = energy_kwh * deal.price_per_kwh
    perk_value = max(0.0, list_cost - energy_cost)
    settlement = 0.0
    paid_by = ""
    if t.perk and deal is not None:
        paid_by = deal.paid_by
        if deal.settlement == "list_price":
            settlement = perk_value
        elif deal.settlement == "per_kwh":
            settlement = deal.settlement_per_kwh * energy_kwh
        elif deal.settlement == "per_session":
            settlement = deal.settlement_per_session
    idle_fee = max(0.0, idle_min - network.idle_grace_min) * network.idle_fee_per_min
    roaming_fee = 0.0
    if not t.member:
        roaming_fee = network.roaming_fee_per_kwh * energy_kwh + network.roaming_fee_per_session
    return Bill(energy_cost, idle_fee, roaming_fee, settlement, paid_by, perk_value, allowance_used)
