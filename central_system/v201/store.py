"""The 2.0.1 tables (DDL in `schema`), written through the shared `Store`'s group commit.

A TransactionEvent is applied at most once: its (station, transactionId, seqNo) is the key of
`transaction_events_201`, so a retransmission, in this run or after a restart on the same file,
finds its row and changes nothing but the row's `repeats`. A seqNo beyond the highest one seen
plus one records the missing range in `seq_no_gaps_201`; an event older than the highest one
seen (`late`) is stored and counted, but does not overwrite the transaction's latest state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from central_system.store import Store
from central_system.timestamps import format_timestamp
from central_system.v201.records import (
    ConnectorStatus,
    EventOutcome,
    ReportedVariable,
    Sample,
    TransactionEvent,
)

__all__ = [
    "SeqNoGap",
    "Store201",
    "Transaction201",
]

_INSERT_EVENT: Final = """
INSERT INTO transaction_events_201 (
    charge_point_id, transaction_id, seq_no, event_type, timestamp, trigger_reason, offline,
    late, evse_id, connector_id, id_token, id_token_type, charging_state, stopped_reason,
    remote_start_id, number_of_phases_used, cable_max_current, reservation_id, received_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING
"""
_REPEAT_EVENT: Final = """
UPDATE transaction_events_201 SET repeats = repeats + 1
WHERE charge_point_id = ? AND transaction_id = ? AND seq_no = ?
"""
_HIGHEST_SEQ_NO: Final = """
SELECT last_seq_no, evse_id FROM transactions_201 WHERE charge_point_id = ? AND transaction_id = ?
"""
_NEW_TRANSACTION: Final = """
INSERT INTO transactions_201 (
    charge_point_id, transaction_id, first_event_at, last_event_at, last_seq_no, event_count,
    first_received_at
) VALUES (?, ?, ?, ?, ?, 0, ?)
"""
# Every event: counted; COALESCE keeps what an earlier event said when this one is silent.
_COUNT_EVENT: Final = """
UPDATE transactions_201 SET
    event_count = event_count + 1,
    offline_events = offline_events + ?,
    first_event_at = MIN(first_event_at, ?),
    evse_id = COALESCE(evse_id, ?),
    connector_id = COALESCE(connector_id, ?),
    id_token = COALESCE(id_token, ?),
    id_token_type = COALESCE(id_token_type, ?),
    id_token_status = COALESCE(?, id_token_status),
    remote_start_id = COALESCE(remote_start_id, ?),
    meter_start_wh = COALESCE(meter_start_wh, ?)
WHERE charge_point_id = ? AND transaction_id = ?
"""
# An event newer than every one stored: the transaction's latest state.
_ADVANCE: Final = """
UPDATE transactions_201 SET
    last_seq_no = ?, last_event_at = ?, charging_state = COALESCE(?, charging_state)
WHERE charge_point_id = ? AND transaction_id = ?
"""
_STARTED: Final = """
UPDATE transactions_201 SET started_at = ?, start_trigger_reason = ?
WHERE charge_point_id = ? AND transaction_id = ? AND started_at IS NULL
"""
_ENDED: Final = """
UPDATE transactions_201 SET ended_at = ?, stopped_reason = ?, end_trigger_reason = ?,
    meter_stop_wh = ?, ended_received_at = ?
WHERE charge_point_id = ? AND transaction_id = ? AND ended_at IS NULL
"""
_GAP: Final = """
INSERT INTO seq_no_gaps_201 (
    charge_point_id, transaction_id, first_missing_seq_no, last_missing_seq_no, detected_at
) VALUES (?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING
"""
_METER_VALUE: Final = """
INSERT INTO meter_values_201 (
    charge_point_id, evse_id, transaction_id, seq_no, timestamp, value, measurand, phase,
    location, context, unit, multiplier, signed_meter_value, source, received_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING
"""
_STATUS: Final = """
INSERT INTO status_notifications_201 (
    charge_point_id, evse_id, connector_id, connector_status, timestamp, received_at
) VALUES (?, ?, ?, ?, ?, ?)
"""
_REPORT: Final = """
INSERT INTO notify_reports_201 (
    charge_point_id, request_id, seq_no, generated_at, tbc, items, received_at
) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING
"""
_DEVICE_VALUE: Final = """
SELECT value FROM device_model_201
WHERE charge_point_id = ? AND component_name = ? AND component_instance = '' AND evse_id = 0
    AND connector_id = 0 AND variable_name = ? AND variable_instance = ?
    AND attribute_type = 'Actual'
"""
_VARIABLE: Final = """
INSERT INTO device_model_201 (
    charge_point_id, component_name, component_instance, evse_id, connector_id, variable_name,
    variable_instance, attribute_type, value, mutability, data_type, unit, request_id,
    reported_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO UPDATE SET
    value = excluded.value, mutability = excluded.mutability, data_type = excluded.data_type,
    unit = excluded.unit, request_id = excluded.request_id, reported_at = excluded.reported_at
"""
_TRANSACTION: Final = """
SELECT charge_point_id, transaction_id, evse_id, connector_id, id_token, id_token_type,
    id_token_status, remote_start_id, charging_state, started_at, ended_at, stopped_reason,
    meter_start_wh, meter_stop_wh, last_seq_no, event_count, offline_events
FROM transactions_201
"""
_GAPS: Final = """
SELECT transaction_id, first_missing_seq_no, last_missing_seq_no FROM seq_no_gaps_201
WHERE charge_point_id = ? ORDER BY transaction_id, first_missing_seq_no
"""
_SEQ_NOS: Final = """
SELECT seq_no FROM transaction_events_201 WHERE charge_point_id = ? AND transaction_id = ?
ORDER BY seq_no
"""


@dataclass(frozen=True, slots=True)
class Transaction201:
    """A 2.0.1 transaction as stored (its events folded)."""

    charge_point_id: str
    transaction_id: str
    evse_id: int | None
    connector_id: int | None
    id_token: str | None
    id_token_type: str | None
    id_token_status: str | None
    remote_start_id: int | None
    charging_state: str | None
    started_at: datetime | None
    ended_at: datetime | None
    stopped_reason: str | None
    meter_start_wh: float | None
    meter_stop_wh: float | None
    last_seq_no: int
    event_count: int
    offline_events: int


@dataclass(frozen=True, slots=True)
class SeqNoGap:
    transaction_id: str
    first_missing_seq_no: int
    last_missing_seq_no: int


def _text(moment: datetime | None) -> str | None:
    return None if moment is None else format_timestamp(moment)


def _transaction_from(row: Sequence[Any]) -> Transaction201:
    values = list(row)
    for index in (9, 10):
        values[index] = None if values[index] is None else datetime.fromisoformat(values[index])
    return Transaction201(*values)


def _meter_rows(
    charge_point_id: str,
    evse_id: int,
    transaction_id: str | None,
    seq_no: int | None,
    samples: Sequence[Sample],
    source: str,
    received_at: str,
) -> list[tuple[object, ...]]:
    return [
        (
            charge_point_id,
            evse_id,
            transaction_id,
            seq_no,
            format_timestamp(sample.timestamp),
            sample.value,
            sample.measurand,
            sample.phase,
            sample.location,
            sample.context,
            sample.unit,
            sample.multiplier,
            sample.signed_meter_value,
            source,
            received_at,
        )
        for sample in samples
    ]


class Store201:
    """The 2.0.1 reads and writes; each write method is atomic, as the `Store`'s are."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def record_transaction_event(
        self,
        event: TransactionEvent,
        id_token_status: str | None,
        meter_start_wh: float | None,
        meter_stop_wh: float | None,
        received_at: datetime,
    ) -> EventOutcome:
        store = self.store
        key = (event.charge_point_id, event.transaction_id)
        received = format_timestamp(received_at)
        moment = format_timestamp(event.timestamp)
        with store.atomic():
            row = store.execute(_HIGHEST_SEQ_NO, key).fetchone()
            highest = None if row is None else int(row[0])
            # Only the first event must name the EVSE: the others' readings are filed under it.
            evse_id = event.evse_id if event.evse_id is not None or row is None else row[1]
            late = highest is not None and event.seq_no < highest
            inserted = store.execute(
                _INSERT_EVENT,
                (
                    *key,
                    event.seq_no,
                    event.event_type,
                    moment,
                    event.trigger_reason,
                    int(event.offline),
                    int(late),
                    event.evse_id,
                    event.connector_id,
                    event.id_token,
                    event.id_token_type,
                    event.charging_state,
                    event.stopped_reason,
                    event.remote_start_id,
                    event.number_of_phases_used,
                    event.cable_max_current,
                    event.reservation_id,
                    received,
                ),
            ).rowcount
            if not inserted:
                store.execute(_REPEAT_EVENT, (*key, event.seq_no))
                return EventOutcome.REPEATED
            expected = 0 if highest is None else highest + 1
            if event.seq_no > expected:
                store.execute(_GAP, (*key, expected, event.seq_no - 1, received))
            if highest is None:
                store.execute(_NEW_TRANSACTION, (*key, moment, moment, event.seq_no, received))
            store.execute(
                _COUNT_EVENT,
                (
                    int(event.offline),
                    moment,
                    event.evse_id,
                    event.connector_id,
                    event.id_token,
                    event.id_token_type,
                    id_token_status,
                    event.remote_start_id,
                    meter_start_wh,
                    *key,
                ),
            )
            if highest is None or event.seq_no > highest:
                store.execute(_ADVANCE, (event.seq_no, moment, event.charging_state, *key))
            if event.event_type == "Started":
                store.execute(_STARTED, (moment, event.trigger_reason, *key))
            elif event.event_type == "Ended":
                store.execute(
                    _ENDED,
                    (
                        moment,
                        event.stopped_reason or "Local",  # 2.0.1: absent means Local
                        event.trigger_reason,
                        meter_stop_wh,
                        received,
                        *key,
                    ),
                )
            if event.samples:
                store.executemany(
                    _METER_VALUE,
                    _meter_rows(
                        event.charge_point_id,
                        evse_id or 0,
                        event.transaction_id,
                        event.seq_no,
                        event.samples,
                        "TransactionEvent",
                        received,
                    ),
                )
        return EventOutcome.APPLIED

    def record_meter_values(
        self, charge_point_id: str, evse_id: int, samples: Sequence[Sample], received_at: datetime
    ) -> None:
        rows = _meter_rows(
            charge_point_id, evse_id, None, None, samples, "MeterValues", _text(received_at) or ""
        )
        with self.store.atomic():
            self.store.executemany(_METER_VALUE, rows)

    def record_status(self, status: ConnectorStatus, received_at: datetime) -> None:
        self.store.execute(
            _STATUS,
            (
                status.charge_point_id,
                status.evse_id,
                status.connector_id,
                status.status,
                _text(status.timestamp),
                format_timestamp(received_at),
            ),
        )

    def record_report(
        self,
        charge_point_id: str,
        request_id: int,
        seq_no: int,
        generated_at: datetime,
        tbc: bool,
        variables: Sequence[ReportedVariable],
        received_at: datetime,
    ) -> None:
        received = format_timestamp(received_at)
        with self.store.atomic():
            self.store.execute(
                _REPORT,
                (
                    charge_point_id,
                    request_id,
                    seq_no,
                    format_timestamp(generated_at),
                    int(tbc),
                    len(variables),
                    received,
                ),
            )
            self.store.executemany(
                _VARIABLE,
                [
                    (
                        charge_point_id,
                        variable.component_name,
                        variable.component_instance,
                        variable.evse_id,
                        variable.connector_id,
                        variable.variable_name,
                        variable.variable_instance,
                        variable.attribute_type,
                        variable.value,
                        variable.mutability,
                        variable.data_type,
                        variable.unit,
                        request_id,
                        received,
                    )
                    for variable in variables
                ],
            )

    # Reads (operator views, `chargenet report` and tests).

    def transaction(self, charge_point_id: str, transaction_id: str) -> Transaction201 | None:
        row = self.store.execute(
            _TRANSACTION + " WHERE charge_point_id = ? AND transaction_id = ?",
            (charge_point_id, transaction_id),
        ).fetchone()
        return None if row is None else _transaction_from(row)

    def running_transaction(
        self, charge_point_id: str, connector_id: int
    ) -> tuple[int, str] | None:
        """(evseId, transactionId) of the station's latest transaction that has not ended on
        the connector (or on an EVSE whose connector it did not name); None: none."""
        row = self.store.execute(
            "SELECT evse_id, transaction_id FROM transactions_201 WHERE charge_point_id = ?"
            " AND ended_at IS NULL AND evse_id IS NOT NULL"
            " AND (connector_id = ? OR connector_id IS NULL)"
            " ORDER BY first_received_at DESC LIMIT 1",
            (charge_point_id, connector_id),
        ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def transactions(self) -> list[Transaction201]:
        rows = self.store.execute(_TRANSACTION + " ORDER BY first_received_at, transaction_id")
        return [_transaction_from(row) for row in rows]

    def seq_no_gaps(self, charge_point_id: str) -> list[SeqNoGap]:
        return [SeqNoGap(*row) for row in self.store.execute(_GAPS, (charge_point_id,))]

    def device_value(
        self, charge_point_id: str, component: str, variable: str, variable_instance: str = ""
    ) -> str | None:
        """The Actual value a station last reported for a station-wide variable, if any."""
        row = self.store.execute(
            _DEVICE_VALUE, (charge_point_id, component, variable, variable_instance)
        ).fetchone()
        return None if row is None else row[0]

    def seq_nos(self, charge_point_id: str, transaction_id: str) -> list[int]:
        rows = self.store.execute(_SEQ_NOS, (charge_point_id, transaction_id))
        return [row[0] for row in rows]
