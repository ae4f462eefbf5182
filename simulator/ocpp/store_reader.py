"""Records from what a central system stored: the operator's view of a run.

Reads the built-in central system's SQLite store and rebuilds the three kinds of records the
metrics are pure functions of. The store's schema is the contract, versioned by its
`PRAGMA user_version` (`central_system.store.SCHEMA_VERSION`, nothing of central_system is
imported): this reader knows versions 1 and 2 (2 added `transactions.stop_flag`) and refuses
any other in one line. The file is opened read-only, so a version 1 store is read as it is
(its stops unflagged), not migrated.

- sessions from transactions: plugged in at the start, charging until the stop, gone at the
  connector's next Available/Faulted/Unavailable; energy = meterStop - meterStart. A
  transaction still open at the horizon is a car still charging (energy up to its last meter
  value), a stopped one whose connector never freed a car still plugged in.
- port-state intervals from the status history: down while connector 0 is Faulted or
  Unavailable, charging while a connector is Charging, occupied while one is Preparing,
  SuspendedEV/EVSE or Finishing, available otherwise.
- power segments from the energy register between consecutive meter values of a transaction,
  and for a charge still running at the horizon its last power held until then (so energy
  agrees with the simulation to the meter's resolution: 1 Wh, and the curve's change over one
  sample interval at the horizon).

What the central system never sees cannot be rebuilt: drivers turned away or giving up before
they plugged in, waits in the queue, prices. What it stored but flagged as impossible (a stop
whose meter reads below its start, that comes before its start, or whose register went
backwards: `transactions.stop_flag`) is left out of the energy, and `store_warning` says so in
one line, together with the stops for transactions it never started (`unmatched_stops`).
Brand and vehicle come from the id tag when it has the simulator's form (D<vehicle:2><driver:7>).
"""

from __future__ import annotations

import bisect
import itertools
import sqlite3
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from simulator.errors import UserError
from simulator.model import id_tags
from simulator.model.records import (
    Outcome,
    PortInterval,
    PortState,
    PowerSegment,
    Records,
    SessionRecord,
)
from simulator.model.world import World

_ENERGY: Final = "Energy.Active.Import.Register"
_POWER: Final = "Power.Active.Import"
_SOC: Final = "SoC"
_CHARGING: Final = frozenset({"Charging"})
_OCCUPIED: Final = frozenset({"Preparing", "SuspendedEV", "SuspendedEVSE", "Finishing"})
_DOWN: Final = frozenset({"Faulted", "Unavailable"})
_FREE: Final = frozenset({"Available", "Faulted", "Unavailable"})
_TABLES: Final = ("transactions", "status_notifications", "meter_values")
#: The store schema versions this reader understands (see central_system/store.py); version 3
#: only added the 2.0.1 tables, which this reader does not read yet.
SCHEMA_VERSIONS: Final = (1, 2, 3)


@dataclass(frozen=True, slots=True)
class _Status:
    t_s: float
    connector_id: int
    status: str


@dataclass(frozen=True, slots=True)
class _Reading:
    t_s: float
    energy_wh: float | None
    power_w: float | None
    soc_pct: float | None


def _seconds(start: datetime, text: str) -> float:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - start).total_seconds()


def _open(path: Path) -> sqlite3.Connection:
    """The store read-only, once its schema version is one this reader understands."""
    if not path.is_file():
        raise UserError(f"--csms-db {path}: no such file")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.DatabaseError as e:
        raise UserError(f"--csms-db {path}: cannot open ({e})") from None
    try:
        _check(path, db)
    except BaseException:
        db.close()
        raise
    return db


def _check(path: Path, db: sqlite3.Connection) -> None:
    try:
        (version,) = db.execute("PRAGMA user_version").fetchone()
        names = _tables(db)
    except sqlite3.DatabaseError as e:
        raise UserError(f"--csms-db {path}: not a SQLite database ({e})") from None
    # a version from elsewhere first: a newer store may well have renamed a table
    if version != 0 and version not in SCHEMA_VERSIONS:
        raise UserError(_unsupported(path, version))
    missing = [t for t in _TABLES if t not in names]
    if missing:
        raise UserError(
            f"--csms-db {path}: not a chargenet central system store (no table {missing[0]})"
        )
    if version not in SCHEMA_VERSIONS:
        raise UserError(_unsupported(path, version))


