"""Records from what a central system stored: the operator's view of a run.

Reads the built-in central system's SQLite store and rebuilds the three kinds of records the
metrics are pure functions of. The store's schema is the contract, versioned by its
`PRAGMA user_version` (`central_system.store.SCHEMA_VERSION`, nothing of central_system is
imported): this reader knows versions 1 to 3 (2 added `transactions.stop_flag`, 3 the 2.0.1
tables) and refuses any other in one line. The file is opened read-only, so a version 1 store
is read as it is (its stops unflagged), not migrated. The 1.6 tables and the 2.0.1 ones
(`*_201`) are both read and their records merged: a run may have networks on each version.

- sessions from transactions: plugged in at the start, charging until the stop, gone at the
  connector's next Available/Faulted/Unavailable; energy = meterStop - meterStart (2.0.1: the
  Transaction.End register minus Transaction.Begin's). A transaction still open at the
  horizon is a car still charging (energy up to its last meter value), a stopped one whose
  connector never freed a car still plugged in. The final SoC is the last SoC reading plus
  the energy metered since over the battery (2.0.1's Ended event reads the register alone).
- port-state intervals from the status history. 1.6: down while connector 0 is Faulted or
  Unavailable, charging while a connector is Charging, occupied while one is Preparing,
  SuspendedEV/EVSE or Finishing, available otherwise. 2.0.1, whose Occupied covers the whole
  visit: down while every connector is Faulted or Unavailable, charging while a transaction's
  latest chargingState is Charging, occupied while a connector is Occupied. A charge point
  with statuses of both versions takes the 2.0.1 ones (and `store_warning` says so).
- power segments from the energy register between consecutive meter values of a transaction,
  and for a charge still running at the horizon its last power held until then (so energy
  agrees with the simulation to the meter's resolution: 1 Wh, and the curve's change over one
  sample interval at the horizon).

What the central system never sees cannot be rebuilt: drivers turned away or giving up before
they plugged in, waits in the queue, prices. What it stored but flagged as impossible (a stop
whose meter reads below its start, that comes before its start, or whose register went
backwards: `transactions.stop_flag`; a 2.0.1 register ending below its start) is left out of
the energy, and `store_warning` says so in one line, together with the stops for transactions
it never started (`unmatched_stops`). Brand and vehicle come from the id tag (idToken) when it
has the simulator's form (D<vehicle:2><driver:7>); 2.0.1 stop reasons are put back in the
simulation's words from the Ended event's (triggerReason, stoppedReason). The rows themselves
are read by `simulator.ocpp.store_rows`.
"""

from __future__ import annotations

import bisect
import itertools
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from simulator.errors import UserError
from simulator.model import id_tags
from simulator.model.accounts import enrolled
from simulator.model.records import (
    Outcome,
    PortInterval,
    PortState,
    PowerSegment,
    Records,
    SessionRecord,
)
from simulator.model.world import World
from simulator.ocpp.store_rows import (
    Change,
    Port,
    Reading,
    Tx,
    columns,
    read_16,
    read_201,
    state_16,
)

_FREE: Final = frozenset({"Available", "Faulted", "Unavailable"})
_TABLES: Final = ("transactions", "status_notifications", "meter_values")
_TABLES_201: Final = frozenset(
    {"transactions_201", "transaction_events_201", "status_notifications_201", "meter_values_201"}
)


#: The store schema versions this reader understands (see central_system/store.py); version 3
#: added the 2.0.1 tables.
SCHEMA_VERSIONS: Final = (1, 2, 3)


#: The summary's metrics a central system's store cannot tell, null in `chargenet report`'s
#: summary.json and n/a in its tables: who arrived but never plugged in (turned away, gave up,
#: so arrivals and their shares), waits in the queue before plugging in, and money (the store
#: holds no prices, fees, settlements or perks); and day_by_day's cars waiting.
UNSEEN: Final = (
    "arrivals",
    "turned_away",
    "gave_up",
    "turned_away_share",
    "gave_up_share",
    "p_wait",
    "mean_wait_min",
    "p95_wait_min",
    "wait_distribution",
    "driver_spend",
    "energy_revenue",
    "idle_fees",
    "roaming_fees",
    "settlements",
    "revenue",
    "perks_given",
    "free_sessions",
    "mean_waiting",
    "max_waiting",
)


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


