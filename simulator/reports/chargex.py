"""ChargeX's customer-focused KPIs (Customer-Focused Key Performance Indicators for Electric
Vehicle Charging, ChargeX consortium / INL, 2024) as far as the records allow: first-attempt
success rate, attempts per visit and visits without a charge. Pure functions of the records.

- A *visit* is one driver's stop at a charging site: every session record of one arrival (the
  same arrival time, vehicle and driver) at a site. Drivers who found no site they may use never
  visited one and are not counted; a visit still open when the run ends is undecided and left
  out.
- An *attempt* is a try to charge on a port: a record of the visit that plugged in. Without an
  `[attempts]` section a visit makes at most one; with it (simulator.model.attempts) every try
  is a record of its own, with its port and, when it failed, a `<cause>_failed` reason and the
  outcome `retried` (the driver tried again) or `turned_away` (their last), counted attempt by
  attempt in plug-in order.
- An attempt *succeeds* when energy flowed (more than `MIN_ENERGY_KWH`, as the ChargeX interim
  KPI calculator counts) and the session ended as expected: its stop reason is one of
  `SUCCESSFUL_STOP_REASONS` (a stop by the fault of a port, a reset or a de-authorization is a
  failed attempt). A visit succeeds when one of its attempts does (ChargeX's visit success).
- *Visits without a charge* are the visits with no successful attempt, by the reason of their
  last record: turned away at the site (`queue_full`, `balked`), left the queue (`reneged`),
  refused authorization (`authorization_<status>`), a failed last try (`handshake_failed`,
  `payment_failed`, `communication_failed`), the port failed (`PowerLoss`), ...

First-attempt success rate and attempts per visit divide by the visits that plugged in at least
once (the visits a charger's log sees, which ChargeX's KPIs are computed from); the share of
visits without a charge divides by every visit, as J.D. Power's "visit without a charge" does.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from simulator.model.records import Outcome, SessionRecord

__all__ = [
    "DEFINITION",
    "MIN_ENERGY_KWH",
    "SUCCESSFUL_STOP_REASONS",
    "ChargeXMeasures",
    "attempt_succeeded",
    "grouped",
    "measures",
    "visits",
]

DEFINITION = (
    "ChargeX customer-focused KPIs (ChargeX consortium, INL 2024): visits to a site, attempts "
    "on a port, success when energy flowed and the session ended as expected"
)
MIN_ENERGY_KWH = 0.1
SUCCESSFUL_STOP_REASONS = frozenset({"Local", "Remote", "EVDisconnected", "Other"})
"""Sessions that ended as expected: the driver's own stop or target reached, a remote stop, the
car unplugged, and chargenet's `Other`, a perk's session cap reached (the terms' end)."""


@dataclass(frozen=True, slots=True)
class ChargeXMeasures:
    visits: int
    visits_with_attempt: int
    """Visits that plugged in at least once: what a charger's log sees, and what ChargeX's
    first-attempt success rate and attempts per visit divide by."""
    attempts: int
    first_attempt_successes: int
    troubled_successes: int
    """Visits that got a charge after more than one attempt."""
    visits_without_charge: int
    first_attempt_success_rate: float
    """first_attempt_successes / visits_with_attempt"""
    attempts_per_visit: float
    """attempts / visits_with_attempt"""
    visits_without_charge_share: float
    """visits_without_charge / visits (every visit, whether it plugged in or not)"""
    without_charge_reasons: tuple[tuple[str, int], ...]
    """(reason, visits) for the visits without a charge, most frequent first."""


VisitKey = tuple[float, str, int]


def visits(sessions: Iterable[SessionRecord]) -> list[list[SessionRecord]]:
    """The decided visits to a site among these records, each its records in plug-in order."""
    by_visit: dict[VisitKey, list[SessionRecord]] = defaultdict(list)
    for s in sessions:
        if s.site:
            by_visit[(s.arrival_s, s.vehicle, s.driver)].append(s)
    out = []
    for records in by_visit.values():
        if any(r.outcome is Outcome.ON_SITE for r in records):
            continue
        out.append(sorted(records, key=lambda r: (not r.port, r.start_s)))
    return out


def attempt_succeeded(s: SessionRecord) -> bool:
    return (
        s.outcome is Outcome.SERVED
        and s.energy_kwh > MIN_ENERGY_KWH
        and s.reason in SUCCESSFUL_STOP_REASONS
    )


@dataclass(slots=True)
class _Tally:
    visits: int = 0
    tried: int = 0
    attempts: int = 0
    first: int = 0
    troubled: int = 0
    reasons: Counter[str] = dataclasses.field(default_factory=Counter)

    def add(self, records: Sequence[SessionRecord]) -> None:
        """One decided visit, its records in plug-in order."""
        tries = [r for r in records if r.port]
        self.visits += 1
        self.attempts += len(tries)
        self.tried += bool(tries)
        ok = [attempt_succeeded(r) for r in tries]
        if ok and ok[0]:
            self.first += 1
        elif any(ok):
            self.troubled += 1
        else:
            self.reasons[records[-1].reason] += 1

    def measures(self) -> ChargeXMeasures:
        n, tried, first, troubled = self.visits, self.tried, self.first, self.troubled
        without = n - first - troubled
        return ChargeXMeasures(
            visits=n,
            visits_with_attempt=tried,
            attempts=self.attempts,
            first_attempt_successes=first,
            troubled_successes=troubled,
            visits_without_charge=without,
            first_attempt_success_rate=first / tried if tried else 0.0,
            attempts_per_visit=self.attempts / tried if tried else 0.0,
            visits_without_charge_share=without / n if n else 0.0,
            without_charge_reasons=tuple(
                sorted(self.reasons.items(), key=lambda kv: (-kv[1], kv[0]))
            ),
        )


def measures(sessions: Sequence[SessionRecord]) -> ChargeXMeasures:
    """The KPIs over the visits among these records (a group's arrivals in the window)."""
    tally = _Tally()
    for records in visits(sessions):
        tally.add(records)
    return tally.measures()


Groups = tuple[
    ChargeXMeasures,
    dict[str, ChargeXMeasures],
    dict[str, ChargeXMeasures],
    dict[str, ChargeXMeasures],
]


def grouped(sessions: Sequence[SessionRecord]) -> Groups:
    """`measures` of all these records and of each network's, site's and brand's among them,
    the visits found once: (totals, networks, sites, brands), a group only where it has a
    record at a site. Each visit counts in its records' network, site and brand; a visit whose
    records are not all of one (none is, today) makes every group measure its own."""
    decided = visits(sessions)
    keys = [{(r.network, r.site, r.brand) for r in records} for records in decided]
    if any(len(k) > 1 for k in keys):
        return _each_group(sessions)
    totals = _Tally()
    by: tuple[dict[str, _Tally], ...] = (
        defaultdict(_Tally),
        defaultdict(_Tally),
        defaultdict(_Tally),
    )
    for records, key in zip(decided, keys, strict=True):
        totals.add(records)
        for tallies, name in zip(by, next(iter(key)), strict=True):
            tallies[name].add(records)
    networks, sites, brands = ({k: t.measures() for k, t in tallies.items()} for tallies in by)
    return totals.measures(), networks, sites, brands


def _each_group(sessions: Sequence[SessionRecord]) -> Groups:
    by: tuple[dict[str, list[SessionRecord]], ...] = (
        defaultdict(list),
        defaultdict(list),
        defaultdict(list),
    )
    for s in sessions:
        if s.site:
            for groups, name in zip(by, (s.network, s.site, s.brand), strict=True):
                groups[name].append(s)
    networks, sites, brands = ({k: measures(g) for k, g in groups.items()} for groups in by)
    return measures(sessions), networks, sites, brands
