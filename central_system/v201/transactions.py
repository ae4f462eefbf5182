"""Authorize and TransactionEvent: the decisions, over `Store201` (no ocpp types here).

An idToken gets the authorization decision a 1.6 idTag gets (`central_system.authorization`,
through the shared `id_tags` table): its provisioned status, Expired past its expiry date,
Invalid when unknown unless unknown tokens are accepted. A `NoAuthorization` token (the station
charges without asking anyone) is Accepted. 1.6's statuses are all 2.0.1
AuthorizationStatusEnumType values, so the status goes on the wire unchanged.
"""

from __future__ import annotations

from typing import Final

from central_system.backend import Backend
from central_system.records import Authorization, IdTagStatus
from central_system.transactions import authorize_tag
from central_system.v201.meter_values import BEGIN, END, energy_wh
from central_system.v201.records import EventOutcome, Sample, TransactionEvent
from central_system.v201.store import Store201

__all__ = [
    "NO_AUTHORIZATION",
    "authorize_token",
    "record_meter_values",
    "record_transaction_event",
]

#: The idToken type of a station that needs no authorization (its idToken is "").
NO_AUTHORIZATION: Final = "NoAuthorization"


def authorize_token(
    backend: Backend, id_token: str, token_type: str, *, starting: bool = False
) -> Authorization:
    if token_type == NO_AUTHORIZATION:
        return Authorization(IdTagStatus.ACCEPTED)
    return authorize_tag(backend, id_token, starting=starting)


def record_transaction_event(
    backend: Backend, store: Store201, event: TransactionEvent
) -> tuple[EventOutcome, Authorization | None]:
    """Apply an event once (see `Store201`); the authorization answers its idToken, if any.

    Every event is stored and answered (a TransactionEventResponse has no status to refuse
    with): one for a transaction never Started, or after its Ended, is kept as it came."""
    authorization = None
    if event.id_token is not None:
        authorization = authorize_token(
            backend,
            event.id_token,
            event.id_token_type or "",
            starting=event.event_type == "Started",
        )
    outcome = store.record_transaction_event(
        event,
        None if authorization is None else authorization.status.value,
        energy_wh(event.samples, BEGIN),
        energy_wh(event.samples, END),
        backend.clock(),
    )
    return outcome, authorization


def record_meter_values(
    backend: Backend,
    store: Store201,
    charge_point_id: str,
    evse_id: int,
    samples: tuple[Sample, ...],
) -> None:
    """MeterValues outside transactions (evseId 0: the main meter)."""
    store.record_meter_values(charge_point_id, evse_id, samples, backend.clock())
