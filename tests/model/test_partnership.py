"""Access, prices, perks and settlement follow the deal."""

from __future__ import annotations

import pytest

from simulator.model import partnership as pa
from simulator.model.world import Deal, Network


def network(**kw: object) -> Network:
    base: dict[str, object] = dict(
        id="ea",
        name="EA",
        members_only=False,
        members=frozenset({"VW"}),
        open_from_s=None,
        price_per_kwh=0.40,
        non_member_price_per_kwh=0.56,
        idle_fee_per_min=0.40,
        idle_grace_min=10.0,
        roaming_fee_per_kwh=0.0,
        roaming_fee_per_session=0.0,
        sites=("s",),
    )
    base.update(kw)
    return Network(**base)  # type: ignore[arg-type]


def deal(perk: str, **kw: object) -> Deal:
    base: dict[str, object] = dict(
        brand="Nissan",
        network="ea",
        perk=perk,
        eligible_share=1.0,
        session_cap_s=None,
        price_per_kwh=None,
        allowance_kwh=None,
        paid_by="Nissan",
        settlement="list_price",
        settlement_per_kwh=0.0,
        settlement_per_session=0.0,
    )
    base.update(kw)
    return Deal(**base)  # type: ignore[arg-type]


def test_members_pay_the_member_price_and_others_the_non_member_price() -> None:
    n = network()
    assert pa.bill(n, pa.terms(n, "VW", None), 10, 0, 0).energy_cost == pytest.approx(4.0)
    assert pa.bill(n, pa.terms(n, "Kia", None), 10, 0, 0).energy_cost == pytest.approx(5.6)


def test_a_members_only_network_refuses_others_until_it_opens() -> None:
    n = network(members_only=True, open_from_s=86_400.0)
    others = pa.terms(n, "Ford", None)
    assert not pa.may_use(n, others, 100.0)
    assert pa.may_use(n, others, 86_400.0)
    assert pa.may_use(n, pa.terms(n, "VW", None), 0.0)


def test_a_complimentary_session_is_free_to_the_driver_and_settled_by_the_automaker() -> None:
    n = network()
    t = pa.terms(n, "Nissan", deal("complimentary", settlement="per_kwh", settlement_per_kwh=0.3))
    b = pa.bill(n, t, 20, 0, 0)
    assert (b.energy_cost, b.settlement, b.paid_by) == (0.0, pytest.approx(6.0), "Nissan")
    assert b.perk_value == pytest.approx(20 * 0.56)
    assert pa.is_free(t, 0)


def test_an_allowance_is_free_until_used_up_then_the_member_price_applies() -> None:
    n = network()
    t = pa.terms(n, "Nissan", deal("allowance", allowance_kwh=500, price_per_kwh=0.31))
    b = pa.bill(n, t, 30, 0, allowance_left_kwh=12)
    assert b.allowance_used_kwh == 12
    assert b.energy_cost == pytest.approx(18 * 0.31)
    assert not pa.is_free(t, 0)
    assert pa.is_free(t, 1)


def test_idle_fees_apply_after_the_grace_period_even_on_free_sessions() -> None:
    n = network()
    t = pa.terms(n, "Nissan", deal("complimentary"))
    assert pa.bill(n, t, 10, 25, 0).idle_fee == pytest.approx(15 * 0.40)
    assert pa.bill(n, t, 10, 5, 0).idle_fee == 0


def test_non_members_pay_roaming_fees_to_the_hub_and_members_do_not() -> None:
    n = network(roaming_fee_per_kwh=0.05, roaming_fee_per_session=1.0)
    assert pa.bill(n, pa.terms(n, "Kia", None), 10, 0, 0).roaming_fee == pytest.approx(1.5)
    assert pa.bill(n, pa.terms(n, "VW", None), 10, 0, 0).roaming_fee == 0
