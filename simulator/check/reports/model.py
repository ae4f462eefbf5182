"""A run's outcomes with their checks, and the tallies every rendering shows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from simulator.check.catalogue import Check
from simulator.check.verdicts import Outcome, Verdict


@dataclass(frozen=True, slots=True)
class Run:
    url: str
    charge_point_id: str
    started_at: datetime
    duration_s: float
    results: tuple[tuple[Check, Outcome], ...]

    def counts(self) -> dict[Verdict, int]:
        tally = Counter(outcome.verdict for _, outcome in self.results)
        return {verdict: tally.get(verdict, 0) for verdict in Verdict}

    def summary(self) -> str:
        """`31 pass, 1 fail, 4 not applicable, 11 not run, 0 error`."""
        return ", ".join(f"{n} {verdict.value}" for verdict, n in self.counts().items())

    @property
    def exit_code(self) -> int:
        """0 when everything that ran passed; 1 after any fail or error."""
        counts = self.counts()
        return 1 if counts[Verdict.FAIL] or counts[Verdict.ERROR] else 0
