"""Each driver's standing with each network: the terms that apply (partnership deals,
enrolment, the perk's fine print) and the allowance used so far.

Fine print (a deal's min_interval_s): a complimentary session is refused when the driver's last
session the perk paid for arrived less than min_interval_s before this arrival; the refused
session is billed at the deal's price_per_kwh (else the list price) and settles nothing. Only
served sessions that got the perk start a new interval."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.model import partnership
from simulator.model.world import Deal, World, low_discrepancy

if TYPE_CHECKING:
    from simulator.model.visit import Visit

__all__ = ["ENROLMENT_SALT", "Accounts", "enrolled"]

ENROLMENT_SALT = 0.7548776662466927


def enrolled(deal: Deal, driver: int) -> bool:
    """Whether driver `driver` of the deal's brand is enrolled in it (its eligible_share)."""
    return low_discrepancy(driver, ENROLMENT_SALT) < deal.eligible_share


class Accounts:
    """Terms per (brand, network, enrolled), memoized, and the allowance ledger."""

    __slots__ = ("_deals", "_networks", "_plain", "_terms", "allowance_used_kwh", "last_perk_s")

    def __init__(self, world: World) -> None:
        self._networks = {n.id: n for n in world.networks}
        self._deals = {(d.brand, d.network): d for d in world.deals}
        self._plain = {
            (v.brand, n.id): partnership.terms(n, v.brand, None)
            for v in world.vehicles
            for n in world.networks
        }
        self._terms: dict[tuple[str, str, bool, bool], partnership.Terms] = {}
        self.allowance_used_kwh: dict[tuple[int, int, str], float] = {}
        """kWh of allowance used, by (vehicle index, driver, network)."""
        self.last_perk_s: dict[tuple[int, int, str], float] = {}
        """The arrival of the last session a fine-printed perk paid for, by (vehicle index,
        driver, network)."""

    def terms(self, visit: Visit, network_id: str) -> partnership.Terms:
        """What applies to this driver at this network."""
        brand = visit.vehicle.brand
        deal = self._deals.get((brand, network_id))
        if deal is None:
            return self._plain[(brand, network_id)]
        is_enrolled = enrolled(deal, visit.driver)
        refused = is_enrolled and self._too_soon(visit, deal)
        key = (brand, network_id, is_enrolled, refused)
        t = self._terms.get(key)
        if t is None:
            network = self._networks[network_id]
            t = partnership.terms(network, brand, deal if is_enrolled else None, refused=refused)
            self._terms[key] = t
        return t

    def _too_soon(self, visit: Visit, deal: Deal) -> bool:
        """The fine print refuses the perk: the driver's last one is less than
        min_interval_s old at this arrival."""
        interval_s = deal.min_interval_s
        if interval_s is None:
            return False
        last_s = self.last_perk_s.get((visit.vehicle.index, visit.driver, deal.network))
        return last_s is not None and visit.arrival_s - last_s < interval_s

    def allowance_left(self, visit: Visit, t: partnership.Terms) -> float:
        """kWh of the deal's allowance this driver has not used yet (0 without one)."""
        deal = t.deal
        if deal is None or deal.allowance_kwh is None:
            return 0.0
        used = self.allowance_used_kwh.get((visit.vehicle.index, visit.driver, deal.network), 0.0)
        return max(0.0, deal.allowance_kwh - used)

    def bill(self, visit: Visit, network_id: str, idle_s: float) -> partnership.Bill:
        """The bill of a finished session, its allowance booked against the driver."""
        terms = visit.terms
        assert terms is not None
        b = partnership.bill(
            self._networks[network_id],
            terms,
            visit.energy_kwh,
            idle_s / 60.0,
            self.allowance_left(visit, terms),
        )
        deal = terms.deal
        if deal is not None and deal.min_interval_s is not None and terms.perk:
            self.last_perk_s[(visit.vehicle.index, visit.driver, deal.network)] = visit.arrival_s
        if b.allowance_used_kwh > 0 and terms.deal is not None:
            key = (visit.vehicle.index, visit.driver, terms.deal.network)
            self.allowance_used_kwh[key] = (
                self.allowance_used_kwh.get(key, 0.0) + b.allowance_used_kwh
            )
        return b
