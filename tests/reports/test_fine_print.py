"""summary.json's perk_fine_print: a fine-printed deal's granted and refused sessions, from a
real run of the model (three visits of one driver, the middle one inside the interval)."""

from __future__ import annotations

from simulator.model.simulation import Simulation
from simulator.reports.summary import port_infos, summarize, to_json
from tests.model.worlds import arrive_at, visit, world

DEAL = {"brand": "V", "network": "n", "perk": "complimentary", "min_interval_min": 60}


def test_the_summary_counts_the_sessions_the_fine_print_granted_and_refused() -> None:
    w = world(deals=[DEAL])
    sim = Simulation(w)
    for minute in (0, 40, 70):  # each charge lasts 21.6 min: the port is free again
        arrive_at(sim, visit(w, at_s=minute * 60.0, driver=3))
    records = sim.run()
    assert [(s.free, s.perk_refused) for s in records.sessions] == [
        (True, False),
        (False, True),
        (True, False),
    ]
    summary = summarize(records, port_infos(w), scenario="unit", seed=1, deals=w.deals)
    assert summary.perk_fine_print is not None
    [deal] = summary.perk_fine_print
    assert (deal.brand, deal.network, deal.min_interval_min) == ("V", "n", 60.0)
    assert (deal.granted, deal.refused) == (2, 1)
    assert summary.totals.free_sessions == 2


def test_a_run_without_fine_print_has_no_such_block() -> None:
    w = world(deals=[{k: v for k, v in DEAL.items() if k != "min_interval_min"}])
    sim = Simulation(w)
    arrive_at(sim, visit(w, at_s=0.0))
    summary = summarize(sim.run(), port_infos(w), scenario="unit", seed=1, deals=w.deals)
    assert summary.perk_fine_print is None
    assert "perk_fine_print" not in to_json(summary)
