"""The authorize policy: a pure function of the provisioned tag and the time."""

from __future__ import annotations

from datetime import datetime

from central_system.records import Authorization, IdTag, IdTagStatus

__all__ = [
    "authorize",
]


def authorize(
    tag: IdTag | None, now: datetime, *, accept_unknown: bool, starting: bool = False
) -> Authorization:
    """IdTagInfo for a tag: its provisioned status, Expired once past its expiry date;
    unknown tags are Invalid unless `accept_unknown`.

    ConcurrentTx only answers a start (`starting`): 1.6 §7.2 AuthorizationStatus, "ConcurrentTx:
    Identifier is already involved in another transaction and multiple transactions are not
    allowed. (Only relevant for a StartTransaction.req.)"; elsewhere such a tag is Accepted.
    """
    if tag is None:
        return Authorization(IdTagStatus.ACCEPTED if accept_unknown else IdTagStatus.INVALID)
    status = tag.status
    if status is IdTagStatus.CONCURRENT_TX and not starting:
        status = IdTagStatus.ACCEPTED
    usable = status in (IdTagStatus.ACCEPTED, IdTagStatus.CONCURRENT_TX)
    if usable and tag.expiry_date is not None and tag.expiry_date <= now:
        status = IdTagStatus.EXPIRED
    return Authorization(status, tag.expiry_date, tag.parent_id_tag)
