"""The operator's view: metrics from the central system's store against the simulation's."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from central_system.records import IdTagStatus, StatusReport, TransactionStart, TransactionStop
from central_system.store import SCHEMA_VERSION, Store
from central_system.v201.records import ConnectorStatus
from central_system.v201.store import Store201
from simulator import cli, runner
from simulator import scenario as sc
from simulator.model.records import Outcome, PortState
from simulator.model.world import World
from simulator.ocpp.engine import OcppRunOptions, run_ocpp_async
from simulator.ocpp.store_reader import SCHEMA_VERSIONS, read_records
from simulator.reports.summary import Metrics
from tests.central_system.conftest import raw_client, serve_process
from tests.ocpp.helpers import small_world, write_small_scenario

METER_WH = 1e-3  # the energy register counts whole Wh


def agree(sim: Metrics, csms: Metrics, sessions: int, tail_kwh: float) -> None:
    assert csms.served == sim.served
    assert csms.on_site_at_end == sim.on_site_at_end
    assert csms.occupancy_utilization == pytest.approx(sim.occupancy_utilization, abs=1e-6)
    assert csms.dispensing_utilization == pytest.approx(sim.dispensing_utilization, abs=1e-6)
    assert csms.energy_kwh == pytest.approx(sim.energy_kwh, abs=sessions * METER_WH + tail_kwh)
    assert csms.dispensed_kwh == pytest.approx(
        sim.dispensed_kwh, abs=sessions * METER_WH + tail_kwh
    )


def _row_counts(db: Path) -> dict[str, int]:
    con = sqlite3.connect(db)
    try:
        return {
            table: con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("transactions", "transactions_201")
        }
    finally:
        con.close()


def tail_allowance_kwh(world: World) -> float:
    # a charge running at the horizon is known up to its last sample: its power may change
    # along the curve within one interval (bounded here by the fastest port)
    return max(p.power_kw for p in world.ports) * world.meter_interval_s / 3600.0 * 0.05


def scenario_over(folder: Path, ocpp: str, **options: Any) -> Path:
    """The small scenario with every network on `ocpp` ("1.6", "2.0.1"), or "mixed": its
    south network on 2.0.1, north on 1.6 (one store holds both versions' tables)."""
    path = write_small_scenario(folder, **options)
    text = path.read_text(encoding="utf-8")
    for network in ("north", "south") if ocpp != "mixed" else ("south",):
        key = f'[[networks]]\nid = "{network}"\n'
        assert key in text
        version = "2.0.1" if ocpp == "mixed" else ocpp
        text = text.replace(key, f'{key}ocpp = "{version}"\n')
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("ocpp", "failures"),
    [("1.6", False), ("1.6", True), ("2.0.1", False), ("2.0.1", True), ("mixed", True)],
    ids=[
        "1.6, ports up",
        "1.6, ports failing",
        "2.0.1, ports up",
        "2.0.1, ports failing",
        "1.6 and 2.0.1 networks, ports failing",
    ],
)
async def test_the_stores_sessions_energy_and_occupancy_agree_with_the_simulation(
    tmp_path: Path, ocpp: str, failures: bool
) -> None:
    loaded = sc.load(
        scenario_over(tmp_path, ocpp, days=1.0, meter_interval_s=60.0, failures=failures)
    )
    world = sc.world(loaded)
    db = tmp_path / "csms.sqlite"
    options = OcppRunOptions(csms_db=db, versions=sc.ocpp_versions(loaded))
    records = await run_ocpp_async(world, options)
    tables = _row_counts(db)
    assert (tables["transactions"] > 0) == (ocpp != "2.0.1")
    assert (tables["transactions_201"] > 0) == (ocpp != "1.6")
    sim = runner.summarize_world(world, records)
    csms = runner.summarize_world(world, read_records(db, world))
    n = len(records.sessions)
    tail = tail_allowance_kwh(world)
    agree(sim.totals, csms.totals, n, tail)
    assert csms.totals.uptime_pct == pytest.approx(sim.totals.uptime_pct, abs=1e-6)
    assert sim.totals.uptime_pct is not None
    assert failures == (sim.totals.uptime_pct < 100)
    for port_id, metrics in sim.ports.items():
        agree(metrics, csms.ports[port_id], n, tail)
    for site_id, metrics in sim.sites.items():
        agree(metrics, csms.sites[site_id], n, tail)
    served = [s for s in records.sessions if s.outcome is Outcome.SERVED]
    rebuilt = [s for s in read_records(db, world).sessions if s.outcome is Outcome.SERVED]
    assert any(s.partner for s in served)
    assert not all(s.partner for s in served)
    key = lambda s: (s.port, round(s.start_s, 3))  # noqa: E731
    for a, b in zip(sorted(served, key=key), sorted(rebuilt, key=key), strict=True):
        assert (a.port, a.reason, a.brand, a.vehicle, a.partner) == (
            b.port,
            b.reason,
            b.brand,
            b.vehicle,
            b.partner,
        )
        assert b.start_s == pytest.approx(a.start_s, abs=1e-3)
        assert b.charge_end_s == pytest.approx(a.charge_end_s, abs=1e-3)
        assert b.depart_s == pytest.approx(a.depart_s, abs=1e-3)
        assert b.energy_kwh == pytest.approx(a.energy_kwh, abs=METER_WH)
        assert b.soc_end == pytest.approx(a.soc_end, abs=1e-3)


