"""Site choice as pure functions of what the driver sees: no SimPy, no state changed."""

from __future__ import annotations

from simulator.model.accounts import Accounts
from simulator.model.choice import Corridor, balks, choose, free_port, predicted_wait_s
from simulator.model.site import PRIOR_OCCUPANCY_S, Site
from tests.model.worlds import visit, world


def corridor_of(**kwargs: object) -> tuple[Corridor, list[Site], Accounts]:
    w = world(**kwargs)  # type: ignore[arg-type]
    sites = [Site(s) for s in w.sites]
    return Corridor(w, sites), sites, Accounts(w)


def test_the_free_port_is_the_most_powerful_fit_and_among_equals_the_plainest() -> None:
    _, [site], _ = corridor_of(
        ports=[
            {"power_kw": 50, "connectors": ["CCS1"]},
            {"power_kw": 150, "connectors": ["CCS1", "CHAdeMO"]},
            {"power_kw": 150, "connectors": ["CCS1"]},
        ]
    )
    v = visit(world())
    assert free_port(site, v) is site.ports[2]
    site.free.remove(site.ports[2])
    assert free_port(site, v) is site.ports[1]
    site.free.clear()
    assert free_port(site, v) is None


def test_the_predicted_wait_is_zero_with_a_free_port_and_grows_with_the_queue() -> None:
    corridor, [site], _ = corridor_of(ports=[{"power_kw": 100, "connectors": ["CCS1"], "count": 2}])
    w = world()
    v = visit(w)
    assert predicted_wait_s(corridor, site, v) == 0.0
    site.free.clear()
    assert predicted_wait_s(corridor, site, v) == PRIOR_OCCUPANCY_S / 2
    site.queue.extend([visit(w, driver=1), visit(w, driver=2)])
    assert predicted_wait_s(corridor, site, v) == 3 * PRIOR_OCCUPANCY_S / 2


def test_a_driver_balks_at_a_long_queue_or_a_long_predicted_wait() -> None:
    corridor, [site], _ = corridor_of(drivers={"balk_queue_length": 2, "balk_wait_min": 45})
    w = world()
    v = visit(w)
    site.free.clear()
    assert not balks(corridor, site, v)  # 30 min predicted, nobody queueing
    site.queue.append(visit(w, driver=1))
    assert balks(corridor, site, v)  # 60 min predicted
    corridor, [site], _ = corridor_of(drivers={"balk_queue_length": 1})
    site.queue.append(visit(w, driver=1))
    assert balks(corridor, site, v)


def test_the_first_rule_takes_the_nearest_site_and_the_logit_spreads_by_the_uniform() -> None:
    w = world(sites=3, drivers={"choice": {"rule": "first"}})
    corridor, sites, accounts = corridor_of(sites=3, drivers={"choice": {"rule": "first"}})
    here = visit(w, location=0.5)  # position int(0.5 * 3) = 1
    chosen = choose(corridor, accounts, here, 0.0)
    assert chosen is not None
    assert chosen[0] is sites[1]
    corridor, sites, accounts = corridor_of(sites=3)
    picks = set()
    for u in (0.0, 0.5, 0.999999):
        chosen = choose(corridor, accounts, visit(w, location=0.5, u_choice=u), 0.0)
        assert chosen is not None
        picks.add(chosen[0].index)
    assert len(picks) > 1  # the logit weighs more than one site


def test_choice_changes_nothing_it_reads() -> None:
    corridor, sites, accounts = corridor_of(sites=2)
    before = [(list(s.free), list(s.queue), s.on_site, s.occupancy_total_s) for s in sites]
    v = visit(world(sites=2), location=0.3)
    for _ in range(3):
        choose(corridor, accounts, v, 0.0)
        balks(corridor, sites[0], v)
    after = [(list(s.free), list(s.queue), s.on_site, s.occupancy_total_s) for s in sites]
    assert after == before
    assert v.site is None
    assert v.terms is None


def test_nobody_is_admitted_to_a_members_only_network_before_it_opens() -> None:
    open_from_day = 0.5
    corridor, _, accounts = corridor_of(
        network={"access": "members_only", "members": ["X"], "open_from_day": open_from_day}
    )
    v = visit(world())
    assert choose(corridor, accounts, v, 0.0) is None
    assert choose(corridor, accounts, v, open_from_day * 86_400.0) is not None
