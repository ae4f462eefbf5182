"""Seeded random streams, one per purpose, so that runs are reproducible and two scenarios can
share common random numbers: replication k of any scenario draws its arrivals from the same
stream, whatever else differs."""

from __future__ import annotations

import random

__all__ = ["Streams"]


class Streams:
    """Independent `random.Random` streams keyed by (seed, purpose)."""

    __slots__ = ("_cache", "seed")

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._cache: dict[str, random.Random] = {}

    def __getitem__(self, purpose: str) -> random.Random:
        stream = self._cache.get(purpose)
        if stream is None:
            # A str seed is hashed with SHA-512: stable across processes and Python runs.
            stream = random.Random(f"chargenet:{self.seed}:{purpose}")
            self._cache[purpose] = stream
        return stream