#: Half of Arrow's drivers enrolled in a deal at south, where Arrow is no member.
ARROW_DEAL = """
[[deals]]
brand = "Arrow"
network = "south"
perk = "member_price"
price_per_kwh = 0.45
paid_by = "Arrow"
settlement = "list_price"
eligible_share = 0.5
"""


async def test_the_store_s_sessions_are_partner_sessions_where_the_simulation_s_are(
    tmp_path: Path,
) -> None:
    path = write_small_scenario(tmp_path, days=1.0, rate_per_h=4.0)
    path.write_text(path.read_text(encoding="utf-8") + ARROW_DEAL, encoding="utf-8")
    world = sc.world(sc.load(path))
    db = tmp_path / "csms.sqlite"
    records = await run_ocpp_async(world, OcppRunOptions(csms_db=db))
    key = lambda s: (s.port, round(s.start_s, 3))  # noqa: E731
    simulated = {key(s): s.partner for s in records.sessions if s.outcome is Outcome.SERVED}
    stored = {
        key(s): s.partner for s in read_records(db, world).sessions if s.outcome is Outcome.SERVED
    }
    assert stored == simulated
    arrow_south = [
        s.partner
        for s in records.sessions
        if s.outcome is Outcome.SERVED and s.brand == "Arrow" and s.network == "south"
    ]
    # enrolled and not: the deal, not the brand, makes these partners
    assert True in arrow_south
    assert False in arrow_south


@pytest.mark.parametrize(
    ("ocpp", "flag"),
    [("1.6", []), ("1.6", ["--ocpp", "2.0.1"]), ("mixed", [])],
    ids=["1.6", "2.0.1 by the run's flag", "1.6 and 2.0.1 networks"],
)
def test_chargenet_report_writes_the_operators_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], ocpp: str, flag: list[str]
) -> None:
    scenario = scenario_over(tmp_path, ocpp, days=0.5)
    db = tmp_path / "csms.sqlite"
    run = ["run", str(scenario), "--engine", "ocpp", "--csms-db", str(db), "--quiet", *flag]
    assert cli.main([*run, "--out", str(tmp_path / "sim")]) == 0
    report = ["report", "--csms-db", str(db), "--scenario", str(scenario), "--quiet"]
    assert cli.main([*report, "--out", str(tmp_path / "csms")]) == 0
    capsys.readouterr()
    sim: dict[str, Any] = json.loads((tmp_path / "sim" / "summary.json").read_text())
    csms: dict[str, Any] = json.loads((tmp_path / "csms" / "summary.json").read_text())
    assert csms["totals"]["served"] == sim["totals"]["served"] > 0
    for key in ("occupancy_utilization", "dispensing_utilization"):  # both rounded to 1e-6
        assert csms["totals"][key] == pytest.approx(sim["totals"][key], abs=2e-6)
    assert (_row_counts(db)["transactions_201"] > 0) == (ocpp == "mixed" or bool(flag))
    assert (tmp_path / "csms" / "sessions.csv").exists()


