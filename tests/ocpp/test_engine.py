"""The OCPP engine end to end (`run_ocpp_async` and its `Lockstep`): real websockets on
127.0.0.1 to real central systems."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import secrets
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action, RegistrationStatus
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from simulator import runner
from simulator.model.records import Outcome, Records
from simulator.model.world import World
from simulator.ocpp.builtin_csms import BuiltinCsms
from simulator.ocpp.engine import OcppRunOptions, run_ocpp_async
from simulator.ocpp.lockstep import Lockstep
from simulator.ocpp.transport import TransportConfig
from simulator.reports.summary import sessions_csv, to_json
from tests.ocpp.helpers import eventually, small_world, wait_for

RECONNECT_FAST: dict[str, Any] = {"backoff_initial_s": 0.05, "backoff_max_s": 0.5}
#: App sessions the operator test starts at most before one is still charging at its stop.
MAX_REMOTE_ATTEMPTS = 5


def summary_text(world: World, records: Records) -> str:
    return to_json(runner.summarize_world(world, records))


def plugged_in(records: Records) -> Counter[tuple[str, int]]:
    """(port, start in ms) of every session that plugged in: each must be one transaction."""
    return Counter(
        (s.port, round(s.start_s * 1000))
        for s in records.sessions
        if s.port and s.outcome in (Outcome.SERVED, Outcome.ON_SITE)
    )


def stored_transactions(db: Path, world: World) -> list[tuple[str, int, str | None, str | None]]:
    with contextlib.closing(sqlite3.connect(db)) as con:
        rows = con.execute(
            "SELECT charge_point_id, started_at, stopped_at, stop_reason FROM transactions"
        ).fetchall()
    out = []
    for cp, started_at, stopped_at, reason in rows:
        start_ms = round((datetime.fromisoformat(started_at) - world.start).total_seconds() * 1000)
        out.append((cp, start_ms, stopped_at, reason))
    return out


async def test_the_ocpp_engine_gives_the_fast_engines_summary_byte_for_byte(
    tmp_path: Path,
) -> None:
    world = small_world(tmp_path, days=1.0, failures=True)
    fast = runner.run_fast(world)
    records = await run_ocpp_async(world, OcppRunOptions(csms_db=tmp_path / "csms.sqlite"))
    assert summary_text(world, records) == summary_text(world, fast)
    assert records.sessions == fast.sessions


async def test_every_session_that_plugged_in_is_one_transaction_in_the_central_system(
    tmp_path: Path,
) -> None:
    world = small_world(tmp_path, days=1.0, failures=True)
    db = tmp_path / "csms.sqlite"
    records = await run_ocpp_async(world, OcppRunOptions(csms_db=db))
    stored = stored_transactions(db, world)
    assert Counter((cp, start_ms) for cp, start_ms, _, _ in stored) == plugged_in(records)
    stopped = {(cp, ms): reason for cp, ms, at, reason in stored if at is not None}
    for s in records.sessions:
        if s.outcome is Outcome.SERVED:
            assert stopped[(s.port, round(s.start_s * 1000))] == s.reason


async def test_a_central_system_killed_and_restarted_mid_run_loses_and_repeats_nothing(
    tmp_path: Path,
) -> None:
    world = small_world(tmp_path, days=1.0, rate_per_h=4.0, meter_interval_s=120.0)
    fast = runner.run_fast(world)
    db = tmp_path / "csms.sqlite"
    async with BuiltinCsms(db=db) as csms:
        transport = TransportConfig(csms.ws_url, response_timeout_s=5.0, **RECONNECT_FAST)
        # paced so that the run is surely still going when the central system dies
        lockstep = Lockstep(world, transport, pace=world.horizon_s / 4.0)
        async with asyncio.TaskGroup() as tasks:
            run = tasks.create_task(lockstep.run())
            await wait_for(lambda: lockstep.now_s() > world.horizon_s / 3, "a third of the run")
            assert not run.done()
            await csms.kill()
            await asyncio.sleep(0.3)
            await csms.start()
        records = run.result()
    assert summary_text(world, records) == summary_text(world, fast)
    assert all(client.connections >= 2 for client in lockstep.clients)  # all came back
    assert all(client.boots == 1 for client in lockstep.clients)  # a reconnect is no reboot
    stored = stored_transactions(db, world)
    assert Counter((cp, start_ms) for cp, start_ms, _, _ in stored) == plugged_in(records)
    served = sum(1 for s in records.sessions if s.outcome is Outcome.SERVED)
    assert sum(1 for *_, stopped_at, _ in stored if stopped_at is not None) == served


async def test_the_message_log_holds_every_frame_with_virtual_and_wall_time(
    tmp_path: Path,
) -> None:
    world = small_world(tmp_path, days=0.5)
    log = tmp_path / "frames.jsonl"
    await run_ocpp_async(world, OcppRunOptions(message_log=log))
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert {e["dir"] for e in entries} == {"send", "recv"}
    assert {e["cp"] for e in entries} == {p.id for p in world.ports}
    frames = [(e["dir"], json.loads(e["frame"])) for e in entries]
    calls = {f[1] for d, f in frames if d == "send" and f[0] == 2}
    results = {f[1] for d, f in frames if d == "recv" and f[0] == 3}
    assert calls == results  # every CALL answered, nothing answered twice
    virtual = [e["virtual_s"] for e in entries]
    assert virtual == sorted(virtual)
    assert virtual[-1] <= world.horizon_s
    assert [e["wall"] for e in entries] == sorted(e["wall"] for e in entries)
    assert entries[0]["virtual"] == "2025-01-06T00:00:00.000Z"
    for direction, frame in frames:
        if direction == "send" and frame[0] == 2 and "timestamp" in frame[3]:
            assert frame[3]["timestamp"].endswith("Z")


async def test_a_paced_run_gives_the_same_physics(tmp_path: Path) -> None:
    world = small_world(tmp_path, days=0.25)
    records = await run_ocpp_async(world, OcppRunOptions(pace=world.horizon_s / 0.5))
    assert summary_text(world, records) == summary_text(world, runner.run_fast(world))


# --- an independent backend: the ocpp package's own ChargePoint, stock validation on -------


class StockCentralSystem(ChargePoint):
    transactions = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.starts: list[str] = []
        self.stops: list[int] = []

    @on(Action.boot_notification)
    def on_boot(self, **_: Any) -> call_result.BootNotification:
        now = datetime.now(UTC).isoformat()
        return call_result.BootNotification(
            current_time=now, interval=600, status=RegistrationStatus.accepted
        )

    @on(Action.heartbeat)
    def on_heartbeat(self) -> call_result.Heartbeat:
        return call_result.Heartbeat(current_time=datetime.now(UTC).isoformat())

    @on(Action.status_notification)
    def on_status(self, **_: Any) -> call_result.StatusNotification:
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, id_tag: str) -> call_result.Authorize:
        return call_result.Authorize(id_tag_info={"status": "Accepted"})

    @on(Action.start_transaction)
    def on_start(self, id_tag: str, **_: Any) -> call_result.StartTransaction:
        StockCentralSystem.transactions += 1
        self.starts.append(id_tag)
        return call_result.StartTransaction(
            transaction_id=StockCentralSystem.transactions, id_tag_info={"status": "Accepted"}
        )

    @on(Action.stop_transaction)
    def on_stop(self, transaction_id: int, **_: Any) -> call_result.StopTransaction:
        self.stops.append(transaction_id)
        return call_result.StopTransaction()

    @on(Action.meter_values)
    def on_meter_values(self, **_: Any) -> call_result.MeterValues:
        return call_result.MeterValues()


@contextlib.asynccontextmanager
async def stock_backend() -> AsyncIterator[tuple[str, list[StockCentralSystem]]]:
    sessions: list[StockCentralSystem] = []

    async def handle(ws: ServerConnection) -> None:
        assert ws.request is not None
        session = StockCentralSystem(ws.request.path.rsplit("/", 1)[-1], ws)
        sessions.append(session)
        with contextlib.suppress(ConnectionClosed):
            await session.start()

    async with serve(handle, "127.0.0.1", 0, subprotocols=["ocpp1.6"]) as server:  # type: ignore[list-item]
        yield f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}", sessions


async def test_the_charge_points_work_against_an_independent_stock_ocpp_backend(
    tmp_path: Path,
) -> None:
    world = small_world(tmp_path, days=0.5)
    async with stock_backend() as (url, sessions):
        records = await run_ocpp_async(world, OcppRunOptions(csms_url=url))
    assert summary_text(world, records) == summary_text(world, runner.run_fast(world))
    assert sorted(s.id for s in sessions) == sorted(p.id for p in world.ports)
    assert sum(len(s.starts) for s in sessions) == sum(plugged_in(records).values())
    served = sum(1 for s in records.sessions if s.outcome is Outcome.SERVED)
    assert sum(len(s.stops) for s in sessions) == served


# --- operator calls through the built-in central system's HTTP API -------------------------


async def test_operator_calls_through_the_central_system_reach_the_running_simulation(
    tmp_path: Path,
) -> None:
    world = small_world(tmp_path, days=0.5, rate_per_h=0.5)
    db = tmp_path / "csms.sqlite"

    def query(sql: str, *params: object) -> list[tuple[Any, ...]]:
        with contextlib.closing(sqlite3.connect(db)) as con:
            return con.execute(sql, params).fetchall()

    async with (
        BuiltinCsms(db=db) as csms,
        aiohttp.ClientSession(headers=csms.api_headers) as http,
    ):

        async def call(cp: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
            url = f"{csms.api_url}/charge-points/{cp}/calls/{action}"
            async with http.post(url, json=payload) as response:
                body: dict[str, Any] = await response.json()
                assert response.status == 200, body
                return body

        async def idle_ports() -> list[str]:
            async with http.get(f"{csms.api_url}/charge-points") as response:
                listing = await response.json()
            return [
                cp["id"]
                for cp in listing["charge_points"]
                if {s["status"] for s in cp["last_status"].values()} == {"Available"}
            ]

        lockstep = Lockstep(world, TransportConfig(csms.ws_url), pace=world.horizon_s / 8.0)
        async with asyncio.TaskGroup() as tasks:
            run = tasks.create_task(lockstep.run())
            await wait_for(lambda: lockstep.now_s() > 0, "the run to start")
            idle = await idle_ports()
            assert len(idle) >= 3
            app_port, spare_port, reset_port = idle[:3]

            # remote start: an app-started session begins, gets a transaction; remote stop.
            # Virtual time runs thousands of times faster than the wall clock here, so the
            # session may reach its target before the stop arrives (then Rejected, as the
            # spec says): start another one, a bounded number of times.
            async def call_status(cp: str, action: str, payload: dict[str, Any]) -> str:
                return str((await call(cp, action, payload))["status"])

            for attempt in range(1, MAX_REMOTE_ATTEMPTS + 1):
                tag = f"APP{attempt:04d}"
                if await call_status(app_port, "RemoteStartTransaction", {"idTag": tag}) != (
                    "Accepted"
                ):
                    continue  # a driver took the port meanwhile

                async def app_transaction(tag: str = tag) -> list[tuple[Any, ...]]:
                    return query("SELECT id FROM transactions WHERE id_tag = ?", tag)

                [(transaction_id,)] = await eventually(app_transaction, "the app's transaction")
                status = await call_status(
                    app_port, "RemoteStopTransaction", {"transactionId": transaction_id}
                )
                if status == "Accepted":
                    break

                async def stopped_by_itself(tx: int = transaction_id) -> list[tuple[Any, ...]]:
                    return query("SELECT 1 FROM transactions WHERE id = ? AND stopped_at", tx)

                await eventually(stopped_by_itself, "the end of the app's session")
            else:
                raise AssertionError(f"no remote stop in {MAX_REMOTE_ATTEMPTS} app sessions")

            async def remote_stop() -> list[tuple[Any, ...]]:
                return query(
                    "SELECT 1 FROM transactions WHERE id = ? AND stop_reason = 'Remote'",
                    transaction_id,
                )

            await eventually(remote_stop, "the remote stop")

            # availability: out of service and back
            assert await call(
                spare_port, "ChangeAvailability", {"connectorId": 0, "type": "Inoperative"}
            ) == {"status": "Accepted"}

            def last_status(cp: str) -> str:
                rows = query(
                    "SELECT status FROM status_notifications WHERE charge_point_id = ?"
                    " AND connector_id = 0 ORDER BY id DESC LIMIT 1",
                    cp,
                )
                return str(rows[0][0]) if rows else ""

            await wait_for(lambda: last_status(spare_port) == "Unavailable", "Unavailable")
            assert await call(
                spare_port, "ChangeAvailability", {"connectorId": 0, "type": "Operative"}
            ) == {"status": "Accepted"}
            await wait_for(lambda: last_status(spare_port) == "Available", "Available again")

            # configuration
            config = await call(spare_port, "GetConfiguration", {"key": ["HeartbeatInterval"]})
            assert config["configurationKey"][0]["key"] == "HeartbeatInterval"
            assert await call(
                spare_port,
                "ChangeConfiguration",
                {"key": "MeterValueSampleInterval", "value": "600"},
            ) == {"status": "Accepted"}
            config = await call(
                spare_port, "GetConfiguration", {"key": ["MeterValueSampleInterval"]}
            )
            assert config["configurationKey"][0]["value"] == "600"

            # trigger, unlock
            before = len(query("SELECT id FROM status_notifications"))
            assert await call(
                spare_port, "TriggerMessage", {"requestedMessage": "StatusNotification"}
            ) == {"status": "Accepted"}
            await wait_for(
                lambda: len(query("SELECT id FROM status_notifications")) >= before + 3,
                "the triggered status notifications",
            )
            assert await call(spare_port, "UnlockConnector", {"connectorId": 1}) == {
                "status": "Unlocked"
            }

            # reset: the charge point reboots and boots again
            assert await call(reset_port, "Reset", {"type": "Soft"}) == {"status": "Accepted"}

            def boots(cp: str) -> int:
                rows = query("SELECT boot_count FROM charge_points WHERE id = ?", cp)
                return int(rows[0][0]) if rows else 0

            await wait_for(lambda: boots(reset_port) == 2, "the second boot")
        records = run.result()
    app_sessions = [s for s in records.sessions if s.driver == -1]
    assert 1 <= len(app_sessions) <= MAX_REMOTE_ATTEMPTS
    assert {s.port for s in app_sessions} == {app_port}
    assert [s.reason == "Remote" for s in app_sessions] == [False] * (len(app_sessions) - 1) + [
        True
    ]


# --- AuthorizationKey rotation (security profile 1) ---------------------------------------


async def test_a_charge_point_rotates_its_authorization_key_mid_run_and_the_old_key_is_refused(
    tmp_path: Path,
) -> None:
    world = small_world(tmp_path, days=0.5, rate_per_h=0.5)
    fast = runner.run_fast(world)
    old_key = "fleet-password-0123456789"
    new_key = secrets.token_hex(20)
    async with (
        BuiltinCsms(db=tmp_path / "csms.sqlite", password=old_key) as csms,
        aiohttp.ClientSession(
            headers={**csms.api_headers, "Content-Type": "application/json"}
        ) as http,
    ):

        async def call(cp: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
            url = f"{csms.api_url}/charge-points/{cp}/calls/{action}"
            async with http.post(url, data=json.dumps(payload)) as response:
                body: dict[str, Any] = await response.json()
                assert response.status == 200, body
                return body

        async def login_status(cp: str, password: str) -> int:
            token = base64.b64encode(f"{cp}:{password}".encode()).decode("ascii")
            try:
                async with connect(
                    TransportConfig(csms.ws_url).url_for(cp),
                    subprotocols=[Subprotocol("ocpp1.6")],
                    additional_headers={"Authorization": f"Basic {token}"},
                    open_timeout=30,
                ):
                    return 101
            except InvalidStatus as refused:
                return refused.response.status_code

        transport = TransportConfig(csms.ws_url, password=old_key, **RECONNECT_FAST)
        log = tmp_path / "frames.jsonl"
        lockstep = Lockstep(world, transport, pace=world.horizon_s / 12.0, message_log=log)
        async with asyncio.TaskGroup() as tasks:
            run = tasks.create_task(lockstep.run())
            await wait_for(lambda: lockstep.now_s() > 0, "the run to start")
            client, *others = lockstep.clients
            cp = client.id
            for bad in ("too-short", "ab" * 21, "not hex, though forty characters long!!"):
                change = {"key": "AuthorizationKey", "value": bad}
                assert await call(cp, "ChangeConfiguration", change) == {"status": "Rejected"}
            connections = client.connections
            change = {"key": "AuthorizationKey", "value": new_key}
            assert await call(cp, "ChangeConfiguration", change) == {"status": "Accepted"}
            # The reply came on the old connection; then a new one, with the new key, let in.
            await wait_for(
                lambda: client.connections > connections and client.online,
                "the reconnect with the new key",
            )
            assert client.transport.password == new_key
            assert all(other.transport.password == old_key for other in others)
            assert await login_status(cp, old_key) == 401
            # Write-only: listed, never revealed.
            asked = await call(cp, "GetConfiguration", {"key": ["AuthorizationKey"]})
            assert asked == {"configurationKey": [{"key": "AuthorizationKey", "readonly": False}]}
            everything = await call(cp, "GetConfiguration", {})
            assert "AuthorizationKey" in {k["key"] for k in everything["configurationKey"]}
            assert new_key not in json.dumps(everything)
            assert not run.done()  # all of it happened during the run
        records = run.result()
    # The rotation changed nothing in the physics.
    assert summary_text(world, records) == summary_text(world, fast)
    assert sessions_csv(records) == sessions_csv(fast)
    # The message log shows the call, not the key.
    text = log.read_text(encoding="utf-8")
    frames = [json.loads(json.loads(line)["frame"]) for line in text.splitlines()]
    keys = [f[3] for f in frames if f[0] == 2 and f[2] == "ChangeConfiguration"]
    assert len(keys) == 4
    assert {k["value"] for k in keys} == {"<redacted>"}
    assert new_key not in text
