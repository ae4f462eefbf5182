"""Fixtures: a central system in-process (most tests) or as a real subprocess, and clients.

Everything runs on 127.0.0.1 with a real SQLite file in tmp_path.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from central_system.config import CentralSystemConfig
from central_system.records import IdTag, IdTagStatus
from central_system.server import RunningCentralSystem, running

REPLY_TIMEOUT_S = 5.0
OCPP16_SUBPROTOCOL = Subprotocol("ocpp1.6")

ID_TAGS = (
    IdTag("ACCEPTED1", IdTagStatus.ACCEPTED),
    IdTag("BLOCKED1", IdTagStatus.BLOCKED),
    IdTag("EXPIRED1", IdTagStatus.EXPIRED),
    IdTag("INVALID1", IdTagStatus.INVALID),
    IdTag("PASTDUE1", IdTagStatus.ACCEPTED, expiry_date=datetime(2020, 1, 1, tzinfo=UTC)),
    IdTag("CHILD1", IdTagStatus.ACCEPTED, parent_id_tag="FLEET1"),
)


def make_config(tmp_path: Path, **overrides: Any) -> CentralSystemConfig:
    config = CentralSystemConfig(
        db_path=tmp_path / "csms.sqlite", port=0, api_port=0, id_tags=ID_TAGS, close_timeout_s=1.0
    )
    return dataclasses.replace(config, **overrides)


@pytest.fixture
async def central_system(tmp_path: Path) -> AsyncIterator[RunningCentralSystem]:
    async with running(make_config(tmp_path)) as central:
        yield central


@pytest.fixture
def db_rows(tmp_path: Path) -> Iterator[Any]:
    """Query the store as an independent reader would (WAL allows one beside the server)."""
    connections: list[sqlite3.Connection] = []

    def rows(sql: str, *params: object) -> list[tuple[Any, ...]]:
        if not connections:
            connections.append(sqlite3.connect(tmp_path / "csms.sqlite"))
        return connections[0].execute(sql, params).fetchall()

    yield rows
    for connection in connections:
        connection.close()


def now_text() -> str:
    return datetime.now(UTC).isoformat()


class RawClient:
    """A charge point that writes frames by hand."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._count = 0

    async def receive(self) -> list[Any]:
        frame = await asyncio.wait_for(self.ws.recv(), REPLY_TIMEOUT_S)
        message: list[Any] = json.loads(frame)
        return message

    async def send_raw(self, frame: str | bytes) -> list[Any]:
        await self.ws.send(frame)
        return await self.receive()

    async def call(self, action: str, payload: dict[str, Any]) -> list[Any]:
        self._count += 1
        message_id = f"m{self._count}"
        reply = await self.send_raw(json.dumps([2, message_id, action, payload]))
        assert reply[1] == message_id, reply
        return reply

    async def boot(self) -> dict[str, Any]:
        reply = await self.call(
            "BootNotification", {"chargePointVendor": "Raw", "chargePointModel": "Hand"}
        )
        assert reply[0] == 3, reply
        payload: dict[str, Any] = reply[2]
        return payload


@contextlib.asynccontextmanager
async def raw_client(
    ws_url: str, charge_point_id: str, **connect_options: Any
) -> AsyncIterator[RawClient]:
    connect_options.setdefault("subprotocols", [OCPP16_SUBPROTOCOL])
    async with connect(f"{ws_url}/{charge_point_id}", **connect_options) as ws:
        yield RawClient(ws)


