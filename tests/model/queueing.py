"""Degenerate one-site scenarios that queueing theory solves exactly (validation.md)."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulator import runner
from simulator.reports.summary import Metrics
from simulator.scenario import parse

PORT_KW = 100.0


def one_site(
    *,
    rate_per_h: float,
    ports: int,
    mean_charge_min: float = 30.0,
    service: str = "exponential",
    queue_limit: int | None = None,
    patience_min: float | None = None,
    warmup_days: float = 1.0,
    arrivals: dict[str, Any] | None = None,
    grid_limit_kw: float | None = None,
) -> dict[str, Any]:
    """One site of identical ports, a flat curve, and energy drawn so that the charging time
    is exponential (or fixed) with the given mean: an M/M/c (or M/D/c) queue."""
    energy_kwh = PORT_KW * mean_charge_min / 60.0
    energy = (
        {"dist": "exponential", "mean": energy_kwh}
        if service == "exponential"
        else {"dist": "fixed", "value": energy_kwh}
    )
    site: dict[str, Any] = {
        "id": "site",
        "ports": [{"power_kw": PORT_KW, "connectors": ["CCS1"], "count": ports}],
    }
    if queue_limit is not None:
        site["queue_limit"] = queue_limit
    if grid_limit_kw is not None:
        site["grid_limit_kw"] = grid_limit_kw
    drivers: dict[str, Any] = {"energy_kwh": energy}
    if patience_min is not None:
        drivers["patience_min"] = {"dist": "exponential", "mean": patience_min}
    return {
        "name": "queue",
        "simulation": {"warmup_days": warmup_days},
        "networks": [{"id": "net", "sites": [site]}],
        "vehicles": [
            {
                "id": "car",
                "brand": "Any",
                "share": 1.0,
                "battery_kwh": 10_000.0,
                "peak_kw": PORT_KW,
                "connectors": ["CCS1"],
                "curve": {"kind": "flat"},
            }
        ],
        "drivers": drivers,
        "arrivals": arrivals or {"kind": "constant", "rate_per_h": rate_per_h},
    }


def replicate(
    data: dict[str, Any], *, days: float, replications: int, metric: Callable[[Metrics], float]
) -> tuple[float, float]:
    """Mean and standard error of a metric over independent replications (seeds 1..R)."""
    scenario = parse(data)
    values = [
        metric(runner.run(scenario, days=days, seed=seed).summary.totals)
        for seed in range(1, replications + 1)
    ]
    return statistics.fmean(values), statistics.stdev(values) / math.sqrt(len(values))


_RUNS: dict[tuple[str, float, int], tuple[Metrics, ...]] = {}


def replicate_many(data: dict[str, Any], *, days: float, replications: int) -> list[Metrics]:
    """Each replication's totals (seeds 1..R). Remembered for the test process: tests that
    look at the same queue from two sides share its runs rather than simulate it twice."""
    key = json.dumps(data, sort_keys=True), days, replications
    if key not in _RUNS:
        scenario = parse(data)
        _RUNS[key] = tuple(
            runner.run(scenario, days=days, seed=seed).summary.totals
            for seed in range(1, replications + 1)
        )
    return list(_RUNS[key])


def mean_se(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) / math.sqrt(len(values))


@dataclass(frozen=True, slots=True)
class GridLimited:
    """The exact stationary figures of a site whose grid limit binds (see `grid_limited`)."""

    p_wait: float
    mean_wait_min: float
    utilization: float


def grid_limited(
    *, rate_per_h: float, ports: int, port_kw: float, limit_kw: float, mean_kwh: float
) -> GridLimited:
    """c ports of a flat P kW curve sharing a grid limit L < cP equally, exponential energy
    of mean E, Poisson arrivals, unlimited queue and patience: with n cars on site the site
    delivers min(min(n, c) P, L), so the number on site is a birth-death chain with death
    rate mu_n = min(min(n, c) P, L) / E (equal shares of a memoryless demand). From
    m = ceil(L / P) on, mu_n = L / E: the tail is geometric with ratio r = lambda E / L."""
    c, lam = ports, rate_per_h
    m = math.ceil(limit_kw / port_kw - 1e-12)
    assert m <= c, "the limit must bind: L < c P"
    r = lam * mean_kwh / limit_kw
    assert r < 1, "unstable: lambda E >= L"
    a = [1.0]  # a_n = prod_{k<=n} lambda / mu_k, up to n = m
    for n in range(1, m + 1):
        a.append(a[-1] * lam * mean_kwh / min(n * port_kw, limit_kw))

    def weight(n: int) -> float:
        return a[n] if n <= m else a[m] * r ** (n - m)

    total = sum(a[:m]) + a[m] / (1 - r)
    busy = weight(c) / (1 - r) / total  # P(n >= c): an arrival waits (PASTA)
    queue = weight(c) * r / (1 - r) ** 2 / total  # E[(n - c)+]
    charging = sum(n * weight(n) for n in range(c)) / total + c * busy
    return GridLimited(busy, queue / lam * 60.0, charging / c)  # Little: wait = Lq / lambda
