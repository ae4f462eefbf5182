"""The sessions as columns: each field a numpy array, read from the records once.

The summary measures every session in several groups (totals, network, site, brand, port and
the partner splits). Reading each group's fields from its records again costs a pass over
Python objects per field and group, which slows per session once a long run's records outgrow
the CPU's cache (a 280-day run's summary: 0.6 times the rate of a 28-day one). Here the fields
are read once and a group is an array of row numbers.

`driver_metrics(columns, rows)` is `metrics.session_metrics` of those rows, value for value:
the same elementwise arithmetic, and every sum a sequential one (`np.cumsum`'s last element:
the left-to-right sum that Python 3.11's `sum()` of floats makes), not numpy's pairwise sum.
tests/reports/test_session_columns.py holds the two equal on real runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simulator.model.records import Outcome, SessionRecord
from simulator.reports.metrics import DriverMetrics, wait_distribution

__all__ = ["SessionColumns", "columns", "driver_metrics"]

_CODE = {o: i for i, o in enumerate(Outcome)}
_SERVED, _TURNED_AWAY, _GAVE_UP, _ON_SITE, _RETRIED = (
    _CODE[o]
    for o in (
        Outcome.SERVED,
        Outcome.TURNED_AWAY,
        Outcome.GAVE_UP,
        Outcome.ON_SITE,
        Outcome.RETRIED,
    )
)


@dataclass(frozen=True, slots=True)
class SessionColumns:
    """One entry per session, in the records' order."""

    outcome: np.ndarray
    """The index of each session's Outcome in the enum's order."""
    wait_s: np.ndarray
    charge_s: np.ndarray
    """charge_end_s - start_s"""
    energy_kwh: np.ndarray
    energy_cost: np.ndarray
    idle_fee: np.ndarray
    roaming_fee: np.ndarray
    settlement: np.ndarray
    perk_value: np.ndarray
    revenue: np.ndarray
    """energy_cost + idle_fee + settlement, added in that order"""
    price_paid: np.ndarray
    """energy_cost + idle_fee + roaming_fee, added in that order (SessionRecord.price_paid)"""
    free: np.ndarray
    partner: np.ndarray


def columns(sessions: Sequence[SessionRecord]) -> SessionColumns:
    def col(field: str) -> np.ndarray:
        return np.array([getattr(s, field) for s in sessions], dtype=float)

    cost, idle, roaming = col("energy_cost"), col("idle_fee"), col("roaming_fee")
    settlement = col("settlement")
    return SessionColumns(
        outcome=np.array([_CODE[s.outcome] for s in sessions], dtype=np.int8),
        wait_s=col("wait_s"),
        charge_s=col("charge_end_s") - col("start_s"),
        energy_kwh=col("energy_kwh"),
        energy_cost=cost,
        idle_fee=idle,
        roaming_fee=roaming,
        settlement=settlement,
        perk_value=col("perk_value"),
        revenue=cost + idle + settlement,
        price_paid=cost + idle + roaming,
        free=np.array([s.free for s in sessions], dtype=bool),
        partner=np.array([s.partner for s in sessions], dtype=bool),
    )


def _sum(values: np.ndarray) -> float:
    """The sequential sum (0 of nothing, as `sum()` gives)."""
    return float(np.cumsum(values)[-1]) if len(values) else 0


def driver_metrics(c: SessionColumns, rows: np.ndarray) -> DriverMetrics:
    """`metrics.session_metrics` of the sessions at these rows (in this order)."""
    outcome = c.outcome[rows]
    retried = int(np.count_nonzero(outcome == _RETRIED))
    arrivals = len(rows) - retried
    served = outcome == _SERVED
    n_served = int(np.count_nonzero(served))
    turned_away = int(np.count_nonzero(outcome == _TURNED_AWAY))
    gave_up = int(np.count_nonzero(outcome == _GAVE_UP))
    on_site = int(np.count_nonzero(outcome == _ON_SITE))
    # the wait of everyone who joined a site: served, gave up, or still there
    joined = (outcome != _TURNED_AWAY) & (outcome != _RETRIED)
    waits_min = c.wait_s[rows][joined] / 60.0
    any_joined = len(waits_min) > 0
    energy = c.energy_kwh[rows]
    return DriverMetrics(
        arrivals=arrivals,
        served=n_served,
        turned_away=turned_away,
        gave_up=gave_up,
        on_site_at_end=on_site,
        turned_away_share=turned_away / arrivals if arrivals else 0.0,
        gave_up_share=gave_up / arrivals if arrivals else 0.0,
        p_wait=float(np.mean(waits_min > 0)) if any_joined else 0.0,
        mean_wait_min=float(waits_min.mean()) if any_joined else 0.0,
        p95_wait_min=float(np.percentile(waits_min, 95)) if any_joined else 0.0,
        wait_distribution=tuple(wait_distribution(waits_min)),
        mean_charge_min=float(np.mean(c.charge_s[rows][served] / 60.0)) if n_served else 0.0,
        mean_energy_per_session_kwh=_sum(energy[served]) / n_served if n_served else 0.0,
        energy_kwh=_sum(energy),
        driver_spend=_sum(c.price_paid[rows]),
        energy_revenue=_sum(c.energy_cost[rows]),
        idle_fees=_sum(c.idle_fee[rows]),
        roaming_fees=_sum(c.roaming_fee[rows]),
        settlements=_sum(c.settlement[rows]),
        revenue=_sum(c.revenue[rows]),
        perks_given=_sum(c.perk_value[rows]),
        free_sessions=int(np.count_nonzero(served & c.free[rows])),
    )