@pytest.mark.parametrize("kind", ["missing", "not_sqlite", "other_schema"])
def test_a_file_that_is_not_a_central_system_store_ends_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    scenario = write_small_scenario(tmp_path)
    db = tmp_path / "store.sqlite"
    if kind == "not_sqlite":
        db.write_text("hello, world" * 100)
    elif kind == "other_schema":
        with sqlite3.connect(db) as con:
            con.execute("CREATE TABLE t (x)")
    code = cli.main(["report", "--csms-db", str(db), "--scenario", str(scenario)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"chargenet: --csms-db {db}: ")
    assert err.count("\n") == 1


def _store_with_one_session(db: Path, world: World) -> None:
    """A real store (written by central_system.store) holding one 20 kWh session on a port."""
    port_id, at = world.ports[0].id, world.start + timedelta(hours=1)
    store = Store(db)
    try:
        for connector_id, state, moment in ((0, "Available", at), (1, "Preparing", at)):
            store.record_status(
                StatusReport(port_id, connector_id, state, "NoError", moment), moment
            )
        transaction_id, _ = store.start_transaction(
            TransactionStart(port_id, 1, "D000000001", 1_000, at), IdTagStatus.ACCEPTED, at
        )
        stopped = at + timedelta(minutes=30)
        store.stop_transaction(TransactionStop(port_id, transaction_id, 21_000, stopped), [], at)
        freed = at + timedelta(minutes=35)
        store.record_status(StatusReport(port_id, 1, "Available", "NoError", freed), freed)
    finally:
        store.close()


def _set_version(db: Path, version: int) -> None:
    con = sqlite3.connect(db)
    try:
        con.execute(f"PRAGMA user_version={version}")
        con.commit()
    finally:
        con.close()


def test_the_reader_knows_the_schema_version_the_central_system_writes(tmp_path: Path) -> None:
    world = small_world(tmp_path, days=0.2)
    db = tmp_path / "csms.sqlite"
    _store_with_one_session(db, world)
    con = sqlite3.connect(db)
    (written,) = con.execute("PRAGMA user_version").fetchone()
    con.close()
    assert written == SCHEMA_VERSION
    assert written in SCHEMA_VERSIONS
    (session,) = read_records(db, world).sessions
    assert (session.outcome, session.energy_kwh) == (Outcome.SERVED, pytest.approx(20.0))


def test_a_version_1_store_is_read_as_it_is_without_stop_flags(tmp_path: Path) -> None:
    world = small_world(tmp_path, days=0.2)
    db = tmp_path / "csms.sqlite"
    _store_with_one_session(db, world)
    con = sqlite3.connect(db)
    con.execute("ALTER TABLE transactions DROP COLUMN stop_flag")  # version 2 added it
    con.commit()
    con.close()
    _set_version(db, 1)
    (session,) = read_records(db, world).sessions
    assert (session.outcome, session.energy_kwh) == (Outcome.SERVED, pytest.approx(20.0))
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone() == (1,)  # read-only: not migrated
    con.close()


@pytest.mark.parametrize("version", [0, SCHEMA_VERSION + 1, 99])
def test_a_store_of_a_schema_version_the_reader_does_not_know_ends_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], version: int
) -> None:
    scenario = write_small_scenario(tmp_path, days=0.2)
    db = tmp_path / "csms.sqlite"
    _store_with_one_session(db, small_world(tmp_path, days=0.2))
    _set_version(db, version)
    out = tmp_path / "csms"
    report = ["report", "--csms-db", str(db), "--scenario", str(scenario), "--out", str(out)]
    code = cli.main(report)
    err = capsys.readouterr().err
    assert code == 2
    assert err == (
        f"chargenet: --csms-db {db}: store schema version {version} is not supported"
        f" (chargenet report reads versions 1, 2 and 3)\n"
    )
    assert not out.exists()


