"""How each summary metric is named and shown: a label, its unit, and whether it is a share.

Shares (0..1 in summary.json) are shown as percentages; everything else in its own unit.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.reports.metrics import wait_bin_labels


@dataclass(frozen=True, slots=True)
class MetricInfo:
    label: str
    unit: str
    """'%' for shares, otherwise the unit of the number in summary.json ('' for counts)."""
    digits: int = 1

    @property
    def share(self) -> bool:
        return self.unit == "%"

    @property
    def axis(self) -> str:
        """An axis label with its unit, e.g. 'mean wait (min)'."""
        return f"{self.label} ({self.unit})" if self.unit else self.label

    def text(self, value: float | None) -> str:
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


METRICS: dict[str, MetricInfo] = {
    "arrivals": MetricInfo("arrivals", "", 0),
    "served": MetricInfo("served", "", 0),
    "turned_away": MetricInfo("turned away", "", 0),
    "gave_up": MetricInfo("gave up", "", 0),
    "on_site_at_end": MetricInfo("on site at the end", "", 0),
    "turned_away_share": MetricInfo("turned away", "%"),
    "gave_up_share": MetricInfo("gave up", "%"),
    "p_wait": MetricInfo("P(wait)", "%"),
    "mean_wait_min": MetricInfo("mean wait", "min", 2),
    "p95_wait_min": MetricInfo("95th percentile wait", "min", 1),
    "mean_charge_min": MetricInfo("mean charge time", "min", 1),
    "mean_energy_per_session_kwh": MetricInfo("energy per session", "kWh", 1),
    "energy_kwh": MetricInfo("energy", "kWh", 0),
    "driver_spend": MetricInfo("driver spend", "$", 0),
    "energy_revenue": MetricInfo("energy revenue", "$", 0),
    "idle_fees": MetricInfo("idle fees", "$", 0),
    "roaming_fees": MetricInfo("roaming fees", "$", 0),
    "settlements": MetricInfo("settlements", "$", 0),
    "revenue": MetricInfo("revenue", "$", 0),
    "perks_given": MetricInfo("perks given", "$", 0),
    "free_sessions": MetricInfo("free sessions", "", 0),
    "ports": MetricInfo("ports", "", 0),
    "occupancy_utilization": MetricInfo("occupancy", "%"),
    "dispensing_utilization": MetricInfo("dispensing", "%"),
    "energy_utilization": MetricInfo("energy utilization", "%"),
    "uptime_pct": MetricInfo("uptime", "% of time", 2),
    "sessions_per_port_per_day": MetricInfo("sessions per port per day", "", 2),
    "kwh_per_port_per_day": MetricInfo("energy per port per day", "kWh", 1),
    "dispensed_kwh": MetricInfo("dispensed energy", "kWh", 0),
    "peak_kw": MetricInfo("peak power", "kW", 0),
}

HEADLINE = (
    "occupancy_utilization",
    "sessions_per_port_per_day",
    "p_wait",
    "mean_wait_min",
    "p95_wait_min",
    "turned_away_share",
    "gave_up_share",
    "energy_kwh",
    "revenue",
    "driver_spend",
    "perks_given",
)
"""The metrics an experiment's tables and response curves lead with."""

NETWORK_HEADLINE = ("occupancy_utilization", "p_wait", "mean_wait_min", "energy_kwh", "revenue")
BRAND_HEADLINE = ("turned_away_share", "gave_up_share", "mean_wait_min", "driver_spend")


def info(metric: str) -> MetricInfo:
    if metric in METRICS:
        return METRICS[metric]
    if metric.startswith("hourly_occupancy_h"):
        return MetricInfo(f"occupancy at {metric[-2:]}:00", "%")
    if metric.startswith("wait_share_b"):
        label = wait_bin_labels()[int(metric.removeprefix("wait_share_b"))]
        return MetricInfo(f"wait {label} min" if label != "no wait" else "no wait", "%")
    return MetricInfo(metric.replace("_", " "), "")
