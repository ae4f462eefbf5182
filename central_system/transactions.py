"""Authorization, transactions and meter values."""

from __future__ import annotations

from collections.abc import Sequence

from central_system.authorization import authorize
from central_system.backend import Backend
from central_system.records import (
    Authorization,
    MeterSample,
    StartedTransaction,
    StopOutcome,
    TransactionStart,
    TransactionStop,
)


def authorize_tag(backend: Backend, id_tag: str) -> Authorization:
    tag = backend.store.find_id_tag(id_tag)
    return authorize(tag, backend.clock(), accept_unknown=backend.accept_unknown_tags)


def start_transaction(backend: Backend, start: TransactionStart) -> StartedTransaction:
    """Every start gets a transaction id, even an offline one for a tag now refused: the
    idTagInfo tells the charge point to stop, and the energy is still accounted for."""
    authorization = authorize_tag(backend, start.id_tag)
    transaction_id, created = backend.store.start_transaction(
        start, authorization.status, backend.clock()
    )
    return StartedTransaction(transaction_id, authorization, created)


def stop_transaction(
    backend: Backend, stop: TransactionStop, samples: Sequence[MeterSample]
) -> tuple[StopOutcome, Authorization | None]:
    """A stop is always answered, even for a transaction this central system never saw."""
    outcome = backend.store.stop_transaction(stop, samples, backend.clock())
    authorization = None if stop.id_tag is None else authorize_tag(backend, stop.id_tag)
    return outcome, authorization


def record_meter_values(
    backend: Backend,
    charge_point_id: str,
    connector_id: int,
    transaction_id: int | None,
    samples: Sequence[MeterSample],
) -> None:
    backend.store.record_meter_values(
        charge_point_id, connector_id, transaction_id, samples, backend.clock()
    )
