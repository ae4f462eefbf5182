"""The boot policy: which charge points are accepted, and the interval they are given."""

from __future__ import annotations

from dataclasses import dataclass, field

from central_system.records import Registration, RegistrationStatus

__all__ = [
    "BootPolicy",
    "register",
]


@dataclass(frozen=True, slots=True)
class BootPolicy:
    heartbeat_interval_s: int = 300
    #: Charge points whose first `pending_boots` boots (per server run) are answered Pending.
    pending_ids: frozenset[str] = field(default_factory=frozenset)
    pending_boots: int = 1
    #: Charge points whose every boot is answered Rejected (they may connect, not register).
    rejected_ids: frozenset[str] = field(default_factory=frozenset)
    #: The interval a Pending or Rejected answer gives: when to boot again.
    boot_retry_interval_s: int = 10


def register(policy: BootPolicy, charge_point_id: str, earlier_boots: int) -> Registration:
    """Answer a boot, given how many boots this charge point made earlier in this run."""
    if charge_point_id in policy.rejected_ids:
        return Registration(RegistrationStatus.REJECTED, policy.boot_retry_interval_s)
    if charge_point_id in policy.pending_ids and earlier_boots < policy.pending_boots:
        return Registration(RegistrationStatus.PENDING, policy.boot_retry_interval_s)
    return Registration(RegistrationStatus.ACCEPTED, policy.heartbeat_interval_s)
