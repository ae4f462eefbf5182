"""The metric catalogue: every metric, declared once, with how it is named and shown.

`Metric` names each metric; `CATALOGUE` holds, for each, its key in summary.json, its label and
unit, the scale from the computed value to the document's number, the direction that is good,
and the group it is computed over (the drivers of a group, or its ports). The typed values the
metric functions return (`metrics.DriverMetrics`, `metrics.PortMetrics`), summary.json's schema
(`summary.Metrics`), the terminal tables, the HTML pages and the experiments' columns all come
from here; code names a metric as `Metric.P_WAIT`, so a misspelt metric fails at type-check or
import time, and `check_fields` refuses a typed value whose fields drift from the catalogue when
the module that declares it is imported.

Scales: every share is computed on 0..1. summary.json keeps them there and reports show them in
%, except `uptime_pct`, whose document number is the share x 100 (NEVI's "percent of time"),
shown as it is with the unit "% of time".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Any, Final

from simulator.reports.metrics import DriverMetrics, PortMetrics, wait_bin_labels

__all__ = [
    "BRAND_HEADLINE",
    "CATALOGUE",
    "DRIVER_METRICS",
    "HEADLINE",
    "NETWORK_HEADLINE",
    "PORT_METRICS",
    "Good",
    "Group",
    "Metric",
    "MetricInfo",
    "by_key",
    "catalogue_of",
    "check_fields",
    "document_values",
    "hourly_metric",
    "info",
    "wait_metric",
]


class Metric(Enum):
    """A metric; its value is the field name of the typed value that carries it."""

    # the drivers of a group
    ARRIVALS = "arrivals"
    SERVED = "served"
    TURNED_AWAY = "turned_away"
    GAVE_UP = "gave_up"
    ON_SITE_AT_END = "on_site_at_end"
    TURNED_AWAY_SHARE = "turned_away_share"
    GAVE_UP_SHARE = "gave_up_share"
    P_WAIT = "p_wait"
    MEAN_WAIT_MIN = "mean_wait_min"
    P95_WAIT_MIN = "p95_wait_min"
    WAIT_DISTRIBUTION = "wait_distribution"
    MEAN_CHARGE_MIN = "mean_charge_min"
    MEAN_ENERGY_PER_SESSION_KWH = "mean_energy_per_session_kwh"
    ENERGY_KWH = "energy_kwh"
    DRIVER_SPEND = "driver_spend"
    ENERGY_REVENUE = "energy_revenue"
    IDLE_FEES = "idle_fees"
    ROAMING_FEES = "roaming_fees"
    SETTLEMENTS = "settlements"
    REVENUE = "revenue"
    PERKS_GIVEN = "perks_given"
    FREE_SESSIONS = "free_sessions"
    # the ports of a group
    PORTS = "ports"
    OCCUPANCY_UTILIZATION = "occupancy_utilization"
    DISPENSING_UTILIZATION = "dispensing_utilization"
    ENERGY_UTILIZATION = "energy_utilization"
    UPTIME = "uptime"
    SESSIONS_PER_PORT_PER_DAY = "sessions_per_port_per_day"
    KWH_PER_PORT_PER_DAY = "kwh_per_port_per_day"
    DISPENSED_KWH = "dispensed_kwh"
    PEAK_KW = "peak_kw"
    HOURLY_OCCUPANCY = "hourly_occupancy"


class Group(Enum):
    """What a metric is computed over, and so which groups of summary.json carry it."""

    DRIVERS = "drivers"
    """The sessions of the drivers who arrived in the window: every group (totals, networks,
    sites, brands, ports) and the partner / non-partner split."""
    PORTS = "ports"
    """The port-state intervals and power segments of a group's ports, clipped to the window:
    groups of ports only (totals, networks, sites, ports)."""


class Good(Enum):
    """Which way a metric is better, for the network and its drivers alike."""

    HIGHER = "higher"
    LOWER = "lower"
    NEITHER = "neither"
    """Demand, a price paid, or a profile: better one way for one party, worse for another."""


@dataclass(frozen=True, slots=True)
class MetricInfo:
    metric: Metric
    label: str
    unit: str
    """'%' for a share shown in %, otherwise the unit of the number in summary.json ('' for
    counts and rates of counts)."""
    group: Group
    good: Good
    digits: int = 1
    scale: float = 1.0
    """summary.json holds the computed value x scale (100 for uptime_pct)."""
    document_key: str = ""
    """The key in summary.json, where it is not the metric's own name."""

    @property
    def key(self) -> str:
        """The metric's key in summary.json, compare.json, sweep.json and the CSV tables."""
        return self.document_key or self.metric.value

    @property
    def share(self) -> bool:
        return self.unit == "%"

    @property
    def profile(self) -> bool:
        """A list of values (a histogram or an hourly profile) rather than one number."""
        return self.metric in (Metric.WAIT_DISTRIBUTION, Metric.HOURLY_OCCUPANCY)

    @property
    def axis(self) -> str:
        """An axis label with its unit, e.g. 'mean wait (min)'."""
        return f"{self.label} ({self.unit})" if self.unit else self.label

    def document_value(self, value: Any) -> Any:
        """A computed value as summary.json holds it."""
        return value if self.scale == 1.0 else value * self.scale

    def text(self, value: float | None) -> str:
        """A number of summary.json (or an estimate of one) as a report shows it."""
        if value is None:
            return ""
        if self.share:
            return f"{100 * value:.{self.digits}f} %"
        return f"{value:,.{self.digits}f}"

    def delta(self, value: float) -> str:
        """A difference: shares in percentage points."""
        if self.share:
            return f"{100 * value:+.{self.digits}f} pp"
        return f"{value:+,.{self.digits}f}"


