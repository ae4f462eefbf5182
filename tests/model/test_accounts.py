"""Terms per driver and network, and the allowance ledger."""

from __future__ import annotations

import pytest

from simulator.model.accounts import Accounts
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
