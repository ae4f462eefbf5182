"""A run's outcomes with their checks, and the tallies every rendering shows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from ocppj.versions import OCPP16
from simulator.check.catalogue import VERSION_LABELS, Check
from simulator.check.verdicts import Outcome, Verdict


@dataclass(frozen=True, slots=True)
class Run:
    url: str
    charge_point_id: str
    started_at: datetime
    duration_s: float
    results: tuple[tuple[Check, Outcome], ...]
    #: The OCPP version the run spoke (`ocpp1.6`, `ocpp2.0.1`).
    ocpp_version: str = OCPP16

    @property
    def version_label(self) -> str:
        """`OCPP 1.6`, `OCPP 2.0.1`: how every report names the version."""
        return f"OCPP {VERSION_LABELS[self.ocpp_version]}"

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