def _entries() -> tuple[MetricInfo, ...]:
    d, p = Group.DRIVERS, Group.PORTS
    hi, lo, no = Good.HIGHER, Good.LOWER, Good.NEITHER
    return (
        MetricInfo(Metric.ARRIVALS, "arrivals", "", d, no, 0),
        MetricInfo(Metric.SERVED, "served", "", d, hi, 0),
        MetricInfo(Metric.TURNED_AWAY, "turned away", "", d, lo, 0),
        MetricInfo(Metric.GAVE_UP, "gave up", "", d, lo, 0),
        MetricInfo(Metric.ON_SITE_AT_END, "on site at the end", "", d, no, 0),
        MetricInfo(Metric.TURNED_AWAY_SHARE, "turned away", "%", d, lo),
        MetricInfo(Metric.GAVE_UP_SHARE, "gave up", "%", d, lo),
        MetricInfo(Metric.P_WAIT, "P(wait)", "%", d, lo),
        MetricInfo(Metric.MEAN_WAIT_MIN, "mean wait", "min", d, lo, 2),
        MetricInfo(Metric.P95_WAIT_MIN, "95th percentile wait", "min", d, lo, 1),
        MetricInfo(Metric.WAIT_DISTRIBUTION, "wait-time distribution", "%", d, no),
        MetricInfo(Metric.MEAN_CHARGE_MIN, "mean charge time", "min", d, no, 1),
        MetricInfo(Metric.MEAN_ENERGY_PER_SESSION_KWH, "energy per session", "kWh", d, no, 1),
        MetricInfo(Metric.ENERGY_KWH, "energy", "kWh", d, hi, 0),
        MetricInfo(Metric.DRIVER_SPEND, "driver spend", "$", d, no, 0),
        MetricInfo(Metric.ENERGY_REVENUE, "energy revenue", "$", d, hi, 0),
        MetricInfo(Metric.IDLE_FEES, "idle fees", "$", d, no, 0),
        MetricInfo(Metric.ROAMING_FEES, "roaming fees", "$", d, lo, 0),
        MetricInfo(Metric.SETTLEMENTS, "settlements", "$", d, hi, 0),
        MetricInfo(Metric.REVENUE, "revenue", "$", d, hi, 0),
        MetricInfo(Metric.PERKS_GIVEN, "perks given", "$", d, no, 0),
        MetricInfo(Metric.FREE_SESSIONS, "free sessions", "", d, no, 0),
        MetricInfo(Metric.PORTS, "ports", "", p, no, 0),
        MetricInfo(Metric.OCCUPANCY_UTILIZATION, "occupancy", "%", p, hi),
        MetricInfo(Metric.DISPENSING_UTILIZATION, "dispensing", "%", p, hi),
        MetricInfo(Metric.ENERGY_UTILIZATION, "energy utilization", "%", p, hi),
        MetricInfo(
            Metric.UPTIME, "uptime", "% of time", p, hi, 2, scale=100.0, document_key="uptime_pct"
        ),
        MetricInfo(Metric.SESSIONS_PER_PORT_PER_DAY, "sessions per port per day", "", p, hi, 2),
        MetricInfo(Metric.KWH_PER_PORT_PER_DAY, "energy per port per day", "kWh", p, hi, 1),
        MetricInfo(Metric.DISPENSED_KWH, "dispensed energy", "kWh", p, hi, 0),
        MetricInfo(Metric.PEAK_KW, "peak power", "kW", p, lo, 0),
        MetricInfo(Metric.HOURLY_OCCUPANCY, "hourly occupancy", "%", p, no),
    )


def catalogue_of(entries: Sequence[MetricInfo]) -> Mapping[Metric, MetricInfo]:
    """Every metric exactly once, in summary.json's order."""
    out = {e.metric: e for e in entries}
    if len(out) != len(entries) or set(out) != set(Metric):
        missing = [m.name for m in Metric if m not in out]
        raise TypeError(f"the metric catalogue has no entry for {missing} or a duplicate")
    return MappingProxyType(out)