def store_warning(path: Path, port_ids: Sequence[str] = ()) -> str | None:
    """One line on what the store holds but the records leave out, or None; with the
    scenario's `port_ids`, on those it does not hold too (reported as never used)."""
    missing = missing_charge_points(path, port_ids) if port_ids else None
    db = _open(path)
    try:
        parts = [] if missing is None else [f"{missing}: the others are reported as never used"]
        if "stop_flag" in columns(db, "transactions"):
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
        if _tables(db) >= _TABLES_201:
            (backwards,) = db.execute(
                "SELECT COUNT(*) FROM transactions_201 WHERE meter_stop_wh < meter_start_wh"
            ).fetchone()
            if backwards:
                parts.append(
                    f"{backwards} 2.0.1 transaction{'s' * (backwards != 1)} whose register ends"
                    " below its start: their energy is left out"
                )
            (both,) = db.execute(
                "SELECT COUNT(DISTINCT charge_point_id) FROM status_notifications_201 WHERE"
                " charge_point_id IN (SELECT charge_point_id FROM status_notifications)"
            ).fetchone()
            if both:
                parts.append(
                    f"{both} charge point{'s' * (both != 1)} reported statuses over both 1.6"
                    " and 2.0.1: their port states are read from the 2.0.1 ones"
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


_CHARGE_POINT_TABLES: Final = (
    "status_notifications",
    "transactions",
    "status_notifications_201",
    "transactions_201",
)


def stored_charge_points(path: Path) -> frozenset[str]:
    """The charge point ids the store knows: booted, or with a status or a transaction."""
    db = _open(path)
    try:
        tables = _tables(db)
        ids: set[str] = set()
        if "charge_points" in tables:
            ids |= {r[0] for r in db.execute("SELECT id FROM charge_points")}
        for table in _CHARGE_POINT_TABLES:
            if table in tables:
                ids |= {r[0] for r in db.execute(f"SELECT DISTINCT charge_point_id FROM {table}")}
        return frozenset(ids)
    finally:
        db.close()


def missing_charge_points(path: Path, port_ids: Sequence[str]) -> str | None:
    """How many of a scenario's charge points the store holds, unless it holds them all."""
    stored = stored_charge_points(path)
    matched = sum(1 for p in port_ids if p in stored)
    if matched == len(port_ids):
        return None
    return (
        f"{matched} of the scenario's {len(port_ids)} charge point ids are in the store"
        f" (it holds {len(stored)})"
    )


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
    members = {n.id: n.members for n in world.networks}
    deals = {(d.brand, d.network): d for d in world.deals}
    transactions, port_16 = read_16(db, start, ports)
    port_201: dict[str, Port] = {}
    if _tables(db) >= _TABLES_201:
        more, port_201 = read_201(db, start, ports)
        transactions += more
    histories = {**port_16, **port_201}  # a charge point in both: its 2.0.1 rows (warned)
    sessions: list[SessionRecord] = []
    segments: list[PowerSegment] = []
    for tx in transactions:
        port = ports[tx.port]
        if tx.start_s >= horizon_s:
            continue
        history = tx.history
        segments += _segments(tx.port, history, horizon_s)
        vehicle, brand, driver = _who(tx.id_tag, world)
        soc_start, soc_end = _soc(tx, world)
        deal = deals.get((brand, port.network))
        common: dict[str, Any] = {
            "arrival_s": tx.start_s,
            "vehicle": vehicle,
            "brand": brand,
            "driver": driver,
            "network": port.network,
            "site": port.site,
            "port": tx.port,
            "start_s": tx.start_s,
            "soc_start": soc_start,
            "soc_end": soc_end,
            # as the model decides it: a member of the network, or enrolled in its deal
            "partner": brand in members[port.network]
            or (deal is not None and driver >= 0 and enrolled(deal, driver)),
        }
        if tx.stop_s is None or tx.stop_s > horizon_s:
            tail = _tail(tx.port, history, horizon_s)
            if tail is not None:
                segments.append(tail)
            energy_kwh = sum(s.energy_kwh for s in _segments(tx.port, history, horizon_s))
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
        energy_kwh = _energy_kwh(tx)
        held = (port_201 if tx.v201 else port_16).get(tx.port)
        depart_s = _freed_at(held.statuses if held else [], tx.connector, tx.stop_s)
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
                reason=tx.reason,
                charge_end_s=tx.stop_s,
                depart_s=depart_s,
                energy_kwh=energy_kwh,
                **common,
            )
        )
    intervals = []
    for port_id in ports:
        held = histories.get(port_id)
        changes, state = (held.changes, held.state) if held else ([], state_16)
        intervals += _intervals(port_id, changes, horizon_s, state)
    return Records(
        horizon_s=horizon_s,
        warmup_s=world.warmup_s,
        sessions=tuple(sorted(sessions, key=lambda s: s.arrival_s)),
        intervals=tuple(intervals),
        segments=tuple(segments),
        limited=None,  # the store sees delivered power only, never what the car asked for
    )


