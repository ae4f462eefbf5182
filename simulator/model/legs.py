"""A charge's legs: the stretches of one charge at one power limit.

A port's power is min(car curve, port rating, port limit, adapter cap). Each change of the
port's limit during a charge ends the current leg (its SoC there in closed form from the leg's
profile) and starts another along the profile at the new limit: energy is integrated piecewise
between limit changes, never ticked.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from simulator.model.curve import profile
from simulator.model.records import LimitedLeg
from simulator.model.requests import StopReason

if TYPE_CHECKING:
    from simulator.model.curve import Profile
    from simulator.model.port import ChargePoint
    from simulator.model.recorder import Recorder
    from simulator.model.visit import Visit
    from simulator.model.world import VehicleModel

__all__ = [
    "NEVER",
    "adapter_cap_kw",
    "book_leg",
    "cap_s",
    "checked_kw",
    "leg_kw",
    "lower_kw",
    "plan",
    "profile_for",
    "session_kw",
    "shortfall",
    "soc_now",
]

NEVER = math.inf
"""How long a charge held at zero power with no cap lasts."""
BELOW_KW = 0.001
"""How far below the car's curve a leg counts as below it: grid shares are whole watts
(policy.grid.to_w), and a smaller gap is their rounding."""


def profile_for(
    cache: dict[tuple[int, int], Profile], vehicle: VehicleModel, port: ChargePoint, kw: float
) -> Profile:
    """The car's profile on the port held to `kw`: at the port's rating from `cache` (by
    vehicle and port), else from curve.profile's own cache."""
    if kw != port.power_kw:
        return profile(vehicle.curve, vehicle.battery_kwh, vehicle.peak_kw, kw)
    key = (vehicle.index, port.index)
    prof = cache.get(key)
    if prof is None:
        prof = cache[key] = profile(vehicle.curve, vehicle.battery_kwh, vehicle.peak_kw, kw)
    return prof


def leg_kw(port: ChargePoint) -> float:
    """The most the port draws now: its rating, or its limit if that is lower."""
    limit_kw = port.limit_kw
    return port.power_kw if limit_kw is None or limit_kw >= port.power_kw else limit_kw


def adapter_cap_kw(visit: Visit, port: ChargePoint) -> float:
    """The cap of the car's adapter on this port (vehicles' adapter_kw), 0 when none applies:
    only a port that none of the car's own plugs fit is reached through the adapter."""
    cap = visit.vehicle.adapter_kw
    if cap is None or not visit.vehicle.connectors.isdisjoint(port.connectors):
        return 0.0
    return cap


def session_kw(port: ChargePoint, visit: Visit) -> float:
    """The most the car draws on the port now: `leg_kw`, held to its adapter's cap if any."""
    kw = port.power_kw if port.limit_kw is None else leg_kw(port)
    cap = visit.adapter_kw
    return cap if cap and cap < kw else kw


def book_leg(
    recorder: Recorder,
    port: ChargePoint,
    visit: Visit,
    soc_end: float,
    now: float,
    cache: dict[tuple[int, int], Profile],
) -> None:
    """Record the power segments of the charge's current leg, which ends at `now` at `soc_end`,
    and, for a leg held below the port's rating (or the car's adapter cap), what the limit
    took (`cache` as profile_for's)."""
    prof = visit.profile
    assert prof is not None
    soc_from = visit.leg_soc
    energy = max(0.0, soc_end - soc_from) * visit.vehicle.battery_kwh
    recorder.charge(port.id, prof, visit.leg_start_s, now, soc_from, soc_end, energy)
    # what the car would draw here unlimited: the rating, or its adapter's cap if lower (a
    # cap is the car's own, not something a limit took)
    cap = visit.adapter_kw
    free_kw = cap if cap and cap < port.power_kw else port.power_kw
    if visit.leg_kw < free_kw and now > visit.leg_start_s:
        full = profile_for(cache, visit.vehicle, port, free_kw)
        requested, below_s = shortfall(prof, full, soc_from, soc_end, now - visit.leg_start_s)
        leg = (
            port.id,
            port.charge_start_s,
            visit.leg_start_s,
            now,
            visit.leg_kw,
            energy,
            requested,
            below_s,
        )
        recorder.limited_leg(LimitedLeg(*leg))


