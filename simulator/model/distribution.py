"""Sampling from the scenario's distributions with a stream passed in.

Every sampler draws from its stream a fixed number of times per call where it can, so that
common random numbers stay aligned across scenarios that differ in a distribution's parameters.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist

__all__ = ["Dist", "sampler_or_none"]

Sampler = Callable[[random.Random], float]


@dataclass(frozen=True, slots=True)
class Dist:
    kind: str
    a: float = 0.0
    b: float = 0.0
    low: float = 0.0
    high: float = math.inf

    def sample(self, rng: random.Random) -> float:
        u = rng.random()
        kind = self.kind
        if kind == "fixed":
            return self.a
        if kind == "uniform":
            return self.a + (self.b - self.a) * u
        if kind == "exponential":
            return -self.a * math.log(1.0 - u)
        if kind == "lognormal":
            sigma2 = math.log(1.0 + (self.b / self.a) ** 2)
            mu = math.log(self.a) - sigma2 / 2
            return math.exp(mu + math.sqrt(sigma2) * _probit(u))
        if kind == "normal":
            # inverse-CDF truncated normal: one uniform per draw, always in [low, high]
            lo = _phi((self.low - self.a) / self.b) if self.b > 0 else 0.0
            hi = _phi((self.high - self.a) / self.b) if self.b > 0 else 1.0
            if self.b == 0:
                return min(max(self.a, self.low), self.high)
            return self.a + self.b * _probit(lo + (hi - lo) * u)
        raise ValueError(f"unknown distribution {kind!r}")

    def sampler(self) -> Sampler:
        """A function drawing from this distribution: specialised, for the hot path."""
        a, b = self.a, self.b
        if self.kind == "fixed":

            def fixed(rng: random.Random) -> float:
                rng.random()
                return a

            return fixed
        if self.kind == "uniform":
            span = b - a
            return lambda rng: a + span * rng.random()
        if self.kind == "exponential":
            log = math.log
            return lambda rng: -a * log(1.0 - rng.random())
        return self.sample


def _phi(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


_STANDARD_NORMAL = NormalDist()


def _probit(p: float) -> float:
    return _STANDARD_NORMAL.inv_cdf(min(max(p, 1e-12), 1 - 1e-12))


def sampler_or_none(dist: Dist | None) -> Callable[[random.Random], float | None]:
    """Like Dist.sampler, but an absent distribution still draws once (and gives None), so that
    streams stay aligned with scenarios that do use it."""
    if dist is not None:
        return dist.sampler()

    def absent(rng: random.Random) -> None:
        rng.random()
        return None

    return absent
