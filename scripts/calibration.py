"""Measure the shipped shared-region scenarios against the published figures of
docs/calibration.md: time utilization in Paren's sense and paid vs free session length.

    python scripts/calibration.py [--replications N] [--days D] [scenario ...]

Runs each scenario N times (seeds 1..N, the fast engine, one process) through the Python API
and prints, per scenario, the mean and 95 % Student t half-width of:
- occupancy: the share of port time with a car plugged in (charging or not), chargenet's
  `occupancy_utilization`, which is Paren's "minutes of charging session time as a percentage
  of the time a station is open";
- paid and free session length in minutes (plug-in to unplug, served sessions) and their ratio;
- ChargeX's first-attempt success rate and share of visits without a charge (summary `chargex`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import chargenet
from simulator.experiment.statistics import interval

SHARED_REGION = (
    "scenarios/walled_gardens.toml",
    "scenarios/nacs_opening.toml",
    "scenarios/nissan_evgo.toml",
    "scenarios/vw_ea_free.toml",
    "scenarios/vw_ea_allowance.toml",
    "scenarios/interoperability.toml",
    "scenarios/attempts_calibrated.toml",
)
KEYS = ("occupancy", "paid_min", "free_min", "ratio", "first_attempt", "without_charge")
PERCENT = frozenset({"occupancy", "first_attempt", "without_charge"})


def figures(path: str, seed: int, days: float | None) -> dict[str, float]:
    """One run's figures: occupancy (a fraction), paid and free mean session minutes."""
    result = chargenet.run(path, seed=seed, days=days)
    served = result.sessions[
        (result.sessions.outcome == "served") & (result.sessions.start_s >= result.world.warmup_s)
    ]
    minutes = (served.depart_s - served.start_s) / 60.0
    free = served.free.astype(bool)
    kpis = result.document.chargex.totals
    out = {
        "occupancy": float(result.document.totals.occupancy_utilization or 0.0),
        "paid_min": float(minutes[~free].mean()),
        "first_attempt": kpis.first_attempt_success_rate_pct / 100.0,
        "without_charge": kpis.visits_without_charge_pct / 100.0,
    }
    if free.any():
        out["free_min"] = float(minutes[free].mean())
        out["ratio"] = out["free_min"] / out["paid_min"]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", default=SHARED_REGION)
    parser.add_argument("--replications", type=int, default=5)
    parser.add_argument("--days", type=float, default=None)
    args = parser.parse_args(argv)
    for path in args.scenarios:
        runs = [figures(path, seed, args.days) for seed in range(1, args.replications + 1)]
        cells = []
        for key in KEYS:
            values = [r[key] for r in runs if key in r]
            if not values:
                continue
            i = interval(values)
            mean, half = i.mean, i.half_width
            scale = 100.0 if key in PERCENT else 1.0
            cells.append(f"{key} {mean * scale:.2f} ± {half * scale:.2f}")
        print(f"{path}: " + "; ".join(cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