class StockChargePoint(ChargePoint):
    """The ocpp package's own charge point, stock validation on: an independent client."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.received: list[tuple[str, dict[str, Any]]] = []

    @on(Action.reset)
    def on_reset(self, **payload: Any) -> call_result.Reset:
        self.received.append(("Reset", payload))
        return call_result.Reset(status="Accepted")

    @on(Action.remote_start_transaction)
    def on_remote_start(self, **payload: Any) -> call_result.RemoteStartTransaction:
        self.received.append(("RemoteStartTransaction", payload))
        return call_result.RemoteStartTransaction(status="Accepted")

    @on(Action.remote_stop_transaction)
    def on_remote_stop(self, **payload: Any) -> call_result.RemoteStopTransaction:
        self.received.append(("RemoteStopTransaction", payload))
        return call_result.RemoteStopTransaction(status="Rejected")

    @on(Action.change_availability)
    def on_change_availability(self, **payload: Any) -> call_result.ChangeAvailability:
        self.received.append(("ChangeAvailability", payload))
        return call_result.ChangeAvailability(status="Scheduled")

    @on(Action.get_configuration)
    def on_get_configuration(self, **payload: Any) -> call_result.GetConfiguration:
        self.received.append(("GetConfiguration", payload))
        return call_result.GetConfiguration(
            configuration_key=[{"key": "HeartbeatInterval", "readonly": False, "value": "300"}],
            unknown_key=["Nope"],
        )

    @on(Action.change_configuration)
    def on_change_configuration(self, **payload: Any) -> call_result.ChangeConfiguration:
        self.received.append(("ChangeConfiguration", payload))
        return call_result.ChangeConfiguration(status="Accepted")

    @on(Action.trigger_message)
    def on_trigger_message(self, **payload: Any) -> call_result.TriggerMessage:
        self.received.append(("TriggerMessage", payload))
        return call_result.TriggerMessage(status="Accepted")

    @on(Action.unlock_connector)
    def on_unlock_connector(self, **payload: Any) -> call_result.UnlockConnector:
        self.received.append(("UnlockConnector", payload))
        return call_result.UnlockConnector(status="Unlocked")

    @on(Action.clear_cache)
    def on_clear_cache(self, **payload: Any) -> call_result.ClearCache:
        self.received.append(("ClearCache", payload))
        return call_result.ClearCache(status="Accepted")

    @on(Action.data_transfer)
    def on_data_transfer(self, **payload: Any) -> call_result.DataTransfer:
        self.received.append(("DataTransfer", payload))
        return call_result.DataTransfer(status="Accepted", data="pong")


async def _serve_quietly(charge_point: ChargePoint) -> None:
    with contextlib.suppress(ConnectionClosed):
        await charge_point.start()


@contextlib.asynccontextmanager
async def stock_charge_point(ws_url: str, charge_point_id: str) -> AsyncIterator[StockChargePoint]:
    """A connected stock charge point, serving the central system's calls in a task group."""
    async with connect(f"{ws_url}/{charge_point_id}", subprotocols=[OCPP16_SUBPROTOCOL]) as ws:
        charge_point = StockChargePoint(charge_point_id, ws, response_timeout=REPLY_TIMEOUT_S)
        async with asyncio.TaskGroup() as tasks:
            serving = tasks.create_task(_serve_quietly(charge_point))
            try:
                yield charge_point
            finally:
                serving.cancel()


async def wait_until_connected(central: RunningCentralSystem, charge_point_id: str) -> None:
    async with asyncio.timeout(REPLY_TIMEOUT_S):
        while central.registry.get(charge_point_id) is None:
            await asyncio.sleep(0.01)


@dataclasses.dataclass
class ServerProcess:
    process: asyncio.subprocess.Process
    ws_url: str
    api_url: str
    #: As printed on the serve line (None when it was read from a file).
    api_token: str | None


def api_headers(api_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token}"}


@contextlib.asynccontextmanager
async def serve_process(db_path: Path, *arguments: str) -> AsyncIterator[ServerProcess]:
    """`python -m central_system serve --port 0 --api-port 0` as a real subprocess."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "central_system",
        "serve",
        "--port",
        "0",
        "--api-port",
        "0",
        "--db",
        str(db_path),
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        # generous: the server imports, compiles its schemas and opens the store first, and the
        # suite was seen taking over 20 s for that at load 45 on 2 cores
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        if not line:
            assert process.stderr is not None
            raise AssertionError(f"server did not start: {(await process.stderr.read()).decode()}")
        urls = json.loads(line)
        yield ServerProcess(process, urls["ws_url"], urls["api_url"], urls.get("api_token"))
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
        await process.wait()
