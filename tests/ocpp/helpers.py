"""Shared by the OCPP engine's tests: a small scenario, a recording station, raw servers.

Everything talks to 127.0.0.1 only; every wait is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

from simulator import scenario as sc
from simulator.model.world import Port, World
from simulator.ocpp.clock import VirtualClock
from simulator.ocpp.transport import TransportConfig
from simulator.ocpp.v16 import ChargePointV16

WAIT_S = 10.0  # the longest any test waits for one thing to happen
POLL_S = 0.02

SMALL_SCENARIO = """
name = "ocpp-small"

[simulation]
days = {days}
seed = {seed}
meter_interval_s = {meter_interval_s}

[[networks]]
id = "north"
access = "open"
price_per_kwh = 0.50
idle_fee_per_min = 0.40
idle_grace_min = 5.0
[[networks.sites]]
id = "n"
ports = [
  {{ power_kw = 150, connectors = ["CCS1", "CHAdeMO"], count = 2 }},
  {{ power_kw = 50, connectors = ["CCS1"] }},
]

[[networks]]
id = "south"
access = "open"
members = ["Volt"]
price_per_kwh = 0.45
non_member_price_per_kwh = 0.60
[[networks.sites]]
id = "s"
ports = [{{ power_kw = 250, connectors = ["NACS", "CCS1"], count = 2 }}]

[[vehicles]]
id = "volt"
brand = "Volt"
share = 0.6
battery_kwh = 60
peak_kw = 120
connectors = ["CCS1"]

[[vehicles]]
id = "arrow"
brand = "Arrow"
share = 0.4
battery_kwh = 75
peak_kw = 200
connectors = ["NACS"]

[drivers]
idle_min = {{ dist = "uniform", low = 0, high = 10 }}
patience_min = {{ dist = "fixed", value = 20 }}

