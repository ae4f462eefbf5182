"""A site's grid limit in the fast engine: the site's ports share it by policy.grid.

The allocation is recomputed at each charge start on the site (before the new car's profile
is built, so it starts at its share), at each charge end, and at each change of the site's
scheduled limit; each charging port whose share changed gets it through
`Charging.set_grid_share` (a port draws at most the lower of its share and its charging
profiles' limit). Between those instants the shares hold: a car that tapers below its
share leaves the difference unused until the next recomputation.

A car's demand is the most it can draw on its port over the rest of its charge: min(port
rating, its charging profiles' limit, peak x the curve's highest fraction between its SoC
now and its target).

Against the built-in central system (`report` given) the site does not allocate: at the same
instants it reports its charging ports' demands and the schedule's period in force
(`requests.SiteNeeds`), and the central system applies the same policy and sends each share
as a TxProfile, which the charge points' smart charging turns into the same
`set_grid_share` calls (simulator.model.smart_charging). A starting car goes on once the
report is answered, so it starts at its share, as here.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from policy.grid import Demand, allocate, to_w
from simulator.model.events import Timer
from simulator.model.legs import soc_now
from simulator.model.requests import SiteNeed, SiteNeeds
from simulator.model.world import DAY_S

if TYPE_CHECKING:
    import simpy
    from simpy.events import Event

    from simulator.model.curve import Curve
    from simulator.model.port import ChargePoint
    from simulator.model.site import Site
    from simulator.model.visit import Visit
    from simulator.model.world import GridLimit

__all__ = ["OTHERS", "PARTNER", "Report", "SiteGrid", "before_start", "demand_kw", "peak_fraction"]

Report = Callable[["ChargePoint", SiteNeeds, Callable[[], None]], None]
"""`Resolver.site_needs`: hand the report over from the port; call back once answered."""

PARTNER, OTHERS = 0, 1
"""The classes of the priority policy: a partner network's members (or deal holders) first."""


def peak_fraction(curve: Curve, soc_from: float, soc_to: float) -> float:
    """The curve's highest fraction of peak power between two SoCs (linear between its
    breakpoints, flat beyond its ends)."""
    socs, fractions = curve.soc, curve.fraction
    if len(socs) == 1:  # flat
        return fractions[0]
    best = max(_fraction(curve, soc_from), _fraction(curve, soc_to))
    for s, f in zip(socs, fractions, strict=True):
        if soc_from < s < soc_to and f > best:
            best = f
    return best


def _fraction(curve: Curve, soc: float) -> float:
    socs, fractions = curve.soc, curve.fraction
    if soc <= socs[0]:
        return fractions[0]
    for i in range(1, len(socs)):
        if soc <= socs[i]:
            s0, s1, f0, f1 = socs[i - 1], socs[i], fractions[i - 1], fractions[i]
            return f0 + (f1 - f0) * (soc - s0) / (s1 - s0)
    return fractions[-1]


def demand_kw(port: ChargePoint, visit: Visit, soc: float) -> float:
    """The most the visit's car can draw on the port from `soc` to its target."""
    vehicle = visit.vehicle
    car_kw = vehicle.peak_kw * peak_fraction(vehicle.curve, soc, visit.target_soc)
    # a charging profile's limit caps what the car can take as much as the rating does
    profile_kw = port.profile_kw
    rating_kw = port.power_kw if profile_kw is None else min(port.power_kw, profile_kw)
    if visit.adapter_kw:  # and so does the car's adapter (vehicles' adapter_kw)
        rating_kw = min(rating_kw, visit.adapter_kw)
    return min(rating_kw, car_kw)


