"""The authorization decision table (OCPP 1.6 §7.2 AuthorizationStatus), pure functions."""

from __future__ import annotations

import pytest

from simulator.model.authorization import ProvisionedTag, authorize, decide
from simulator.model.requests import AuthStatus

A, B, E, N, C = (
    AuthStatus.ACCEPTED,
    AuthStatus.BLOCKED,
    AuthStatus.EXPIRED,
    AuthStatus.INVALID,
    AuthStatus.CONCURRENT_TX,
)


@pytest.mark.parametrize(
    ("provisioned", "expired", "accept_unknown", "starting", "answer"),
    [
        (None, False, True, False, A),  # unknown, --accept-unknown-tags
        (None, False, False, False, N),  # unknown
        (None, False, False, True, N),
        (A, False, False, False, A),
        (A, True, False, False, E),  # past its expiry
        (B, False, False, False, B),
        (B, True, False, False, B),  # blocked stays blocked, expired or not
        (N, True, True, True, N),
        (E, False, False, False, E),
        (C, False, False, True, C),  # ConcurrentTx answers a start
        (C, False, False, False, A),  # ... and only a start
        (C, True, False, True, E),
    ],
)
def test_the_decision_follows_the_table(
    provisioned: AuthStatus | None,
    expired: bool,
    accept_unknown: bool,
    starting: bool,
    answer: AuthStatus,
) -> None:
    assert decide(provisioned, expired, accept_unknown=accept_unknown, starting=starting) is answer


def test_a_provisioned_tag_expires_at_its_expiry_instant_and_not_before() -> None:
    tags = {"T1": ProvisionedTag("T1", A, expiry_s=3600.0)}
    assert authorize(tags, "T1", 3599.0) is A
    assert authorize(tags, "T1", 3600.0) is E


def test_a_tag_nobody_provisioned_is_invalid_unless_unknown_tags_are_accepted() -> None:
    tags = {"T1": ProvisionedTag("T1", B)}
    assert authorize(tags, "T1", 0.0, accept_unknown=True) is B
    assert authorize(tags, "D000000001", 0.0) is N
    assert authorize(tags, "D000000001", 0.0, accept_unknown=True) is A
