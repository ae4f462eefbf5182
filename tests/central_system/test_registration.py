from __future__ import annotations

from central_system.records import Registration, RegistrationStatus
from central_system.registration import BootPolicy, register

POLICY = BootPolicy(
    heartbeat_interval_s=60,
    pending_ids=frozenset({"SLOW"}),
    pending_boots=2,
    boot_retry_interval_s=5,
)


def test_a_charge_point_not_listed_is_accepted_with_the_heartbeat_interval() -> None:
    assert register(POLICY, "FAST", 0) == Registration(RegistrationStatus.ACCEPTED, 60)


def test_a_listed_charge_point_waits_pending_boots_then_is_accepted() -> None:
    answers = [register(POLICY, "SLOW", earlier) for earlier in range(3)]
    assert answers == [
        Registration(RegistrationStatus.PENDING, 5),
        Registration(RegistrationStatus.PENDING, 5),
        Registration(RegistrationStatus.ACCEPTED, 60),
    ]


def test_a_rejected_charge_point_is_rejected_at_every_boot_with_the_retry_interval() -> None:
    policy = BootPolicy(
        heartbeat_interval_s=60,
        pending_ids=frozenset({"BAD"}),
        rejected_ids=frozenset({"BAD"}),
        boot_retry_interval_s=5,
    )
    answers = {register(policy, "BAD", earlier) for earlier in range(3)}
    assert answers == {Registration(RegistrationStatus.REJECTED, 5)}
