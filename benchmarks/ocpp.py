# ruff: noqa: E402  (sys.path is fixed before the imports; see below)
"""OCPP engine benchmark: throughput against stock `ocpp` at the same concurrency, connections.

    python benchmarks/ocpp.py [--scenario scenarios/walled_gardens.toml] [--days 1]
                              [--stock-calls 12100] [--charge-points 5000]
                              [--max-lag 60 [--max-lag none ...]] [--run-only | --stock-only]
                              [--ocpp 1.6|2.0.1|both]

Three measurements in one run, all on 127.0.0.1:

(a) end-to-end OCPP messages/s of a chargenet run: the scenario (by default a day of the
    shared region, 121 ports, 60 s meter values) with every network over OCPP 1.6J, then over
    2.0.1 (--ocpp says which), against the built-in central system in its own process, every
    message validated on both ends; a message is one CALL and its reply. Once per --max-lag
    given (virtual seconds, or `none` for no bound) and version, with the run's lag
    (p50/p99/max virtual seconds between a message's issue and its answer).
(b) the stock `ocpp` package at the same concurrency as (a): as many stock ChargePoints as
    (a) had connections, all at once in this process, each sending the same session of
    messages (Heartbeat, StatusNotification, Authorize, StartTransaction, 3 MeterValues with 5
    measurands, StopTransaction) one CALL at a time, against a stock `ocpp` central system in
    a second process, with the package's stock jsonschema validation on both ends.
(c) concurrently connected charge points in one process: N chargenet charge points (1.6)
    or charging stations (2.0.1) booted against the built-in central system (another
    process); memory per charge point is that process's RSS growth divided by N, each
    version in a fresh process of its own (after another fleet, freed memory is reused).

The last line is `ocpp msgs/s=... stock msgs/s=... stock connections=... ratio=...
connections=... kib_per_cp=...` (1.6; ratio: (a) over (b)), then `msgs/s-201=...
connections-201=... kib_per_cp-201=...` (2.0.1; the stock baseline is 1.6 only).
Every phase is bounded in count and in time. All of it runs on uvloop where installed
(`ocppj.event_loop`; CHARGENET_EVENT_LOOP=asyncio for the standard loop), stock included.
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
import os
import resource
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import psutil

from ocppj import event_loop
from simulator import scenario as sc
from simulator.model.world import DAY_S, Port
from simulator.ocpp.builtin_csms import BuiltinCsms
from simulator.ocpp.clock import VirtualClock
from simulator.ocpp.lockstep import Lockstep
from simulator.ocpp.transport import TransportConfig
from simulator.ocpp.v16 import ChargePointV16
from simulator.ocpp.v201 import ChargingStationV201
from simulator.ocpp.wire_stats import DEFAULT_MAX_LAG_S

RUN_LIMIT_S = 600.0
STOCK_LIMIT_S = 180.0
CONNECT_LIMIT_S = 300.0


def _raise_file_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


# --- (a) a chargenet run -------------------------------------------------------------------


VERSIONS: dict[str, sc.OcppVersion] = {"1.6": "1.6", "2.0.1": "2.0.1"}


async def chargenet_run(
    scenario: Path,
    days: float,
    max_lag_s: float | None = DEFAULT_MAX_LAG_S,
    ocpp: sc.OcppVersion = "1.6",
) -> tuple[float, int, float, str, int]:
    """(messages/s, messages, wall seconds, lag, connections) of one run against the built-in
    central system, every network over `ocpp`."""
    loaded = sc.load(scenario)
    world = sc.world(loaded, days=days)
    versions = sc.ocpp_versions(loaded, ocpp)
    async with BuiltinCsms() as csms:
        lockstep = Lockstep(
            world, TransportConfig(csms.ws_url), max_lag_s=max_lag_s, versions=versions
        )
        started = time.perf_counter()
        async with asyncio.timeout(RUN_LIMIT_S):
            await lockstep.run()
        wall_s = time.perf_counter() - started
    assert lockstep.wire is not None
    lag = lockstep.wire.lag_s
    lag_text = f"lag p50={lag.p50:g} p99={lag.p99:g} max={lag.max:g} (bound {lag.bound})"
    connections = len(lockstep.clients)
    return lockstep.messages / wall_s, lockstep.messages, wall_s, lag_text, connections


# --- (b) the stock ocpp package at the same concurrency ------------------------------------

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
#: One charging session as every stock charge point sends it, in order, over and over (the
#: actions of a chargenet run; 3 of 10 messages are MeterValues with 5 measurands).
CYCLE = (
    "Heartbeat",
    "StatusNotification",
    "Authorize",
    "StartTransaction",
    "StatusNotification",
    "MeterValues",
    "MeterValues",
    "MeterValues",
    "StopTransaction",
    "StatusNotification",
)


def stock_server() -> None:
    """The stock central system (second process): one stock `ocpp` ChargePoint per connection,
    stock validation; prints its port, serves until killed."""
    from ocpp.routing import on
    from ocpp.v16 import ChargePoint, call_result
    from ocpp.v16.enums import Action
    from websockets.asyncio.server import ServerConnection, serve
    from websockets.exceptions import ConnectionClosed
    from websockets.typing import Subprotocol

    accepted = {"status": "Accepted"}

    class Central(ChargePoint):
        transactions = 0

        @on(Action.heartbeat)
        def on_heartbeat(self) -> call_result.Heartbeat:
            return call_result.Heartbeat(current_time=datetime.now(UTC).isoformat())

        @on(Action.status_notification)
        def on_status(self, **_: Any) -> call_result.StatusNotification:
            return call_result.StatusNotification()

        @on(Action.authorize)
        def on_authorize(self, **_: Any) -> call_result.Authorize:
            return call_result.Authorize(id_tag_info=accepted)

        @on(Action.start_transaction)
        def on_start(self, **_: Any) -> call_result.StartTransaction:
            Central.transactions += 1
            return call_result.StartTransaction(
                transaction_id=Central.transactions, id_tag_info=accepted
            )

        @on(Action.meter_values)
        def on_meter_values(self, **_: Any) -> call_result.MeterValues:
            return call_result.MeterValues()

        @on(Action.stop_transaction)
        def on_stop(self, **_: Any) -> call_result.StopTransaction:
            return call_result.StopTransaction(id_tag_info=accepted)

    async def handle(ws: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            await Central(ws.request.path.strip("/") if ws.request else "cp", ws).start()

    async def main() -> None:
        async with serve(
            handle,
            "127.0.0.1",
            0,
            subprotocols=[Subprotocol("ocpp1.6")],
            compression=None,
        ) as server:
            print(server.sockets[0].getsockname()[1], flush=True)
            await asyncio.Future()

    logging.getLogger("ocpp").setLevel(logging.WARNING)
    event_loop.run(main())


@contextlib.asynccontextmanager
async def stock_process() -> AsyncIterator[int]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--stock-server",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        async with asyncio.timeout(30):  # the port line only: the fleet has its own bounds
            port = int(await process.stdout.readline())
        yield port
    finally:
        process.kill()
        await process.wait()


def _stock_request(action: str, n: int) -> Any:
    from ocpp.v16 import call

    now = datetime.now(UTC).isoformat()
    if action == "Heartbeat":
        return call.Heartbeat()
    if action == "StatusNotification":
        return call.StatusNotification(connector_id=1, error_code="NoError", status="Charging")
    if action == "Authorize":
        return call.Authorize(id_tag=f"TAG{n:05d}")
    if action == "StartTransaction":
        return call.StartTransaction(
            connector_id=1, id_tag=f"TAG{n:05d}", meter_start=1000, timestamp=now
        )
    if action == "MeterValues":
        return call.MeterValues(
            connector_id=1,
            transaction_id=n + 1,
            meter_value=[{"timestamp": now, "sampledValue": SAMPLED}],
        )
    return call.StopTransaction(
        meter_stop=21000, timestamp=now, transaction_id=n + 1, reason="EVDisconnected"
    )


async def stock_fleet(connections: int, calls: int) -> float:
    """messages/s of `connections` stock ChargePoints at once, each sending `CYCLE` one CALL at
    a time (stock validation of request and reply), against the stock central system in a
    second process; `calls` in all are timed, after a warm-up."""
    from ocpp.v16 import ChargePoint
    from websockets.asyncio.client import ClientConnection, connect
    from websockets.exceptions import ConnectionClosed
    from websockets.typing import Subprotocol

    logging.getLogger("ocpp").setLevel(logging.WARNING)
    per_cp = max(len(CYCLE), calls // connections)
    warmup = len(CYCLE)
    async with stock_process() as port, contextlib.AsyncExitStack() as stack:
        sockets: list[ClientConnection] = []
        gate = asyncio.Semaphore(64)

        async def open_one(i: int) -> ClientConnection:
            async with gate:
                return await stack.enter_async_context(
                    connect(
                        f"ws://127.0.0.1:{port}/stock-{i:05d}",
                        subprotocols=[Subprotocol("ocpp1.6")],
                        compression=None,
                        open_timeout=60,
                    )
                )

        async with asyncio.timeout(CONNECT_LIMIT_S):
            for i in range(connections):
                sockets.append(await open_one(i))
        cps = [ChargePoint(f"stock-{i:05d}", ws) for i, ws in enumerate(sockets)]
        requests = [[_stock_request(a, i) for a in CYCLE] for i in range(connections)]
        warmed = asyncio.Barrier(connections + 1)
        go = asyncio.Event()

        async def serve(cp: ChargePoint) -> None:
            with contextlib.suppress(ConnectionClosed):
                await cp.start()

        async def drive(i: int) -> None:
            cp, cycle = cps[i], requests[i]
            for k in range(warmup):
                await cp.call(cycle[k % len(cycle)], suppress=False)
            await warmed.wait()
            await go.wait()
            for k in range(per_cp):
                await cp.call(cycle[k % len(cycle)], suppress=False)

        async with asyncio.TaskGroup() as tasks:
            serving = [tasks.create_task(serve(cp)) for cp in cps]
            drivers = [tasks.create_task(drive(i)) for i in range(connections)]
            async with asyncio.timeout(STOCK_LIMIT_S):
                await warmed.wait()
                started = time.perf_counter()
                go.set()
                await asyncio.gather(*drivers)
                wall_s = time.perf_counter() - started
            for task in serving:
                task.cancel()
    return per_cp * connections / wall_s


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


async def connections_per_process(n: int, ocpp: str = "1.6") -> tuple[int, float]:
    """(charge points connected and booted, KiB of RSS per charge point) of `ocpp`."""
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
        kind = ChargingStationV201 if ocpp == "2.0.1" else ChargePointV16
        clients = [kind(i, p, fleet, transport, clock) for i, p in enumerate(ports)]
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


async def connections_in_a_fresh_process(n: int, ocpp: str) -> tuple[int, float]:
    """`connections_per_process` in a process of its own: RSS growth measured after another
    fleet had come and gone would reuse that one's freed memory."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--charge-points", str(n), "--connections-only", ocpp,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        async with asyncio.timeout(CONNECT_LIMIT_S + 120):
            out, _ = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if process.returncode != 0:
        raise SystemExit(f"(c) over OCPP {ocpp} failed (exit code {process.returncode})")
    connected, kib = out.decode().split()[-2:]
    return int(connected), float(kib)


