"""Authorization, transactions and meter values, with the semantic rules (`semantics`)."""

from __future__ import annotations

from collections.abc import Sequence

from central_system import semantics
from central_system.authorization import authorize
from central_system.backend import Backend
from central_system.records import (
    Authorization,
    MeterSample,
    StartedTransaction,
    StopFlag,
    StopOutcome,
    Transaction,
    TransactionStart,
    TransactionStop,
)
from central_system.timestamps import LATEST

__all__ = [
    "authorize_tag",
    "check_register",
    "record_meter_values",
    "start_transaction",
    "stop_transaction",
]


def authorize_tag(backend: Backend, id_tag: str, *, starting: bool = False) -> Authorization:
    tag = backend.store.find_id_tag(id_tag)
    return authorize(
        tag, backend.clock(), accept_unknown=backend.accept_unknown_tags, starting=starting
    )


def start_transaction(backend: Backend, start: TransactionStart) -> StartedTransaction:
    """Every plausible start gets a transaction id, even an offline one for a tag now refused:
    the idTagInfo tells the charge point to stop, and the energy is still accounted for.
    Raises `semantics.Implausible` for a connector it does not have or a negative meterStart."""
    known = backend.known_connectors(start.charge_point_id)
    semantics.check_connector(start.connector_id, known, transaction=True)
    semantics.check_meter_start(start.meter_start_wh)
    authorization = authorize_tag(backend, start.id_tag, starting=True)
    transaction_id, created = backend.store.start_transaction(
        start, authorization.status, backend.clock()
    )
    return StartedTransaction(transaction_id, authorization, created)


def stop_transaction(
    backend: Backend, stop: TransactionStop, samples: Sequence[MeterSample]
) -> tuple[StopOutcome, Authorization | None]:
    """A stop is always answered, even for a transaction this central system never saw; one
    that contradicts its transaction is stored with a flag (see `semantics.stop_flag`), and
    transactionData readings that would send its register backwards are left out."""
    store = backend.store
    transaction = store.find_transaction(stop.charge_point_id, stop.transaction_id)
    flag = None
    if transaction is not None and transaction.stopped_at is None:
        kept = _plausible_register(backend, stop.charge_point_id, transaction, samples)
        if len(kept) < len(samples):
            flag = StopFlag.METER_WENT_BACKWARDS
        samples = kept
        stored_wh, _ = store.register_neighbours(stop.charge_point_id, stop.transaction_id, LATEST)
        readings = [semantics.register_wh(sample) for sample in samples] + [stored_wh]
        last_wh = max((wh for wh in readings if wh is not None), default=None)
        flag = semantics.stop_flag(transaction, stop, last_wh) or flag
    outcome = store.stop_transaction(stop, samples, backend.clock(), flag)
    authorization = None if stop.id_tag is None else authorize_tag(backend, stop.id_tag)
    return outcome, authorization


def _plausible_register(
    backend: Backend,
    charge_point_id: str,
    transaction: Transaction,
    samples: Sequence[MeterSample],
) -> list[MeterSample]:
    kept = []
    for sample in samples:
        try:
            check_register(backend, charge_point_id, transaction, [sample])
        except semantics.Implausible:
            continue
        kept.append(sample)
    return kept


def check_register(
    backend: Backend,
    charge_point_id: str,
    transaction: Transaction,
    samples: Sequence[MeterSample],
) -> None:
    readings = []
    for sample in samples:
        wh = semantics.register_wh(sample)
        if wh is not None:
            readings.append((sample.timestamp, wh))
    neighbours = {
        moment: backend.store.register_neighbours(
            charge_point_id, transaction.transaction_id, moment
        )
        for moment, _ in readings
    }
    semantics.check_register(readings, transaction.meter_start_wh, neighbours)


def record_meter_values(
    backend: Backend,
    charge_point_id: str,
    connector_id: int,
    transaction_id: int | None,
    samples: Sequence[MeterSample],
) -> None:
    """Store meter values; raises `semantics.Implausible` (nothing stored) for a connector the
    charge point does not have, a transaction that is not its own on that connector, or an
    energy register below meterStart or going backwards."""
    known = backend.known_connectors(charge_point_id)
    semantics.check_connector(connector_id, known, transaction=False)
    if transaction_id is not None:
        found = backend.store.find_transaction(charge_point_id, transaction_id)
        transaction = semantics.check_transaction_reference(found, transaction_id, connector_id)
        check_register(backend, charge_point_id, transaction, samples)
    backend.store.record_meter_values(
        charge_point_id, connector_id, transaction_id, samples, backend.clock()
    )