class SiteGrid:
    """One site's grid limit while the run goes on; `set_limit` is Charging.set_grid_share."""

    __slots__ = (
        "_day",
        "_next",
        "env",
        "limit",
        "limit_kw",
        "period",
        "report",
        "set_limit",
        "site",
        "start_of_day_s",
    )

    def __init__(
        self,
        env: simpy.Environment,
        site: Site,
        limit: GridLimit,
        set_limit: Callable[[ChargePoint, float | None], None],
        start_of_day_s: float,
        report: Report | None = None,
    ) -> None:
        self.env = env
        self.report = report
        """None: the model allocates (the fast engine); else the central system does."""
        self.site = site
        self.limit = limit
        self.set_limit = set_limit
        self.start_of_day_s = start_of_day_s
        """The time of day at t = 0 (simulation.start's clock)."""
        self.limit_kw = limit.kw_at(start_of_day_s)
        later = [i for i, (from_s, _) in enumerate(limit.periods) if from_s > start_of_day_s]
        self._next = later[0] if later else 0
        """The period that starts next, on day `_day` (0: the day the run starts)."""
        self.period = (self._next - 1) % len(limit.periods)
        """The period in force (its index in `limit.periods`)."""
        self._day = 0 if later else 1
        if len(limit.periods) > 1:
            self._next_period()

    def rebalance(
        self, starting: Visit | None = None, then: Callable[[], None] | None = None
    ) -> None:
        """Share the limit among the ports that charge now, and `starting`'s port (its car
        about to charge); each port whose share changed gets its new limit; then `then`
        (at once here, once the report is answered against a central system)."""
        now = self.env.now
        charging: list[tuple[ChargePoint, Visit]] = []
        demands: list[Demand] = []
        for port in self.site.ports:
            visit = port.visit
            if port.charging and visit is not None and visit.profile is not None:
                charging.append((port, visit))
                # a flat curve's demand does not depend on the SoC
                soc = 0.0 if visit.vehicle.curve.is_flat else soc_now(visit, now)
                demands.append(Demand(port.id, to_w(demand_kw(port, visit, soc)), _priority(visit)))
        if starting is not None and starting.port is not None:
            port = starting.port
            charging.append((port, starting))
            kw = demand_kw(port, starting, starting.soc_start)
            demands.append(Demand(port.id, to_w(kw), _priority(starting)))
        if self.report is not None:
            self._report(charging, demands, starting, then)
            return
        shares = allocate(self.limit.policy, to_w(self.limit_kw), demands)
        for port, _ in charging:
            kw = shares[port.id] / 1000.0
            if port.grid_kw != kw:
                self.set_limit(port, kw)
        if then is not None:
            then()

    def _report(
        self,
        charging: list[tuple[ChargePoint, Visit]],
        demands: list[Demand],
        starting: Visit | None,
        then: Callable[[], None] | None,
    ) -> None:
        """Hand the demands to the central system from the site's first port (its local
        controller); the starting car waits for the answer, by which the shares are in."""
        assert self.report is not None
        needs = tuple(
            SiteNeed(p.id, v.connector, d.max_w, d.priority)
            for (p, v), d in zip(charging, demands, strict=True)
        )
        start_id = None if starting is None or starting.port is None else starting.port.id
        report = SiteNeeds(self.site.id, self.period, needs, start_id, self.env.now)
        self.report(self.site.ports[0], report, then or _nothing)

    def _next_period(self) -> None:
        """Wait for the next change of the scheduled limit (absolute instants, so no drift
        builds up over the days), apply it, and wait for the one after."""
        periods = self.limit.periods
        from_s, _ = periods[self._next]
        at_s = self._day * DAY_S + from_s - self.start_of_day_s
        Timer(self.env, max(0.0, at_s - self.env.now), self._period_starts)

    def _period_starts(self, _: Event) -> None:
        periods = self.limit.periods
        kw = periods[self._next][1]
        self.period = self._next
        self._next += 1
        if self._next == len(periods):
            self._next = 0
            self._day += 1
        if kw != self.limit_kw:
            self.limit_kw = kw
            self.rebalance()
        self._next_period()


def before_start(
    grid: SiteGrid | None,
    start: Callable[[Visit, ChargePoint, bool], None],
    visit: Visit,
    port: ChargePoint,
    stop_now: bool,
) -> None:
    """Share the site's limit anew with `visit`'s car about to start on `port`, then start it
    (`start`: at once without a grid limit or in the fast engine, once the report is answered
    against a central system; nothing is allocated for a site without a limit)."""
    if grid is None:
        start(visit, port, stop_now)
    else:
        grid.rebalance(visit, partial(start, visit, port, stop_now))


def _nothing() -> None:
    pass


def _priority(visit: Visit) -> int:
    terms = visit.terms
    return PARTNER if terms is not None and terms.partner else OTHERS
