"""A site's state: its ports, the free ones, and the occupancy drivers have seen."""

from __future__ import annotations

import pytest

from simulator.model.site import PRIOR_OCCUPANCY_S, Site
from tests.model.worlds import world


def test_a_site_starts_with_every_port_free_and_an_empty_queue() -> None:
    w = world(ports=[{"power_kw": 50, "connectors": ["CCS1"], "count": 3}])
    site = Site(w.sites[0])
    assert site.free == site.ports
    assert len(site.ports) == 3
    assert all(p.site is site for p in site.ports)
    assert (site.id, site.network, len(site.queue), site.on_site) == ("s", "n", 0, 0)


def test_the_mean_occupancy_starts_at_the_prior_and_learns_from_each_visit_that_left() -> None:
    site = Site(world().sites[0])
    assert site.mean_occupancy_s == PRIOR_OCCUPANCY_S
    site.on_site = 2
    site.left(600.0)
    site.left(900.0)
    assert site.on_site == 0
    assert site.mean_occupancy_s == pytest.approx((PRIOR_OCCUPANCY_S + 1500.0) / 3)
