"""Terms per driver and network, and the allowance ledger."""

from __future__ import annotations

import pytest

from simulator.model.accounts import Accounts
from simulator.model.partnership import Bill, is_free
from simulator.model.visit import Visit
from tests.model.worlds import visit, world

ALLOWANCE = [
    {"brand": "V", "network": "n", "perk": "allowance", "allowance_kwh": 50, "eligible_share": 1}
]


def test_a_brand_without_a_deal_gets_the_networks_plain_terms() -> None:
    w = world()
    accounts = Accounts(w)
    t = accounts.terms(visit(w), "n")
    assert (t.deal, t.partner, t.list_price_per_kwh) == (None, False, 0.5)
    assert accounts.allowance_left(visit(w), t) == 0.0


def test_an_allowance_is_used_up_by_the_drivers_own_sessions_only() -> None:
    w = world(deals=ALLOWANCE)
    accounts = Accounts(w)
    mine, other = visit(w, driver=1), visit(w, driver=2)
    t = mine.terms = accounts.terms(mine, "n")
    assert t.deal is not None
    assert accounts.allowance_left(mine, t) == 50.0
    mine.energy_kwh = 30.0
    bill = accounts.bill(mine, "n", idle_s=0.0)
    assert bill.allowance_used_kwh == pytest.approx(30.0)
    assert bill.energy_cost == 0.0
    assert accounts.allowance_left(mine, t) == pytest.approx(20.0)
    assert accounts.allowance_left(other, accounts.terms(other, "n")) == 50.0
    mine.energy_kwh = 30.0
    bill = accounts.bill(mine, "n", idle_s=0.0)  # 20 kWh free, 10 kWh at the list price
    assert bill.energy_cost == pytest.approx(10 * 0.5)
    assert accounts.allowance_left(mine, t) == 0.0


def fine_printed(**terms: object) -> list[dict[str, object]]:
    deal = {"brand": "V", "network": "n", "perk": "complimentary", "min_interval_min": 60}
    return [{**deal, **terms}]


def served(accounts: Accounts, v: Visit, energy_kwh: float = 10.0) -> Bill:
    v.terms = accounts.terms(v, "n")
    v.energy_kwh = energy_kwh
    return accounts.bill(v, "n", idle_s=0.0)


def test_the_fine_print_refuses_a_free_session_inside_the_interval_and_grants_it_after() -> None:
    w = world(
        deals=fine_printed(price_per_kwh=0.3, settlement="per_session", settlement_per_session=2.0)
    )
    accounts = Accounts(w)
    first = served(accounts, visit(w, at_s=0.0, driver=1))
    assert (first.energy_cost, first.settlement) == (0.0, 2.0)
    soon = visit(w, at_s=30 * 60.0, driver=1)
    t = accounts.terms(soon, "n")
    assert t.refused
    assert t.partner
    assert not t.perk
    assert not is_free(t, 0.0)
    bill = served(accounts, soon)
    assert bill.energy_cost == pytest.approx(10 * 0.3)  # the deal's price, not the list's
    assert bill.settlement == 0.0
    # the refused session starts no interval: 60 min after the first, the perk is back
    later = served(accounts, visit(w, at_s=60 * 60.0, driver=1))
    assert (later.energy_cost, later.settlement) == (0.0, 2.0)
    # ... and the interval is the driver's own
    assert not accounts.terms(visit(w, at_s=61 * 60.0, driver=2), "n").refused
    assert accounts.terms(visit(w, at_s=61 * 60.0, driver=1), "n").refused


def test_a_refused_session_without_a_deal_price_pays_the_list_price() -> None:
    w = world(deals=fine_printed())
    accounts = Accounts(w)
    served(accounts, visit(w, at_s=0.0))
    bill = served(accounts, visit(w, at_s=59 * 60.0))
    assert bill.energy_cost == pytest.approx(10 * 0.5)
    assert bill.perk_value == 0.0


def test_a_deal_without_fine_print_grants_every_session() -> None:
    w = world(deals=[{"brand": "V", "network": "n", "perk": "complimentary"}])
    accounts = Accounts(w)
    served(accounts, visit(w, at_s=0.0))
    assert not accounts.terms(visit(w, at_s=60.0), "n").refused
