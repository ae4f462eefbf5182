"""The rows of a central system's store as `store_reader` rebuilds records from them: per
transaction (`Tx`: its port, connector, id tag, times, registers, stop reason and meter
readings) and per charge point (`Port`: its status history and how it reads as a PortState), for
the 1.6 tables (`read_16`) and the 2.0.1 ones (`read_201`), in the simulation's seconds.

1.6 reads a port's state from its connectors (connector 0 the whole charge point); 2.0.1,
whose Occupied covers the whole visit, from its connectors and its transactions'
chargingState. 2.0.1 stop reasons are put back in the simulation's words from the Ended
event's (triggerReason, stoppedReason).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Final

from simulator.model.records import PortState

__all__ = [
    "Change",
    "Port",
    "Reading",
    "Tx",
    "columns",
    "read_16",
    "read_201",
    "seconds",
    "state_16",
    "state_201",
]

_ENERGY: Final = "Energy.Active.Import.Register"
_POWER: Final = "Power.Active.Import"
_SOC: Final = "SoC"
_CHARGING: Final = frozenset({"Charging"})
_OCCUPIED: Final = frozenset({"Preparing", "SuspendedEV", "SuspendedEVSE", "Finishing"})
_DOWN: Final = frozenset({"Faulted", "Unavailable"})
_OCCUPIED_201: Final = frozenset({"Occupied"})


@cache
def _reasons_201() -> dict[tuple[str, str], str]:
    """2.0.1 (triggerReason, stoppedReason) -> the simulation's stop reason (1.6's vocabulary).
    Built on first use: every command line imports this module, and 2.0.1's are a 1.6 run's
    costliest imports."""
    from simulator.ocpp.v201 import STOP_REASONS

    return {
        (trigger.value, stopped.value): model.value
        for model, (trigger, stopped) in STOP_REASONS.items()
    }


@dataclass(frozen=True, slots=True)
class Change:
    """A status reported at `t_s`: a connector's (`key` its id, or (evseId, connectorId) in
    2.0.1) or a 2.0.1 transaction's charging state (`key` ("tx", id); None once ended)."""

    t_s: float
    key: object
    status: str | None


@dataclass(frozen=True, slots=True)
class Reading:
    t_s: float
    energy_wh: float | None
    power_w: float | None
    soc_pct: float | None


def seconds(start: datetime, text: str) -> float:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - start).total_seconds()


def columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


@dataclass(frozen=True, slots=True)
class Tx:
    """One transaction as either version stored it, in the simulation's seconds."""

    port: str
    connector: object  # the key of its connector in the port's status history
    id_tag: str
    start_s: float
    stop_s: float | None  # None: still open
    meter_start_wh: float | None
    meter_stop_wh: float | None
    flagged: bool
    reason: str
    history: list[Reading]
    v201: bool  # whose status history says when its car left


@dataclass(slots=True)
class Port:
    """A port's status history in one version's terms, and how it reads as a PortState."""

    statuses: list[Change]  # connector statuses only (when the car left)
    changes: list[Change]  # everything the port's state follows
    state: Callable[[dict[object, str]], PortState]


def read_16(
    db: sqlite3.Connection, start: datetime, ports: Mapping[str, object]
) -> tuple[list[Tx], dict[str, Port]]:
    """The 1.6 tables: transactions, and each port's status history by connector id."""
    statuses: dict[str, list[Change]] = defaultdict(list)
    for cp, connector, status, timestamp in db.execute(
        "SELECT charge_point_id, connector_id, status, COALESCE(timestamp, received_at)"
        " FROM status_notifications ORDER BY id"
    ):
        if cp in ports:
            statuses[cp].append(Change(seconds(start, timestamp), connector, status))
    for reports in statuses.values():
        reports.sort(key=lambda s: s.t_s)  # stable: arrival order breaks ties
    readings = _readings(db, start, ports)
    flag_column = "stop_flag" if "stop_flag" in columns(db, "transactions") else "NULL"
    out = []
    for row in db.execute(
        "SELECT id, charge_point_id, connector_id, id_tag, meter_start_wh, started_at,"
        f" meter_stop_wh, stopped_at, stop_reason, {flag_column} FROM transactions ORDER BY id"
    ):
        transaction_id, cp, connector, id_tag, meter_start, started_at, meter_stop = row[:7]
        stopped_at, reason, flag = row[7], row[8], row[9]
        if cp not in ports:
            continue
        out.append(
            Tx(
                cp,
                connector,
                id_tag,
                seconds(start, started_at),
                None if stopped_at is None else seconds(start, stopped_at),
                meter_start,
                0 if meter_stop is None else meter_stop,
                bool(flag),
                reason or "Local",
                readings.get(transaction_id, []),
                v201=False,
            )
        )
    return out, {cp: Port(history, history, state_16) for cp, history in statuses.items()}