CATALOGUE: Final = catalogue_of(_entries())
DRIVER_METRICS: Final = tuple(i for i in CATALOGUE.values() if i.group is Group.DRIVERS)
PORT_METRICS: Final = tuple(i for i in CATALOGUE.values() if i.group is Group.PORTS)
_BY_KEY: Final = MappingProxyType({i.key: i for i in CATALOGUE.values()})

HEADLINE: Final = (
    Metric.OCCUPANCY_UTILIZATION,
    Metric.SESSIONS_PER_PORT_PER_DAY,
    Metric.P_WAIT,
    Metric.MEAN_WAIT_MIN,
    Metric.P95_WAIT_MIN,
    Metric.TURNED_AWAY_SHARE,
    Metric.GAVE_UP_SHARE,
    Metric.ENERGY_KWH,
    Metric.REVENUE,
    Metric.DRIVER_SPEND,
    Metric.PERKS_GIVEN,
)
"""The metrics an experiment's tables and response curves lead with."""

NETWORK_HEADLINE: Final = (
    Metric.OCCUPANCY_UTILIZATION,
    Metric.P_WAIT,
    Metric.MEAN_WAIT_MIN,
    Metric.ENERGY_KWH,
    Metric.REVENUE,
)
BRAND_HEADLINE: Final = (
    Metric.TURNED_AWAY_SHARE,
    Metric.GAVE_UP_SHARE,
    Metric.MEAN_WAIT_MIN,
    Metric.DRIVER_SPEND,
)

_HOURLY_PREFIX = "hourly_occupancy_h"
_WAIT_PREFIX = "wait_share_b"


def hourly_metric(hour: int) -> str:
    """The key of one hour of the hourly occupancy profile in experiments' tables."""
    return f"{_HOURLY_PREFIX}{hour:02d}"


def wait_metric(k: int) -> str:
    """The key of bin k of the wait-time histogram (metrics.wait_bin_labels) in experiments."""
    return f"{_WAIT_PREFIX}{k}"


def by_key(key: str) -> MetricInfo:
    """The entry of a document key (summary.json's, or an experiment's per-hour and per-bin
    keys); an unknown key is a KeyError, never a blank column."""
    if key in _BY_KEY:
        return _BY_KEY[key]
    if key.startswith(_HOURLY_PREFIX):
        hour = key.removeprefix(_HOURLY_PREFIX)
        if hour.isdigit() and int(hour) < 24:
            base = CATALOGUE[Metric.HOURLY_OCCUPANCY]
            return dataclasses.replace(base, label=f"occupancy at {hour}:00", document_key=key)
    if key.startswith(_WAIT_PREFIX):
        k = key.removeprefix(_WAIT_PREFIX)
        labels = wait_bin_labels()
        if k.isdigit() and int(k) < len(labels):
            label = labels[int(k)]
            base = CATALOGUE[Metric.WAIT_DISTRIBUTION]
            text = f"wait {label} min" if label != "no wait" else "no wait"
            return dataclasses.replace(base, label=text, document_key=key)
    raise KeyError(f"no metric {key!r} in the catalogue")


def info(metric: Metric | str) -> MetricInfo:
    """A metric's entry; a string is a document key (see `by_key`)."""
    return CATALOGUE[metric] if isinstance(metric, Metric) else by_key(metric)


def check_fields(
    cls: type, entries: Sequence[MetricInfo], *, keys: bool = False, then: Sequence[str] = ()
) -> None:
    """Refuse a type whose fields are not exactly these metrics in this order (by their names,
    or by their summary.json keys), followed by the fields `then`. Called where the type is
    declared, so that a drift fails at import."""
    names = _field_names(cls)
    expected = [*(e.key if keys else e.metric.value for e in entries), *then]
    if names != expected:
        extra = sorted(set(names) - set(expected))
        missing = [n for n in expected if n not in names]
        raise TypeError(
            f"{cls.__name__} does not match the metric catalogue: "
            f"missing {missing}, not in the catalogue {extra}, or out of order"
        )


def document_values(value: DriverMetrics | PortMetrics) -> dict[str, Any]:
    """A typed value as summary.json's key -> number (scaled where the catalogue says)."""
    entries = DRIVER_METRICS if isinstance(value, DriverMetrics) else PORT_METRICS
    return {e.key: e.document_value(getattr(value, e.metric.value)) for e in entries}


def _field_names(cls: type) -> list[str]:
    if dataclasses.is_dataclass(cls):
        return [f.name for f in dataclasses.fields(cls)]
    model_fields = getattr(cls, "model_fields", None)
    if model_fields is None:
        raise TypeError(f"{cls.__name__} is neither a dataclass nor a pydantic model")
    return list(model_fields)


check_fields(DriverMetrics, DRIVER_METRICS)
check_fields(PortMetrics, PORT_METRICS)