def _cpu_s() -> tuple[float, float]:
    """User + system CPU seconds of this process and of its reaped children (the built-in
    central system a run starts, once it has exited)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


async def main(args: argparse.Namespace) -> None:
    versions = ["1.6", "2.0.1"] if args.ocpp == "both" else [args.ocpp]
    msgs_per_s = dict.fromkeys(versions, 0.0)
    connections = len(sc.world(sc.load(args.scenario), days=args.days).ports)
    for ocpp in [] if args.stock_only else versions:
        for max_lag_s in args.max_lag or [DEFAULT_MAX_LAG_S]:
            before = _cpu_s()
            run = await chargenet_run(args.scenario, args.days, max_lag_s, VERSIONS[ocpp])
            simulator_s, central_s = (a - b for a, b in zip(_cpu_s(), before, strict=True))
            msgs_per_s[ocpp], messages, wall_s, lag, connections = run
            print(
                f"(a) chargenet run over OCPP {ocpp}: {args.scenario.name}, {args.days:g} "
                f"day(s), max lag {max_lag_s}: {messages} messages in {wall_s:.1f} s = "
                f"{msgs_per_s[ocpp]:.0f} msgs/s ({wall_s / args.days:.1f} s per day) over "
                f"{connections} connections; {lag}; CPU {simulator_s:.2f} s here + "
                f"{central_s:.2f} s central system (load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
    if args.run_only:
        return
    stock = await stock_fleet(connections, args.stock_calls)
    print(
        f"(b) {connections} stock ocpp ChargePoints at once against a stock ocpp central "
        f"system, stock validation: {stock:.0f} msgs/s",
        flush=True,
    )
    if args.stock_only:
        return
    fields = []
    for ocpp in versions:
        connected, kib = await connections_in_a_fresh_process(args.charge_points, ocpp)
        print(
            f"(c) {connected} OCPP {ocpp} charge points connected in one process, "
            f"{kib:.1f} KiB each",
            flush=True,
        )
        if ocpp == "1.6":
            fields += [
                f"ocpp msgs/s={msgs_per_s[ocpp]:.0f} stock msgs/s={stock:.0f}",
                f"stock connections={connections} ratio={msgs_per_s[ocpp] / stock:.2f}",
                f"connections={connected} kib_per_cp={kib:.1f}",
            ]
        else:
            fields += [
                f"msgs/s-201={msgs_per_s[ocpp]:.0f}",
                f"connections-201={connected} kib_per_cp-201={kib:.1f}",
            ]
    print(" ".join(fields))


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "walled_gardens.toml")
    p.add_argument("--days", type=float, default=1.0)
    p.add_argument(
        "--stock-calls", type=int, default=12100, help="timed stock CALLs in all (phase b)"
    )
    p.add_argument("--stock-only", action="store_true", help="measure (b) only")
    p.add_argument("--charge-points", type=int, default=5000)
    p.add_argument(
        "--max-lag",
        type=lambda text: None if text == "none" else float(text),
        action="append",
        help="virtual seconds (or none); repeat to compare (default: the lockstep's default)",
    )
    p.add_argument("--run-only", action="store_true", help="measure (a) only")
    p.add_argument(
        "--ocpp",
        choices=("1.6", "2.0.1", "both"),
        default="both",
        help="the version (a) and (c) measure (default: both; (b) is stock 1.6)",
    )
    p.add_argument("--stock-server", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--connections-only", choices=("1.6", "2.0.1"), help=argparse.SUPPRESS)
    return p.parse_args()


if __name__ == "__main__":
    arguments = parse()
    if arguments.stock_server:
        stock_server()
    elif arguments.connections_only:  # (c) in a child: prints "connected kib"
        logging.basicConfig(level=logging.ERROR)
        n, ocpp = arguments.charge_points, arguments.connections_only
        print(*event_loop.run(connections_per_process(n, ocpp)))
    else:
        logging.basicConfig(level=logging.ERROR)
        if arguments.days * DAY_S <= 0:
            raise SystemExit("--days must be positive")
        event_loop.run(main(arguments))