async def _charge(db: Path, port_id: str, at: datetime, *, impossible: bool) -> None:
    """One real 20 kWh session on the port, or (impossible) a stop below its start and a stop
    for a transaction never started."""
    async with serve_process(db) as server, raw_client(server.ws_url, port_id) as cp:

        async def status(connector_id: int, state: str, moment: datetime) -> None:
            report = {"connectorId": connector_id, "errorCode": "NoError", "status": state}
            assert (await cp.call("StatusNotification", {**report, "timestamp": stamp(moment)}))[
                0
            ] == 3

        meter_start, meter_stop = (60_000, 8_000) if impossible else (1_000, 21_000)
        if not impossible:
            await status(0, "Available", at)
            await status(1, "Preparing", at)
        start = {"connectorId": 1, "idTag": "D000000001", "meterStart": meter_start}
        started = await cp.call("StartTransaction", {**start, "timestamp": stamp(at)})
        stop = {
            "meterStop": meter_stop,  # impossible: 52 kWh "lost" if taken at face value
            "timestamp": stamp(at + timedelta(minutes=30)),
            "transactionId": started[2]["transactionId"],
        }
        assert (await cp.call("StopTransaction", stop))[0] == 3
        if impossible:
            unknown = {**stop, "transactionId": 999_999}
            assert (await cp.call("StopTransaction", unknown))[0] == 3
        await status(1, "Available", at + timedelta(minutes=35))


def stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_a_store_with_flagged_and_unmatched_stops_makes_the_report_warn_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = write_small_scenario(tmp_path, days=0.2)
    world = small_world(tmp_path, days=0.2)
    db = tmp_path / "csms.sqlite"
    port_id = world.ports[0].id
    report = ["report", "--csms-db", str(db), "--scenario", str(scenario), "--quiet"]
    asyncio.run(_charge(db, port_id, world.start + timedelta(hours=1), impossible=False))
    assert cli.main([*report, "--out", str(tmp_path / "clean")]) == 0
    partly = f"warning: --csms-db {db}: 1 of the scenario's 5 charge point ids are in the store"
    assert capsys.readouterr().err.startswith(partly)  # one port of five charged

    asyncio.run(_charge(db, port_id, world.start + timedelta(hours=2), impossible=True))
    assert cli.main([*report, "--out", str(tmp_path / "csms")]) == 0
    err = capsys.readouterr().err
    clean: dict[str, Any] = json.loads((tmp_path / "clean" / "summary.json").read_text())
    flagged: dict[str, Any] = json.loads((tmp_path / "csms" / "summary.json").read_text())
    assert clean["totals"]["energy_kwh"] == pytest.approx(20.0)
    assert err.count("\n") == 1
    assert err.startswith("warning: --csms-db")
    assert "1 stop flagged as impossible (1 meter stop below start)" in err
    assert "1 stop for transactions the central system never started" in err
    assert flagged["totals"]["energy_kwh"] == pytest.approx(20.0)


def test_a_charge_point_with_statuses_of_both_versions_is_read_from_its_201_ones_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = write_small_scenario(tmp_path, days=0.2)
    world = small_world(tmp_path, days=0.2)
    db = tmp_path / "csms.sqlite"
    _store_with_one_session(db, world)  # 1.6: occupied from 1:00 to 1:35
    port_id, at = world.ports[0].id, world.start + timedelta(hours=2)
    store = Store(db)
    try:  # the same id over 2.0.1: occupied from 2:00 on
        Store201(store).record_status(ConnectorStatus(port_id, 1, 1, "Occupied", at), at)
    finally:
        store.close()
    records = read_records(db, world)
    (session,) = records.sessions  # its car left as the 1.6 statuses say
    assert (session.outcome, session.depart_s) == (Outcome.SERVED, 3600.0 + 35 * 60)
    intervals = [i for i in records.intervals if i.port == port_id]
    occupied = [(i.start_s, i.end_s) for i in intervals if i.state is PortState.OCCUPIED]
    assert occupied == [(7200.0, world.horizon_s)]
    report = ["report", "--csms-db", str(db), "--scenario", str(scenario), "--quiet"]
    assert cli.main([*report, "--out", str(tmp_path / "csms")]) == 0
    err = capsys.readouterr().err
    assert err == (
        f"warning: --csms-db {db}: 1 of the scenario's 5 charge point ids are in the store (it"
        " holds 1): the others are reported as never used; 1 charge point reported statuses"
        " over both 1.6 and 2.0.1: their port states are read from the 2.0.1 ones\n"
    )
