"""Charging curves integrated in closed form between events: never ticked per minute.

A curve gives the car's acceptance as a fraction of its peak power by state of charge, linear
between breakpoints. The power actually drawn is min(port, car peak x fraction, limit). On a
piece where power is linear in SoC, P(s) = p + k (s - s0), the time to go from s0 to s1 is
B/k ln(P(s1)/P(s0)) hours (B/p (s1 - s0) when k = 0), and that inverts in closed form too.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["UNBOUNDED_SOC", "Curve", "Piece", "Profile", "profile"]

# Flat curves are not bounded by a full battery: energy demand drawn directly (the validation
# cases) may exceed what a battery holds, and the physics stays exact.
UNBOUNDED_SOC = math.inf


@dataclass(frozen=True, slots=True)
class Curve:
    """Acceptance fraction of peak power at SoC points, linear between, flat beyond the ends."""

    soc: tuple[float, ...]
    fraction: tuple[float, ...]

    @staticmethod
    def flat() -> Curve:
        return Curve((0.0,), (1.0,))

    @staticmethod
    def two_stage(knee_soc: float) -> Curve:
        return Curve((knee_soc, 1.0), (1.0, 0.0))

    @property
    def is_flat(self) -> bool:
        return len(self.soc) == 1

    @property
    def max_soc(self) -> float:
        """The highest SoC a session can aim for (a curve that reaches zero power never ends)."""
        if self.is_flat:
            return UNBOUNDED_SOC
        return 0.999 if self.fraction[-1] == 0 and self.soc[-1] >= 1.0 else 1.0


@dataclass(frozen=True, slots=True)
class Piece:
    """Power linear in SoC on [soc_from, soc_to]: power_kw(s) = kw_from + slope (s - soc_from)."""

    soc_from: float
    soc_to: float
    kw_from: float
    slope_kw: float

    def kw(self, soc: float) -> float:
        return self.kw_from + self.slope_kw * (soc - self.soc_from)


@dataclass(frozen=True, slots=True)
class Profile:
    """The power drawn by one car on one port as a function of SoC, in linear pieces."""

    battery_kwh: float
    pieces: tuple[Piece, ...]
    flat_kw: float | None = None
    """The constant power of a flat profile; None when power varies with SoC."""

    def power_kw(self, soc: float) -> float:
        return self._piece(soc).kw(soc)

    def hours_between(self, soc_from: float, soc_to: float) -> float:
        """Charging time from one SoC to a higher one."""
        kw = self.flat_kw
        if kw is not None:  # the common case of the validation scenarios
            if kw > 0:
                return self.battery_kwh * (soc_to - soc_from) / kw
            return math.inf if soc_to > soc_from else 0.0  # held at zero by a limit
        hours = 0.0
        for piece in self.pieces:
            lo = max(soc_from, piece.soc_from)
            hi = min(soc_to, piece.soc_to)
            if hi > lo:
                hours += self._piece_hours(piece, lo, hi)
        return hours

    def soc_after(self, soc_from: float, hours: float) -> float:
        """SoC reached after charging this long from soc_from."""
        soc = soc_from
        for piece in self.pieces:
            if piece.soc_to <= soc:
                continue
            need = self._piece_hours(piece, soc, piece.soc_to)
            if need >= hours:
                return self._advance(piece, soc, hours)
            hours -= need
            soc = piece.soc_to
        return soc

    def segments(self, soc_from: float, soc_to: float) -> list[tuple[float, float, float, float]]:
        """(hours, energy_kwh, kw_start, kw_end) for each linear piece crossed, in order."""
        if self.flat_kw is not None:
            kw = self.flat_kw
            energy = self.battery_kwh * (soc_to - soc_from)
            return [(energy / kw, energy, kw, kw)] if soc_to > soc_from and kw > 0 else []
        out = []
        for piece in self.pieces:
            lo = max(soc_from, piece.soc_from)
            hi = min(soc_to, piece.soc_to)
            if hi > lo:
                out.append(
                    (
                        self._piece_hours(piece, lo, hi),
                        (hi - lo) * self.battery_kwh,
                        piece.kw(lo),
                        piece.kw(hi),
                    )
                )
        return out

    def _piece(self, soc: float) -> Piece:
        for piece in self.pieces:
            if soc < piece.soc_to:
                return piece
        return self.pieces[-1]

    def _piece_hours(self, piece: Piece, lo: float, hi: float) -> float:
        if piece.slope_kw == 0:
            if piece.kw_from <= 0:  # held at zero by a limit
                return math.inf
            return self.battery_kwh * (hi - lo) / piece.kw_from
        p_lo, p_hi = piece.kw(lo), piece.kw(hi)
        if p_hi <= 0:
            return math.inf
        return self.battery_kwh / piece.slope_kw * math.log(p_hi / p_lo)

    def _advance(self, piece: Piece, soc: float, hours: float) -> float:
        if piece.slope_kw == 0:
            return soc + hours * piece.kw_from / self.battery_kwh
        p = piece.kw(soc) * math.exp(piece.slope_kw * hours / self.battery_kwh)
        return min(piece.soc_to, piece.soc_from + (p - piece.kw_from) / piece.slope_kw)


@lru_cache(maxsize=4096)
def profile(curve: Curve, battery_kwh: float, peak_kw: float, limit_kw: float) -> Profile:
    """min(limit, peak x curve(s)) as linear pieces, split where the car's curve crosses the limit.

    Cached: a run has few (vehicle model, port power) pairs and many sessions.
    """
    if curve.is_flat:
        kw = min(peak_kw, limit_kw)
        return Profile(battery_kwh, (Piece(0.0, UNBOUNDED_SOC, kw, 0.0),), flat_kw=kw)
    # breakpoints over [0, 1] of the car's own acceptance
    points = [(0.0, curve.fraction[0] * peak_kw)]
    points += [(s, f * peak_kw) for s, f in zip(curve.soc, curve.fraction, strict=True) if s > 0]
    if points[-1][0] < 1.0:
        points.append((1.0, points[-1][1]))
    pieces: list[Piece] = []
    for (s0, p0), (s1, p1) in itertools.pairwise(points):
        _clip(pieces, s0, p0, s1, p1, limit_kw)
    return Profile(battery_kwh, tuple(pieces))


def _clip(pieces: list[Piece], s0: float, p0: float, s1: float, p1: float, limit: float) -> None:
    slope = (p1 - p0) / (s1 - s0)
    if (p0 - limit) * (p1 - limit) < 0:  # crosses the limit inside the piece
        s_cross = s0 + (limit - p0) / slope
        _clip(pieces, s0, p0, s_cross, limit, limit)
        _clip(pieces, s_cross, limit, s1, p1, limit)
        return
    if max(p0, p1) >= limit and min(p0, p1) >= limit:
        pieces.append(Piece(s0, s1, limit, 0.0))
    else:
        pieces.append(Piece(s0, s1, p0, slope))
