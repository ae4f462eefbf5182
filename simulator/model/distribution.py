"""Sampling from the scenario's distributions with a stream passed in.

Every sampler draws from its stream a fixed number of times per call where it can, so that
common random numbers stay aligned across scenarios that differ in a distribution's parameters.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

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

    @property
    def mean(self) -> float:
        if self.kind in ("fixed", "exponential", "lognormal"):
            return self.a
        if self.kind == "uniform":
            return (self.a + self.b) / 2
        return min(max(self.a, self.low), self.high)


def _phi(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _probit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    # Newton on erfc from a logistic start: exact enough for sampling, one uniform per draw
    x = math.log(p / (1 - p)) * 0.6266570686577501
    for _ in range(6):
        x -= (_phi(x) - p) / (math.exp(-x * x / 2) / math.sqrt(2 * math.pi))
    return x
