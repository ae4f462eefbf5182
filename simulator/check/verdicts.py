"""What a check concluded, why, and the exceptions a check raises to say so."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from simulator.check.evidence import FrameRecord


class Verdict(enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    #: The backend does not offer the profile or data the check needs.
    NOT_APPLICABLE = "not applicable"
    #: No way to make the backend do its part (a central-system-initiated case without a trigger).
    NOT_RUN = "not run"
    #: The check itself broke (a bug of the check, not a verdict on the backend).
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Outcome:
    """A check's verdict with its reason and evidence."""

    check_id: str
    verdict: Verdict
    reason: str
    #: For a fail: what the backend should have done instead (else "").
    expected: str
    frames: tuple[FrameRecord, ...]
    duration_s: float


class CheckFailed(Exception):
    """The backend did something else than the spec asks: a fail."""

    def __init__(self, expected: str, observed: str) -> None:
        super().__init__(f"expected {expected}; got {observed}")
        self.expected = expected
        self.observed = observed


class NotApplicable(Exception):
    """The backend lacks the profile (or the test data) the check needs."""


class NotRun(Exception):
    """The check needs the backend to initiate a call, and nothing can make it."""