[arrivals]
kind = "constant"
rate_per_h = {rate_per_h}
{failures}
"""

FAILURES = """
[failures]
mtbf_days = 0.5
mttr_days = 0.05
"""


def write_small_scenario(
    folder: Path,
    *,
    days: float = 1.0,
    seed: int = 7,
    rate_per_h: float = 3.0,
    meter_interval_s: float = 300.0,
    failures: bool = False,
) -> Path:
    """A couple of sites, two brands, a day: a few hundred OCPP messages."""
    path = folder / "ocpp-small.toml"
    path.write_text(
        SMALL_SCENARIO.format(
            days=days,
            seed=seed,
            rate_per_h=rate_per_h,
            meter_interval_s=meter_interval_s,
            failures=FAILURES if failures else "",
        ),
        encoding="utf-8",
    )
    return path


def small_world(folder: Path, **options: Any) -> World:
    return sc.world(sc.load(write_small_scenario(folder, **options)))


async def wait_for(condition: Callable[[], bool], what: str, *, timeout_s: float = WAIT_S) -> None:
    """Poll until `condition()` holds, at most `timeout_s`."""
    for _ in range(int(timeout_s / POLL_S) + 1):
        if condition():
            return
        await asyncio.sleep(POLL_S)
    raise AssertionError(f"timed out waiting for {what}")


async def eventually(
    probe: Callable[[], Awaitable[Any]], what: str, *, timeout_s: float = WAIT_S
) -> Any:
    """Poll an async probe until it returns something truthy, at most `timeout_s`."""
    for _ in range(int(timeout_s / POLL_S) + 1):
        value = await probe()
        if value:
            return value
        await asyncio.sleep(POLL_S)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class RecordingStation:
    """The simulation side of a charge point for tests of the wire alone: it records what the
    central system asked and counts the queue, as the lockstep does."""

    now: float = 0.0
    accept: bool = True
    calls: list[tuple[str, Any]] = field(default_factory=list)
    backlog: int = 0
    answered_n: int = 0
    ready_n: int = 0
    heartbeat_changes: int = 0

    def now_s(self) -> float:
        return self.now

    def remote_start(self, index: int, id_tag: str) -> bool:
        self.calls.append(("remote_start", id_tag))
        return self.accept

    def remote_stop(self, index: int, transaction_ref: int) -> bool:
        self.calls.append(("remote_stop", transaction_ref))
        return self.accept

    def change_availability(self, index: int, operative: bool) -> str:
        self.calls.append(("change_availability", operative))
        return "Accepted"

    def reset(self, index: int, hard: bool) -> bool:
        self.calls.append(("reset", hard))
        return True

    def unlock(self, index: int, connector_id: int) -> bool:
        self.calls.append(("unlock", connector_id))
        return True

    def meter_wh(self, index: int) -> int | None:
        return None

    def smart_charging(self, index: int) -> None:
        """No model behind it: smart-charging calls are refused (Rejected, Unknown)."""
        self.calls.append(("smart_charging", index))

    def heartbeat_changed(self, index: int) -> None:
        self.heartbeat_changes += 1

    def enqueued(self, index: int) -> None:
        self.backlog += 1

    def answered(self, index: int) -> None:
        self.backlog -= 1
        self.answered_n += 1

    def ready(self, index: int) -> None:
        self.ready_n += 1


PORT = Port(
    id="cp-1", index=0, site="s", network="n", power_kw=150.0, connectors=("CCS1", "CHAdeMO")
)


def charge_point(
    url: str = "ws://127.0.0.1:9", station: RecordingStation | None = None, **transport: Any
) -> tuple[ChargePointV16, RecordingStation]:
    from datetime import UTC, datetime

    station = station or RecordingStation()
    config = TransportConfig(url, **transport)
    clock = VirtualClock(datetime(2025, 1, 6, tzinfo=UTC))
    return ChargePointV16(0, PORT, station, config, clock, id_prefix="t-"), station


Handler = Callable[[int, list[Any]], Awaitable[Any]]
"""(connection number from 1, CALL frame) -> reply payload, or DROP, or SILENT."""

DROP = object()  # close the connection instead of answering
SILENT = object()  # never answer


@dataclass
class ScriptedCsms:
    """A raw OCPP-J server: records every frame a charge point sends, answers its CALLs with a
    script, and makes CALLs of its own (`call`)."""

    handler: Handler
    received: list[tuple[int, list[Any]]] = field(default_factory=list)
    connections: int = 0
    url: str = ""
    _sockets: dict[int, ServerConnection] = field(default_factory=dict)
    _replies: dict[str, asyncio.Future[list[Any]]] = field(default_factory=dict)
    _next_id: int = 0

    async def _serve(self, ws: ServerConnection) -> None:
        self.connections += 1
        number = self.connections
        self._sockets[number] = ws
        with contextlib.suppress(Exception):
            async for raw in ws:
                frame = json.loads(raw)
                self.received.append((number, frame))
                if frame[0] != 2:
                    waiter = self._replies.pop(frame[1], None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(frame)
                    continue
                reply = await self.handler(number, frame)
                if reply is DROP:
                    await ws.close()
                    return
                if reply is SILENT:
                    continue
                if isinstance(reply, tuple) and reply and reply[0] == "error":
                    await ws.send(json.dumps([4, frame[1], reply[1], "refused", {}]))
                else:
                    await ws.send(json.dumps([3, frame[1], reply]))

    async def call(self, number: int, action: str, payload: dict[str, Any]) -> list[Any]:
        """Send a CALL on connection `number`; return the reply frame."""
        self._next_id += 1
        message_id = f"srv-{self._next_id}"
        waiter: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._replies[message_id] = waiter
        await self._sockets[number].send(json.dumps([2, message_id, action, payload]))
        async with asyncio.timeout(WAIT_S):
            return await waiter

    def calls(self, action: str) -> list[tuple[int, list[Any]]]:
        return [(n, f) for n, f in self.received if f[0] == 2 and f[2] == action]


@contextlib.asynccontextmanager
async def scripted_csms(
    handler: Handler, tls: ssl.SSLContext | None = None
) -> AsyncIterator[ScriptedCsms]:
    csms = ScriptedCsms(handler)
    async with serve(
        csms._serve,
        "127.0.0.1",
        0,
        subprotocols=["ocpp1.6"],  # type: ignore[list-item]
        ssl=tls,
    ) as server:
        port = server.sockets[0].getsockname()[1]
        csms.url = f"{'wss' if tls else 'ws'}://127.0.0.1:{port}"
        yield csms


@contextlib.asynccontextmanager
async def running(client: ChargePointV16) -> AsyncIterator[None]:
    """The client's connection loop and a watchdog ticking it, for the block's duration."""

    async def watchdog() -> None:
        loop = asyncio.get_running_loop()
        for _ in range(int(4 * WAIT_S / POLL_S)):
            await asyncio.sleep(POLL_S)
            await client.tick(loop.time())

    async with asyncio.TaskGroup() as tasks:
        tasks.create_task(client.run())
        ticking = tasks.create_task(watchdog())
        try:
            yield
        finally:
            ticking.cancel()
            await client.close()


BOOT_ACCEPTED = {"currentTime": "2025-01-06T00:00:00Z", "interval": 300, "status": "Accepted"}


async def answer_everything(number: int, frame: list[Any]) -> Any:
    """A central system that accepts all: boots, tags, and numbers transactions from 1."""
    action = frame[2]
    if action == "BootNotification":
        return BOOT_ACCEPTED
    if action == "Authorize":
        return {"idTagInfo": {"status": "Accepted"}}
    if action == "StartTransaction":
        return {"transactionId": 1, "idTagInfo": {"status": "Accepted"}}
    if action == "Heartbeat":
        return {"currentTime": "2025-01-06T00:00:00Z"}
    return {}
