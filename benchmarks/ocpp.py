# ruff: noqa: E402  (sys.path is fixed before the imports; see below)
"""OCPP engine benchmark: throughput against the stock `ocpp` ceiling, and connections per process.

    python benchmarks/ocpp.py [--scenario scenarios/walled_gardens.toml] [--days 1]
                              [--stock-calls 3000] [--charge-points 5000]
                              [--max-lag 60 [--max-lag none ...]] [--run-only]

Three measurements in one run, all on 127.0.0.1:

(a) end-to-end OCPP messages/s of a chargenet run: the scenario (by default a day of the
    shared region, 121 ports, 60 s meter values) over OCPP 1.6J against the built-in central
    system in its own process, every message validated on both ends; a message is one CALL and
    its reply. Once per --max-lag given (virtual seconds, or `none` for no bound), with the
    run's lag (p50/p99/max virtual seconds between a message's issue and its answer).
(b) the ceiling of two stock `ocpp` ChargePoints, the charge point here and the central system
    in a second process, exchanging the same MeterValues (5 measurands) one CALL at a time with
    the package's stock jsonschema validation on both ends.
(c) concurrently connected charge points in one process: N chargenet charge points booted
    against the built-in central system (another process); memory per charge point is this
    process's RSS growth divided by N.

The last line is `ocpp msgs/s=... stock msgs/s=... ratio=... connections=... kib_per_cp=...`.
Every phase is bounded in count and in time.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder leads sys.path, and this file would shadow the `ocpp`
# package it measures: drop the folder, put the project root in its place.
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse
import asyncio
import contextlib
import gc
import logging
import resource
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import psutil

from simulator import scenario as sc
from simulator.model.world import DAY_S, Port
from simulator.ocpp.builtin_csms import BuiltinCsms
from simulator.ocpp.clock import VirtualClock
from simulator.ocpp.lockstep import Lockstep
from simulator.ocpp.transport import TransportConfig
from simulator.ocpp.v16 import ChargePointV16
from simulator.ocpp.wire_stats import DEFAULT_MAX_LAG_S

RUN_LIMIT_S = 600.0
STOCK_LIMIT_S = 60.0
CONNECT_LIMIT_S = 300.0
STOCK_WARMUP_CALLS = 200


def _raise_file_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


# --- (a) a chargenet run -------------------------------------------------------------------


async def chargenet_run(
    scenario: Path, days: float, max_lag_s: float | None = DEFAULT_MAX_LAG_S
) -> tuple[float, int, float, str]:
    """(messages/s, messages, wall seconds, lag) of one run against the built-in central
    system."""
    world = sc.world(sc.load(scenario), days=days)
    async with BuiltinCsms() as csms:
        lockstep = Lockstep(world, TransportConfig(csms.ws_url), max_lag_s=max_lag_s)
        started = time.perf_counter()
        async with asyncio.timeout(RUN_LIMIT_S):
            await lockstep.run()
        wall_s = time.perf_counter() - started
    assert lockstep.wire is not None
    lag = lockstep.wire.lag_s
    lag_text = f"lag p50={lag.p50:g} p99={lag.p99:g} max={lag.max:g} (bound {lag.bound})"
    return lockstep.messages / wall_s, lockstep.messages, wall_s, lag_text


# --- (b) two stock ocpp ChargePoints -------------------------------------------------------

SAMPLED = [
    {"value": "12345", "context": "Sample.Periodic", "measurand": m, "unit": u}
    for m, u in (
        ("Energy.Active.Import.Register", "Wh"),
        ("Power.Active.Import", "W"),
        ("Current.Import", "A"),
        ("Voltage", "V"),
        ("SoC", "Percent"),
    )
]


def stock_server() -> None:
    """The stock central system (second process): prints its port, serves until killed."""
    from ocpp.routing import on
    from ocpp.v16 import ChargePoint, call_result
    from ocpp.v16.enums import Action
    from websockets.asyncio.server import ServerConnection, serve
    from websockets.exceptions import ConnectionClosed

    class Central(ChargePoint):
        @on(Action.meter_values)
        def on_meter_values(self, **_: Any) -> call_result.MeterValues:
            return call_result.MeterValues()

    async def handle(ws: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            await Central("cp", ws).start()

    async def main() -> None:
        async with serve(handle, "127.0.0.1", 0, subprotocols=["ocpp1.6"]) as server:  # type: ignore[list-item]
            print(server.sockets[0].getsockname()[1], flush=True)
            await asyncio.Future()

    logging.getLogger("ocpp").setLevel(logging.WARNING)
    asyncio.run(main())


@contextlib.asynccontextmanager
async def stock_process() -> AsyncIterator[int]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--stock-server",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        async with asyncio.timeout(30):
            yield int(await process.stdout.readline())
    finally:
        process.kill()
        await process.wait()


async def stock_ceiling(calls: int) -> float:
    from ocpp.v16 import ChargePoint, call
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    logging.getLogger("ocpp").setLevel(logging.WARNING)
    async with stock_process() as port:
        url = f"ws://127.0.0.1:{port}/cp"
        async with connect(url, subprotocols=["ocpp1.6"], compression=None) as ws:  # type: ignore[list-item]
            cp = ChargePoint("cp", ws)

            async def serve() -> None:
                with contextlib.suppress(ConnectionClosed):
                    await cp.start()

            async with asyncio.TaskGroup() as tasks:
                serving = tasks.create_task(serve())
                now = datetime.now(UTC).isoformat()
                request = call.MeterValues(
                    connector_id=1,
                    transaction_id=1,
                    meter_value=[{"timestamp": now, "sampledValue": SAMPLED}],
                )
                async with asyncio.timeout(STOCK_LIMIT_S):
                    for _ in range(STOCK_WARMUP_CALLS):
                        await cp.call(request, suppress=False)
                    started = time.perf_counter()
                    for _ in range(calls):
                        await cp.call(request, suppress=False)
                    wall_s = time.perf_counter() - started
                serving.cancel()
    return calls / wall_s


# --- (c) connections per process -----------------------------------------------------------


class Fleet:
    """The simulation side of a fleet that only connects: counts who is ready."""

    def __init__(self) -> None:
        self.ready_n = 0
        self.all_ready = asyncio.Event()
        self.size = 0

    def now_s(self) -> float:
        return 0.0

    def remote_start(self, index: int, id_tag: str) -> bool:
        return False

    def remote_stop(self, index: int, transaction_ref: int) -> bool:
        return False

    def change_availability(self, index: int, operative: bool) -> str:
        return "Rejected"

    def reset(self, index: int, hard: bool) -> bool:
        return False

    def unlock(self, index: int, connector_id: int) -> bool:
        return False

    def heartbeat_changed(self, index: int) -> None:
        pass

    def enqueued(self, index: int) -> None:
        pass

    def answered(self, index: int) -> None:
        pass

    def ready(self, index: int) -> None:
        self.ready_n += 1
        if self.ready_n == self.size:
            self.all_ready.set()


async def connections_per_process(n: int) -> tuple[int, float]:
    """(charge points connected and booted, KiB of RSS per charge point)."""
    _raise_file_limit(2 * n + 256)  # inherited by the central system's process
    async with BuiltinCsms(heartbeat_interval_s=3600) as csms:
        process = psutil.Process()
        ports = [
            Port(f"bench-{i:05d}", i, "bench", "bench", 150.0, ("CCS1", "CHAdeMO"))
            for i in range(n)
        ]
        clock = VirtualClock(datetime(2025, 1, 6, tzinfo=UTC))
        fleet = Fleet()
        fleet.size = n
        transport = TransportConfig(csms.ws_url, open_timeout_s=60.0, offline_limit_s=60.0)
        gc.collect()
        rss_before = process.memory_info().rss
        clients = [ChargePointV16(i, p, fleet, transport, clock) for i, p in enumerate(ports)]
        gate = asyncio.Semaphore(64)
        async with asyncio.TaskGroup() as tasks:
            for client in clients:
                client.connect_gate = gate
                tasks.create_task(client.run())
            try:
                async with asyncio.timeout(CONNECT_LIMIT_S):
                    await fleet.all_ready.wait()
            finally:
                gc.collect()
                rss_after = process.memory_info().rss
                connected = sum(1 for c in clients if c.online)
                async with asyncio.TaskGroup() as closing:
                    for client in clients:
                        closing.create_task(client.close())
    return connected, (rss_after - rss_before) / n / 1024.0


async def main(args: argparse.Namespace) -> None:
    msgs_per_s = 0.0
    for max_lag_s in args.max_lag or [DEFAULT_MAX_LAG_S]:
        msgs_per_s, messages, wall_s, lag = await chargenet_run(args.scenario, args.days, max_lag_s)
        print(
            f"(a) chargenet run: {args.scenario.name}, {args.days:g} day(s), max lag "
            f"{max_lag_s}: {messages} messages in {wall_s:.1f} s = {msgs_per_s:.0f} msgs/s "
            f"({wall_s / args.days:.1f} s per day); {lag}",
            flush=True,
        )
    if args.run_only:
        return
    stock = await stock_ceiling(args.stock_calls)
    print(f"(b) two stock ocpp ChargePoints, stock validation: {stock:.0f} msgs/s", flush=True)
    connected, kib = await connections_per_process(args.charge_points)
    print(f"(c) {connected} charge points connected in one process, {kib:.1f} KiB each", flush=True)
    print(
        f"ocpp msgs/s={msgs_per_s:.0f} stock msgs/s={stock:.0f} ratio={msgs_per_s / stock:.2f} "
        f"connections={connected} kib_per_cp={kib:.1f}"
    )


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "walled_gardens.toml")
    p.add_argument("--days", type=float, default=1.0)
    p.add_argument("--stock-calls", type=int, default=3000)
    p.add_argument("--charge-points", type=int, default=5000)
    p.add_argument(
        "--max-lag",
        type=lambda text: None if text == "none" else float(text),
        action="append",
        help="virtual seconds (or none); repeat to compare (default: the lockstep's default)",
    )
    p.add_argument("--run-only", action="store_true", help="measure (a) only")
    p.add_argument("--stock-server", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args()


if __name__ == "__main__":
    arguments = parse()
    if arguments.stock_server:
        stock_server()
    else:
        logging.basicConfig(level=logging.ERROR)
        if arguments.days * DAY_S <= 0:
            raise SystemExit("--days must be positive")
        asyncio.run(main(arguments))
