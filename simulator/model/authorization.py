"""Whether a tag may charge: the authorization decision table, as pure functions.

The decision is OCPP 1.6's (§7.2 AuthorizationStatus), over plain facts, so that any end may
apply it: the fast engine's central system (simulator.model.resolver.ImmediateResolver) and,
once it lives where both may import it, the built-in central system's policy. A provisioned
tag's expiry is in seconds of virtual time here; the decision itself only needs "expired".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from simulator.model.requests import AuthStatus

__all__ = ["ProvisionedTag", "authorize", "decide"]


@dataclass(frozen=True, slots=True)
class ProvisionedTag:
    """An id tag the central system knows, as the operator provisioned it."""

    id_tag: str
    status: AuthStatus
    expiry_s: float | None = None
    """Virtual time from which the tag is Expired; None: it never expires."""


def decide(
    provisioned: AuthStatus | None, expired: bool, *, accept_unknown: bool, starting: bool
) -> AuthStatus:
    """The status to answer for a tag provisioned with `provisioned` (None: unknown).

    Unknown tags are Invalid unless `accept_unknown`. ConcurrentTx only answers a start
    (`starting`): "Only relevant for a StartTransaction.req"; elsewhere such a tag is
    Accepted. A usable tag (Accepted, ConcurrentTx) past its expiry is Expired.
    """
    if provisioned is None:
        return AuthStatus.ACCEPTED if accept_unknown else AuthStatus.INVALID
    status = provisioned
    if status is AuthStatus.CONCURRENT_TX and not starting:
        status = AuthStatus.ACCEPTED
    if expired and status in (AuthStatus.ACCEPTED, AuthStatus.CONCURRENT_TX):
        return AuthStatus.EXPIRED
    return status


def authorize(
    tags: Mapping[str, ProvisionedTag],
    id_tag: str,
    at_s: float,
    *,
    accept_unknown: bool = False,
    starting: bool = False,
) -> AuthStatus:
    """The answer for `id_tag` at virtual time `at_s`, from the provisioned `tags`."""
    tag = tags.get(id_tag)
    if tag is None:
        return decide(None, False, accept_unknown=accept_unknown, starting=starting)
    expired = tag.expiry_s is not None and tag.expiry_s <= at_s
    return decide(tag.status, expired, accept_unknown=accept_unknown, starting=starting)