def read_201(
    db: sqlite3.Connection, start: datetime, ports: Mapping[str, object]
) -> tuple[list[Tx], dict[str, Port]]:
    """The 2.0.1 tables: transactions, and each station's history of connector statuses (by
    (evseId, connectorId)) and of its transactions' charging states (Occupied alone cannot
    tell charging from plugged in)."""
    statuses: dict[str, list[Change]] = defaultdict(list)
    for cp, evse, connector, status, timestamp in db.execute(
        "SELECT charge_point_id, evse_id, connector_id, connector_status, timestamp"
        " FROM status_notifications_201 ORDER BY id"
    ):
        if cp in ports:
            statuses[cp].append(Change(seconds(start, timestamp), (evse, connector), status))
    changes: dict[str, list[Change]] = defaultdict(list)
    for cp, reports in statuses.items():
        reports.sort(key=lambda s: s.t_s)  # stable: arrival order breaks ties
        changes[cp] += reports
    for cp, transaction_id, event_type, timestamp, charging_state in db.execute(
        "SELECT charge_point_id, transaction_id, event_type, timestamp, charging_state"
        " FROM transaction_events_201 ORDER BY charge_point_id, transaction_id, seq_no"
    ):
        if cp not in ports:
            continue
        key = ("tx", transaction_id)
        if event_type == "Ended":
            changes[cp].append(Change(seconds(start, timestamp), key, None))
        elif charging_state is not None:
            changes[cp].append(Change(seconds(start, timestamp), key, charging_state))
    for timeline in changes.values():
        timeline.sort(key=lambda s: s.t_s)
    readings = _readings_201(db, start, ports)
    out = []
    for row in db.execute(
        "SELECT charge_point_id, transaction_id, evse_id, connector_id, id_token,"
        " COALESCE(started_at, first_event_at), ended_at, stopped_reason, end_trigger_reason,"
        " meter_start_wh, meter_stop_wh FROM transactions_201 ORDER BY first_received_at, rowid"
    ):
        cp, transaction_id, evse, connector, id_token, started_at, ended_at = row[:7]
        stopped, trigger, meter_start, meter_stop = row[7:]
        if cp not in ports:
            continue
        readings_of = readings.get((cp, transaction_id), [])
        registers = [r.energy_wh for r in readings_of if r.energy_wh is not None]
        first = meter_start if meter_start is not None else next(iter(registers), None)
        last = meter_stop if meter_stop is not None else next(reversed(registers), None)
        out.append(
            Tx(
                cp,
                (evse, connector),
                id_token or "",
                seconds(start, started_at),
                None if ended_at is None else seconds(start, ended_at),
                first,
                last,
                first is not None and last is not None and last < first,
                # stoppedReason is optional: Local when absent (the spec's default)
                _reasons_201().get((trigger, stopped or "Local"), stopped or "Local"),
                readings_of,
                v201=True,
            )
        )
    return out, {cp: Port(statuses.get(cp, []), h, state_201) for cp, h in changes.items()}


def _readings_201(
    db: sqlite3.Connection, start: datetime, ports: Mapping[str, object]
) -> dict[tuple[str, str], list[Reading]]:
    """Per (station, transaction), its meter readings in time order, in Wh, W and %."""
    by_time: dict[tuple[str, str], dict[float, dict[str, float]]] = defaultdict(dict)
    for cp, transaction_id, timestamp, value, measurand, unit, multiplier in db.execute(
        "SELECT charge_point_id, transaction_id, timestamp, value, measurand, unit, multiplier"
        " FROM meter_values_201"
        " WHERE transaction_id IS NOT NULL AND measurand IN (?, ?, ?) AND phase = ''",
        (_ENERGY, _POWER, _SOC),
    ):
        if cp not in ports:
            continue
        # unitOfMeasure: the value in its unit is value x 10^multiplier; kWh and kW scale up
        number = float(value) * 10.0 ** int(multiplier or 0)
        if measurand != _SOC and str(unit).lower().startswith("k"):
            number *= 1000.0
        moments = by_time[(cp, transaction_id)]
        moments.setdefault(seconds(start, timestamp), {})[measurand] = number
    return {
        key: [
            Reading(t, m.get(_ENERGY), m.get(_POWER), m.get(_SOC))
            for t, m in sorted(moments.items())
        ]
        for key, moments in by_time.items()
    }


def _readings(
    db: sqlite3.Connection, start: datetime, ports: Mapping[str, object]
) -> dict[int, list[Reading]]:
    """Per transaction, its meter readings in time order (one per timestamp)."""
    by_time: dict[int, dict[float, dict[str, float]]] = defaultdict(dict)
    for cp, transaction_id, timestamp, value, measurand in db.execute(
        "SELECT charge_point_id, transaction_id, timestamp, value, measurand FROM meter_values"
        " WHERE transaction_id IS NOT NULL AND measurand IN (?, ?, ?) AND phase = ''",
        (_ENERGY, _POWER, _SOC),
    ):
        if cp not in ports:
            continue
        try:
            number = float(value)
        except ValueError:
            continue
        t_s = seconds(start, timestamp)
        by_time[transaction_id].setdefault(t_s, {})[measurand] = number
    out = {}
    for transaction_id, moments in by_time.items():
        out[transaction_id] = [
            Reading(t, m.get(_ENERGY), m.get(_POWER), m.get(_SOC))
            for t, m in sorted(moments.items())
        ]
    return out


def state_16(connectors: dict[object, str]) -> PortState:
    """1.6: connector 0 is the whole charge point."""
    if connectors.get(0) in _DOWN:
        return PortState.DOWN
    others = [status for c, status in connectors.items() if c != 0]
    if any(s in _CHARGING for s in others):
        return PortState.CHARGING
    if any(s in _OCCUPIED for s in others):
        return PortState.OCCUPIED
    return PortState.AVAILABLE


def state_201(held: dict[object, str]) -> PortState:
    """2.0.1: down when every connector is, charging while a transaction's chargingState is
    Charging (Occupied covers the rest of a visit), occupied while a connector is Occupied."""
    connectors = [v for k, v in held.items() if not isinstance(k, tuple) or k[0] != "tx"]
    if connectors and all(s in _DOWN for s in connectors):
        return PortState.DOWN
    if any(v == "Charging" for k, v in held.items() if isinstance(k, tuple) and k[0] == "tx"):
        return PortState.CHARGING
    if any(s in _OCCUPIED_201 for s in connectors):
        return PortState.OCCUPIED
    return PortState.AVAILABLE