def _soc(tx: Tx, world: World) -> tuple[float, float]:
    """The state of charge at the first and the last SoC reading, the last carried on to the
    final register by the energy since over the battery (2.0.1's Ended event reads the
    register alone by default; a 1.6 stop's SoC is read at the same instant: nothing to add)."""
    soc = [r for r in tx.history if r.soc_pct is not None]
    if not soc:
        return 0.0, 0.0
    first, last = soc[0], soc[-1]
    assert first.soc_pct is not None
    assert last.soc_pct is not None
    soc_end = last.soc_pct / 100.0
    registers = [r.energy_wh for r in tx.history if r.energy_wh is not None]
    final_wh = tx.meter_stop_wh if tx.stop_s is not None else next(reversed(registers), None)
    index = _vehicle_index(tx.id_tag)
    if (
        not tx.flagged
        and final_wh is not None
        and last.energy_wh is not None
        and index is not None
        and index < len(world.vehicles)
        and world.vehicles[index].battery_kwh > 0
    ):
        gained_kwh = max(0.0, final_wh - last.energy_wh) / 1000.0
        soc_end = min(1.0, soc_end + gained_kwh / world.vehicles[index].battery_kwh)
    return first.soc_pct / 100.0, soc_end


def _vehicle_index(id_tag: str) -> int | None:
    decoded = id_tags.decode(id_tag)
    return None if decoded is None else decoded[0]


def _energy_kwh(tx: Tx) -> float:
    """A stopped transaction's energy: stop minus start register (a flagged stop's reading is
    impossible: no energy is better than a wrong one), else the register's readings."""
    if tx.flagged:
        return 0.0
    registers = [r.energy_wh for r in tx.history if r.energy_wh is not None]
    first = tx.meter_start_wh if tx.meter_start_wh is not None else next(iter(registers), None)
    last = tx.meter_stop_wh if tx.meter_stop_wh is not None else next(reversed(registers), None)
    if first is None or last is None:
        return 0.0
    return max(0.0, last - first) / 1000.0


def _segments(port_id: str, history: list[Reading], horizon_s: float) -> list[PowerSegment]:
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


def _tail(port_id: str, history: list[Reading], horizon_s: float) -> PowerSegment | None:
    """A charge still running at the horizon: its last power held until the horizon (what
    the meter would read then, to one sample interval)."""
    last = next((r for r in reversed(history) if r.energy_wh is not None), None)
    if last is None or last.t_s >= horizon_s or not last.power_w:
        return None
    kw = last.power_w / 1000.0
    return PowerSegment(port_id, last.t_s, horizon_s, kw * (horizon_s - last.t_s) / 3600.0, kw, kw)


def _freed_at(history: list[Change], connector: object, after_s: float) -> float | None:
    """When the connector next stopped holding a car (its car left) after `after_s`."""
    times = [s.t_s for s in history]
    for s in history[bisect.bisect_left(times, after_s) :]:
        if s.key == connector and s.status in _FREE:
            return s.t_s
    return None


def _intervals(
    port_id: str,
    history: list[Change],
    horizon_s: float,
    state_of: Callable[[dict[object, str]], PortState],
) -> list[PortInterval]:
    """The port's state over [0, horizon], from its status history."""
    connectors: dict[object, str] = {}
    state, since_s = PortState.AVAILABLE, 0.0
    out = []
    i = 0
    while i < len(history):
        t_s = history[i].t_s
        if t_s >= horizon_s:
            break
        # every report at one instant first, then the state they leave
        while i < len(history) and history[i].t_s == t_s:
            change = history[i]
            if change.status is None:
                connectors.pop(change.key, None)
            else:
                connectors[change.key] = change.status
            i += 1
        now = state_of(connectors)
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