def _unsupported(path: Path, version: int) -> str:
    *first, last = (str(v) for v in SCHEMA_VERSIONS)
    known = f"{', '.join(first)} and {last}"
    return (
        f"--csms-db {path}: store schema version {version} is not supported"
        f" (chargenet report reads versions {known})"
    )


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def store_warning(path: Path) -> str | None:
    """One line on what the store holds but the records leave out, or None."""
    db = _open(path)
    try:
        parts = []
        if "stop_flag" in _columns(db, "transactions"):
            flags = db.execute(
                "SELECT stop_flag, COUNT(*) FROM transactions WHERE stop_flag IS NOT NULL"
                " GROUP BY stop_flag ORDER BY stop_flag"
            ).fetchall()
            if flags:
                total = sum(count for _, count in flags)
                kinds = ", ".join(f"{count} {flag.replace('_', ' ')}" for flag, count in flags)
                parts.append(
                    f"{total} stop{'s' * (total != 1)} flagged as impossible ({kinds}):"
                    " their energy is left out"
                )
        if "unmatched_stops" in _tables(db):
            (unmatched,) = db.execute("SELECT COUNT(*) FROM unmatched_stops").fetchone()
            if unmatched:
                parts.append(
                    f"{unmatched} stop{'s' * (unmatched != 1)} for transactions the central"
                    " system never started are not counted"
                )
    finally:
        db.close()
    return f"warning: --csms-db {path}: " + "; ".join(parts) if parts else None


def _tables(db: sqlite3.Connection) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def read_records(path: Path, world: World) -> Records:
    """The records a central system's store implies for `world` (ports by charge point id)."""
    db = _open(path)
    try:
        return _records(db, world)
    finally:
        db.close()


def _records(db: sqlite3.Connection, world: World) -> Records:
    start = world.start
    horizon_s = world.horizon_s
    ports = {p.id: p for p in world.ports}
    statuses: dict[str, list[_Status]] = defaultdict(list)
    for cp, connector, status, timestamp in db.execute(
        "SELECT charge_point_id, connector_id, status, COALESCE(timestamp, received_at)"
        " FROM status_notifications ORDER BY id"
    ):
        if cp in ports:
            statuses[cp].append(_Status(_seconds(start, timestamp), connector, status))
    for reports in statuses.values():
        reports.sort(key=lambda s: s.t_s)  # stable: arrival order breaks ties
    readings = _readings(db, start, ports)
    sessions: list[SessionRecord] = []
    segments: list[PowerSegment] = []
    flag_column = "stop_flag" if "stop_flag" in _columns(db, "transactions") else "NULL"
    for row in db.execute(
        "SELECT id, charge_point_id, connector_id, id_tag, meter_start_wh, started_at,"
        f" meter_stop_wh, stopped_at, stop_reason, {flag_column} FROM transactions ORDER BY id"
    ):
        transaction_id, cp, connector, id_tag, meter_start, started_at, meter_stop = row[:7]
        stopped_at, reason, flag = row[7], row[8], row[9]
        port = ports.get(cp)
        if port is None:
            continue
        start_s = _seconds(start, started_at)
        if start_s >= horizon_s:
            continue
        history = readings.get(transaction_id, [])
        segments += _segments(cp, history, horizon_s)
        vehicle, brand, driver = _who(id_tag, world)
        soc = [r.soc_pct for r in history if r.soc_pct is not None]
        soc_start = soc[0] / 100.0 if soc else 0.0
        soc_end = soc[-1] / 100.0 if soc else soc_start
        common: dict[str, Any] = {
            "arrival_s": start_s,
            "vehicle": vehicle,
            "brand": brand,
            "driver": driver,
            "network": port.network,
            "site": port.site,
            "port": cp,
            "start_s": start_s,
            "soc_start": soc_start,
            "soc_end": soc_end,
        }
        if stopped_at is None or _seconds(start, stopped_at) > horizon_s:
            tail = _tail(cp, history, horizon_s)
            if tail is not None:
                segments.append(tail)
            energy_kwh = sum(s.energy_kwh for s in _segments(cp, history, horizon_s))
            energy_kwh += tail.energy_kwh if tail is not None else 0.0
            sessions.append(
                SessionRecord(
                    outcome=Outcome.ON_SITE,
                    reason="charging",
                    depart_s=horizon_s,
                    energy_kwh=energy_kwh,
                    **common,
                )
            )
            continue
        stop_s = _seconds(start, stopped_at)
        # a flagged stop's meter reading is impossible: no energy is better than a wrong one
        energy_kwh = 0.0 if flag else max(0.0, (meter_stop or 0) - meter_start) / 1000.0
        depart_s = _freed_at(statuses.get(cp, []), connector, stop_s)
        if depart_s is None or depart_s > horizon_s:
            sessions.append(
                SessionRecord(
                    outcome=Outcome.ON_SITE,
                    reason="plugged_in",
                    depart_s=horizon_s,
                    energy_kwh=energy_kwh,
                    **common,
                )
            )
            continue
        sessions.append(
            SessionRecord(
                outcome=Outcome.SERVED,
                reason=reason or "Local",
                charge_end_s=stop_s,
                depart_s=depart_s,
                energy_kwh=energy_kwh,
                **common,
            )
        )
    intervals = [
        interval
        for port_id in ports
        for interval in _intervals(port_id, statuses.get(port_id, []), horizon_s)
    ]
    return Records(
        horizon_s=horizon_s,
        warmup_s=world.warmup_s,
        sessions=tuple(sorted(sessions, key=lambda s: s.arrival_s)),
        intervals=tuple(intervals),
        segments=tuple(segments),
    )


