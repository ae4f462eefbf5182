"""The summary document's schema (summary.json): the pydantic models that name and document
every key, and refuse a metric they do not know. `Metrics` is checked against the metric
catalogue (`simulator.reports.catalogue`) at import, and filled from the typed values of
`simulator.reports.metrics` through it (which is where `uptime` becomes `uptime_pct`, x 100).
simulator.reports.summary computes the document; this module only says what it holds.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from simulator.reports import grid as gr
from simulator.reports.catalogue import CATALOGUE, check_fields, document_values
from simulator.reports.metrics import DriverMetrics, PortMetrics

__all__ = [
    "DIGITS",
    "MEASURED_FROM",
    "ONE_RUN_INTERVALS",
    "ChargeX",
    "ChargeXMetrics",
    "DayByDay",
    "DayMetrics",
    "FinePrint",
    "Method",
    "Metrics",
    "Summary",
    "UseSpec",
    "UseSpecMetrics",
    "metrics_from",
]

DIGITS = 6

DIGITS = 6


class Metrics(BaseModel):
    """What drivers experienced (all groups) and how ports were used (groups of ports)."""

    model_config = ConfigDict(extra="forbid")

    arrivals: int
    served: int
    turned_away: int
    gave_up: int
    on_site_at_end: int
    turned_away_share: float
    gave_up_share: float
    p_wait: float
    mean_wait_min: float
    p95_wait_min: float
    wait_distribution: list[float]
    """Shares of the drivers who joined a site by wait: no wait, 0–5, 5–10, 10–15, 15–20,
    20–30, 30–45, 45–60 and over 60 minutes."""
    mean_charge_min: float
    mean_energy_per_session_kwh: float
    energy_kwh: float
    driver_spend: float
    energy_revenue: float
    idle_fees: float
    roaming_fees: float
    settlements: float
    revenue: float
    perks_given: float
    free_sessions: int
    # groups of ports only
    ports: int | None = None
    occupancy_utilization: float | None = None
    dispensing_utilization: float | None = None
    energy_utilization: float | None = None
    uptime_pct: float | None = None
    sessions_per_port_per_day: float | None = None
    kwh_per_port_per_day: float | None = None
    dispensed_kwh: float | None = None
    peak_kw: float | None = None
    hourly_occupancy: list[float] | None = None
    network: str | None = None
    partner: Metrics | None = None
    non_partner: Metrics | None = None


check_fields(
    Metrics, tuple(CATALOGUE.values()), keys=True, then=("network", "partner", "non_partner")
)


def metrics_from(drivers: DriverMetrics, ports: PortMetrics | None = None) -> Metrics:
    values = document_values(drivers)
    if ports is not None:
        values |= document_values(ports)
    return Metrics(**values)


class UseSpecMetrics(BaseModel):
    """The EV Charging Use Specification's measures of a group of ports (simulator.reports.
    use_spec): its metric names, hours and percent."""

    model_config = ConfigDict(extra="forbid")

    ports: int
    session_count: int
    energy_delivered_kwh: float
    time_occupied_h: float
    time_charging_h: float
    time_idle_h: float
    available_h: float
    occupied_utilization_rate_pct: float
    station_utilization_rate_pct: float
    idle_utilization_rate_pct: float
    capacity_factor_pct: float
    site_congestion_rate_pct: float | None = None
    """Sites; the mean over its sites for a network and the totals; not for a port."""


class UseSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    specification: str
    operating_hours: float
    totals: UseSpecMetrics
    networks: dict[str, UseSpecMetrics]
    sites: dict[str, UseSpecMetrics]
    ports: dict[str, UseSpecMetrics]


class ChargeXMetrics(BaseModel):
    """ChargeX's customer-focused KPIs of a group's visits (simulator.reports.chargex)."""

    model_config = ConfigDict(extra="forbid")

    visits: int
    visits_with_attempt: int
    attempts: int
    first_attempt_successes: int
    troubled_successes: int
    visits_without_charge: int
    first_attempt_success_rate_pct: float
    attempts_per_visit: float
    visits_without_charge_pct: float
    without_charge_reasons: dict[str, int]


class ChargeX(BaseModel):
    model_config = ConfigDict(extra="forbid")

    definition: str
    totals: ChargeXMetrics
    networks: dict[str, ChargeXMetrics]
    sites: dict[str, ChargeXMetrics]
    brands: dict[str, ChargeXMetrics]


class Method(BaseModel):
    """How the numbers were made, as far as the same scenario and seed always give it: the
    engine, version, run time and machine vary between runs and are in method.json
    (simulator.reports.method), never here."""

    model_config = ConfigDict(extra="forbid")

    seeds: list[int]
    replications: int
    warmup_days: float
    horizon_days: float
    measured_days: float
    measured_from: str
    """Arrivals from the warm-up on; port time, energy and power clipped to the window."""
    intervals: str


class FinePrint(BaseModel):
    """A deal with fine print (deals.min_interval_min): the served sessions after the warm-up
    its perk paid for and those it refused (the driver paid)."""

    model_config = ConfigDict(extra="forbid")

    brand: str
    network: str
    min_interval_min: float
    granted: int
    refused: int


class Summary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenario: str
    seed: int
    days: float
    warmup_days: float
    totals: Metrics
    networks: dict[str, Metrics]
    sites: dict[str, Metrics]
    brands: dict[str, Metrics]
    ports: dict[str, Metrics]
    ev_charging_use_spec: UseSpec | None = None
    chargex: ChargeX | None = None
    grid: gr.Grid | None = None
    """What the sites' grid limits (and charging profiles) did: only when there were any."""
    method: Method | None = None
    network_names: dict[str, str] | None = None
    """Each network's display name (the scenario's `name`, else its id), by id."""
    day_by_day: DayByDay | None = None
    perk_fine_print: list[FinePrint] | None = None
    """Only in a run with a deal that has fine print."""


class DayMetrics(BaseModel):
    """A group of ports day by day (simulator.reports.over_time): one entry a day."""

    model_config = ConfigDict(extra="forbid")

    occupancy: list[float]
    mean_waiting: list[float]
    max_waiting: list[int]


class DayByDay(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: list[float]
    """Each day's start, in days from the end of the warm-up (the last may be partial)."""
    totals: DayMetrics
    networks: dict[str, DayMetrics]


MEASURED_FROM = (
    "arrivals after the warm-up, port time and energy clipped to the window; use-spec "
    "sessions by plug-in time"
)
ONE_RUN_INTERVALS = "none: one run (chargenet compare and sweep give 95% intervals)"