def shortfall(
    leg: Profile, full: Profile, soc_from: float, soc_end: float, duration_s: float
) -> tuple[float, float]:
    """(kWh, seconds): what the car asked for along a leg of `duration_s` from `soc_from` to
    `soc_end` on the leg's profile (`leg`), its curve at the port's rating (`full`) at the SoC
    it had at each instant, integrated; and the time the leg ran below that curve. In closed
    form: the leg's profile is split where the curve crosses its limit, so each of its pieces
    is either held at the limit L below the curve (where dt = B ds / L, so the asked energy is
    B / L times the integral of the curve over SoC) or on the curve throughout (asked = drawn).
    """
    hours = duration_s / 3600.0
    if leg.flat_kw is not None or soc_end <= soc_from:  # one power all the leg: flat, or zero
        kw_full = full.power_kw(soc_from)
        below = leg.power_kw(soc_from) < kw_full - BELOW_KW
        return kw_full * hours, duration_s if below else 0.0
    asked = below_h = 0.0
    battery = leg.battery_kwh
    for piece in leg.pieces:
        lo, hi = max(soc_from, piece.soc_from), min(soc_end, piece.soc_to)
        if hi <= lo:
            continue
        mid = (lo + hi) / 2.0
        if piece.kw(mid) < full.power_kw(mid) - BELOW_KW:  # held at the limit (kw_from > 0)
            below_h += leg.hours_between(lo, hi)
            asked += battery / piece.kw_from * _kw_integral(full, lo, hi)
        else:
            asked += (hi - lo) * battery
    return asked, min(duration_s, below_h * 3600.0)


def _kw_integral(prof: Profile, lo: float, hi: float) -> float:
    """The integral of the profile's power over SoC from lo to hi (exact: linear pieces)."""
    total = 0.0
    for piece in prof.pieces:
        a, b = max(lo, piece.soc_from), min(hi, piece.soc_to)
        if b > a:
            total += (b - a) * (piece.kw(a) + piece.kw(b)) / 2.0
    return total


def checked_kw(kw: float | None, what: str) -> float | None:
    """A limit as given (None: none), refused unless it is a number of kW >= 0."""
    if kw is not None and not kw >= 0:
        raise ValueError(f"a port's {what} is a number of kW >= 0, not {kw}")
    return kw


def lower_kw(a_kw: float | None, b_kw: float | None) -> float | None:
    """The lower of two limits, either of which may be absent (None)."""
    return b_kw if a_kw is None else a_kw if b_kw is None else min(a_kw, b_kw)


def soc_now(visit: Visit, now: float) -> float:
    """The SoC of a charging visit at `now`, along its current leg."""
    prof = visit.profile
    assert prof is not None
    return prof.soc_after(visit.leg_soc, (now - visit.leg_start_s) / 3600.0)


def cap_s(visit: Visit) -> float | None:
    """A free session's time cap, counted from the charge's start (None: uncapped)."""
    terms = visit.terms
    deal = terms.deal if terms is not None else None
    return deal.session_cap_s if visit.free and deal is not None else None


def plan(
    prof: Profile, soc: float, target: float, cap_left_s: float | None
) -> tuple[float, StopReason, float]:
    """(seconds, reason, SoC at the end) of the rest of a charge from `soc` along `prof`:
    to the target (Local), or until the free session's cap runs out (Other). The seconds are
    infinite while a limit holds the car at zero power with no cap."""
    duration_s = prof.hours_between(soc, target) * 3600.0 if target > soc else 0.0
    if cap_left_s is not None and cap_left_s < duration_s:
        duration_s = max(0.0, cap_left_s)
        return duration_s, StopReason.OTHER, prof.soc_after(soc, duration_s / 3600.0)
    return duration_s, StopReason.LOCAL, target