def _readings(
    db: sqlite3.Connection, start: datetime, ports: Mapping[str, object]
) -> dict[int, list[_Reading]]:
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
        t_s = _seconds(start, timestamp)
        by_time[transaction_id].setdefault(t_s, {})[measurand] = number
    out = {}
    for transaction_id, moments in by_time.items():
        out[transaction_id] = [
            _Reading(t, m.get(_ENERGY), m.get(_POWER), m.get(_SOC))
            for t, m in sorted(moments.items())
        ]
    return out


def _segments(port_id: str, history: list[_Reading], horizon_s: float) -> list[PowerSegment]:
    """Energy between consecutive register readings, power linear between the samples."""
    points = [r for r in history if r.energy_wh is not None and r.t_s <= horizon_s]
    out = []
    for a, b in itertools.pairwise(points):
        assert a.energy_wh is not None
        assert b.energy_wh is not None
        energy_kwh = (b.energy_wh - a.energy_wh) / 1000.0
        if b.t_s > a.t_s and energy_kwh > 0:
            out.append(
                PowerSegment(
                    port_id,
                    a.t_s,
                    b.t_s,
                    energy_kwh,
                    (a.power_w or 0.0) / 1000.0,
                    (b.power_w or 0.0) / 1000.0,
                )
            )
    return out


def _tail(port_id: str, history: list[_Reading], horizon_s: float) -> PowerSegment | None:
    """A charge still running at the horizon: its last power held until the horizon (what
    the meter would read then, to one sample interval)."""
    last = next((r for r in reversed(history) if r.energy_wh is not None), None)
    if last is None or last.t_s >= horizon_s or not last.power_w:
        return None
    kw = last.power_w / 1000.0
    return PowerSegment(port_id, last.t_s, horizon_s, kw * (horizon_s - last.t_s) / 3600.0, kw, kw)


def _freed_at(history: list[_Status], connector_id: int, after_s: float) -> float | None:
    """When the connector next stopped holding a car (its car left) after `after_s`."""
    times = [s.t_s for s in history]
    for s in history[bisect.bisect_left(times, after_s) :]:
        if s.connector_id == connector_id and s.status in _FREE:
            return s.t_s
    return None


def _state(connectors: dict[int, str]) -> PortState:
    if connectors.get(0) in _DOWN:
        return PortState.DOWN
    others = [status for c, status in connectors.items() if c != 0]
    if any(s in _CHARGING for s in others):
        return PortState.CHARGING
    if any(s in _OCCUPIED for s in others):
        return PortState.OCCUPIED
    return PortState.AVAILABLE


def _intervals(port_id: str, history: list[_Status], horizon_s: float) -> list[PortInterval]:
    """The port's state over [0, horizon], from its connectors' status history."""
    connectors: dict[int, str] = {}
    state, since_s = PortState.AVAILABLE, 0.0
    out = []
    i = 0
    while i < len(history):
        t_s = history[i].t_s
        if t_s >= horizon_s:
            break
        # every report at one instant first, then the state they leave
        while i < len(history) and history[i].t_s == t_s:
            connectors[history[i].connector_id] = history[i].status
            i += 1
        now = _state(connectors)
        if now is not state:
            t_s = max(t_s, 0.0)
            if t_s > since_s:
                out.append(PortInterval(port_id, state, since_s, t_s))
            state, since_s = now, max(t_s, since_s)
    if horizon_s > since_s:
        out.append(PortInterval(port_id, state, since_s, horizon_s))
    return out


def _who(id_tag: str, world: World) -> tuple[str, str, int]:
    """(vehicle, brand, driver) from a simulator id tag, else ("", "unknown", -1)."""
    decoded = id_tags.decode(id_tag)
    if decoded is not None:
        index, driver = decoded
        if index < len(world.vehicles):
            vehicle = world.vehicles[index]
            return vehicle.id, vehicle.brand, driver
    return "", "unknown", -1
