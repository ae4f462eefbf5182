# ruff: noqa: E402  (sys.path is fixed before the imports; see below)
"""Load generator benchmark: connections per process, messages/s against raw websockets, shards.

    python benchmarks/load.py [--charge-points 20000] [--seconds 20] [--concurrency 1000]
                              [--servers 2] [--connect-ramp-s 120] [--hold-s 30] [--warmup-s 3]
                              [--pairs 2] [--only shards]

Three measurements in one run, all on 127.0.0.1, each against the same lean server
(`benchmarks/lean_server.py`: `--servers` processes sharing one port with SO_REUSEPORT, each
answering every CALL with a pre-built valid CALLRESULT and no JSON parse). Not the built-in
central system: it stores every message in SQLite and costs more CPU per message than the
generator, so on 2 shared cores it, not the generator, would be measured.

(a) connections: `--charge-points` idle charge points (BootNotification, StatusNotification,
    a Heartbeat every 300 s) ramped up in this one process (`run_load`, on uvloop) over
    `--connect-ramp-s` and held until `--hold-s` after the last one connected (handshakes on a
    loaded machine trail the ramp; bounded); memory per charge point is this process's RSS
    growth from just before `run_load` (schemas compiled, collected) to the window with the
    most charge points connected, divided by that count. The open-files limit is raised to
    the hard limit; when the hard limit (or the ephemeral ports of one source address) cannot
    hold the fleet, one line says so and the fleet is cut to what fits.
(b) messages/s: `--concurrency` charge points of `run_load` (validating every frame) with a
    plan that asks more than they can send (every one in a 10 s transaction with MeterValues
    due every 0.01 s, a Heartbeat every 10 s), so each connection sends its next CALL as soon as the
    last one is answered; then, in the same run, as many raw `websockets` connections, each
    sending the same frames in the same mix (the generator's own per-action counts, payloads
    from `simulator.load.plan`) and awaiting each reply, nothing parsed or validated. Both
    over `--seconds` of steady state (the generator's windows after its first
    `--warmup-s`), both on uvloop. ratio = generator / raw.
(c) shards: the load of (b) through `simulator.load.shards.run_shards` with 1 shard and with
    2 (each a Dask worker process on a local cluster), alternately `--pairs` times (a shared
    machine's load moves between runs); speedup = messages/s(2) / (1) from the merged windows
    of the steady state, each pair's and their median. Each run also gives the CPU per
    message of the shards' workers, of the server and of Dask's own (this process), the
    server's share of the CPU used, how many cores were busy, and the load average; each pair
    the speedup the cores allow at its 2-shard CPU per message. On 2 cores the server's share
    caps the speedup whatever the generator does: 2 shards and the server share the cores.
    `--only shards`: (c) alone, after a short warm-up run.

The last line is `load cps=... kib_per_cp=... msgs/s=... raw-ws msgs/s=... ratio=...
shards2-speedup=...` (the median of the pairs). Every phase is bounded in count and in time.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder leads sys.path, and benchmarks/ocpp.py would shadow the
# `ocpp` package: drop the folder, put the project root in its place.
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse
import asyncio
import contextlib
import gc
import os
import resource
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import psutil
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from ocppj import OCPP16, event_loop, warm_up
from simulator.load import LoadOptions, LoadResult, MessagePlan, Ramp, run_load
from simulator.load import plan as payloads

WARMUP_S = 3.0
"""The first seconds of a throughput run (connections, boots) are left out of its msgs/s
(`--warmup-s`)."""
FD_MARGIN = 32
"""Open files this process needs besides its sockets (pipes, epoll, the interpreter's)."""
SERVER_START_S = 30.0
PHASE_MARGIN_S = 300.0
"""Each phase's bound beyond its own length (handshakes on a loaded machine, closes)."""
IDLE = MessagePlan(heartbeat_interval_s=300.0)
BUSY = MessagePlan(
    heartbeat_interval_s=10.0,
    active_share=1.0,
    meter_interval_s=0.01,
    transaction_s=10.0,
    idle_between_s=0.5,
)
"""Every connection in a transaction, MeterValues due every 0.01 s: more than one connection
can send, so each sends its next CALL as soon as the last is answered (the generator at full
speed, as the raw loop is). Heartbeats stay rare: a due-in-the-past heartbeat grid would come
before every StartTransaction (the schedule sends the earliest intended CALL first) and starve
the transactions."""
TIMESTAMP = "2026-12-01T18:00:00Z"


# --- the lean server -----------------------------------------------------------------------


@dataclass
class Servers:
    port: int
    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp"

    def cpu_s(self) -> float:
        total = 0.0
        for process in self.processes:
            times = psutil.Process(process.pid).cpu_times()
            total += times.user + times.system
        return total

    def stop(self) -> None:
        for process in self.processes:
            if process.stdin is not None:
                process.stdin.close()  # the server's signal to end
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def start_servers(count: int) -> Servers:
    """`count` lean server processes on one port (the first picks it)."""
    servers = Servers(0)
    try:
        for _ in range(count):
            process = subprocess.Popen(
                [sys.executable, str(HERE / "lean_server.py"), "--port", str(servers.port)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            servers.processes.append(process)
            line = _readline(process, SERVER_START_S)
            if not line.startswith("ready "):
                raise SystemExit(f"benchmarks/load.py: the lean server did not start: {line!r}")
            servers.port = int(line.split()[1])
    except BaseException:
        servers.stop()
        raise
    return servers


def _readline(process: subprocess.Popen[str], timeout_s: float) -> str:
    out: list[str] = []
    assert process.stdout is not None
    stdout = process.stdout
    reader = threading.Thread(target=lambda: out.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout_s)
    return out[0].strip() if out else ""


# --- machine limits ------------------------------------------------------------------------


def fit_to_machine(wanted: int) -> tuple[int, list[str]]:
    """Raise the open-files limit to the hard limit; how many sockets fit, and one line per
    limit that binds."""
    notes = []
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    fits = wanted
    if hard != resource.RLIM_INFINITY:
        in_use = len(os.listdir("/proc/self/fd")) if Path("/proc/self/fd").exists() else 16
        fits = min(wanted, hard - in_use - FD_MARGIN)
        if fits < wanted:
            notes.append(
                f"open files: the hard limit of {hard:,} (ulimit -Hn; not raisable here) holds "
                f"{fits:,} sockets in one process besides its {in_use + FD_MARGIN} other "
                f"files, so {fits:,} of {wanted:,} charge points connect"
            )
    try:
        low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        return fits, notes
    ports = high - low + 1
    if fits > ports:
        notes.append(
            f"ephemeral ports: 127.0.0.1 to one server port has {ports:,} "
            f"(ip_local_port_range {low}-{high}), so {ports:,} of {fits:,} charge points connect"
        )
        fits = ports
    return fits, notes


# --- (a) connections in one process --------------------------------------------------------


@dataclass
class Connections:
    connected: int
    kib_per_cp: float
    rss_base_mib: float
    rss_peak_mib: float
    all_connected_s: float | None
    """When every charge point was connected (None: not within the bound)."""
    failed: dict[str, int]


async def connections(url: str, count: int, ramp_s: float, hold_s: float) -> Connections:
    """Ramp `count` idle charge points up over `ramp_s` and hold them: until `hold_s` after
    the last one connected, or the bound (ramp + hold + PHASE_MARGIN_S; a loaded machine's
    handshakes can trail the ramp by minutes)."""
    warm_up(OCPP16)
    process = psutil.Process()
    gc.collect()
    base = process.memory_info().rss
    samples: list[tuple[int, int]] = []
    failed: dict[str, int] = {}
    loop = asyncio.get_running_loop()
    held = loop.create_future()
    all_connected_s: list[float] = []

    started = time.perf_counter()

    def sample(window: dict[str, Any]) -> None:
        # Wall time, not the window's label: a loop short of CPU rolls its windows late.
        connected = int(window["connected"])
        now_s = time.perf_counter() - started
        samples.append((connected, process.memory_info().rss))
        if connected >= count and not all_connected_s:
            all_connected_s.append(now_s)
        done = all_connected_s and now_s >= all_connected_s[0] + hold_s
        if done and not held.done():
            held.set_result(None)

    bound_s = ramp_s + hold_s + PHASE_MARGIN_S
    ramp = Ramp.parse(f"0->{count} over {ramp_s:g}s, hold {bound_s - ramp_s:g}s")
    options = LoadOptions(
        url=url,
        ramp=ramp,
        plan=IDLE,
        window_s=1.0,
        connect_timeout_s=120.0,  # a loaded machine's handshakes, not the backend's
        timeout_s=60.0,
        max_duration_s=bound_s + 30.0,
    )

    async def run() -> None:
        result = await run_load(options, on_window=sample)
        failed.update(result.connections.failed)

    task = asyncio.create_task(run())
    await asyncio.wait({task, held}, return_when=asyncio.FIRST_COMPLETED)
    if not task.done():
        task.cancel()  # held long enough: every connection is aborted
    with contextlib.suppress(asyncio.CancelledError):
        await task
    connected, rss = max(samples, key=lambda s: (s[0], s[1]))
    return Connections(
        connected=connected,
        kib_per_cp=(rss - base) / max(1, connected) / 1024.0,
        rss_base_mib=base / 2**20,
        rss_peak_mib=rss / 2**20,
        all_connected_s=all_connected_s[0] if all_connected_s else None,
        failed=failed,
    )


# --- (b) generator against raw websockets --------------------------------------------------


def busy_options(url: str, concurrency: int, seconds: float, warmup_s: float) -> LoadOptions:
    ramp = Ramp.parse(str(concurrency)).held_until(warmup_s + seconds)
    return LoadOptions(
        url=url,
        ramp=ramp,
        plan=BUSY,
        window_s=1.0,
        connect_timeout_s=60.0,
        timeout_s=60.0,
        # The plan asks more than a connection can send: the bound ends the run at the hold's
        # end rather than after the backlog (the run's `stopped` says so; not an error here).
        max_duration_s=warmup_s + seconds + 1.0,
    )


def steady_windows(
    windows: list[dict[str, Any]], seconds: float, warmup_s: float
) -> list[dict[str, Any]]:
    """The windows inside [warmup_s, warmup_s + seconds]."""
    end_s = warmup_s + seconds + 1e-6
    return [w for w in windows if w["start_s"] >= warmup_s - 1e-6 and w["end_s"] <= end_s]


def steady_rate(
    windows: list[dict[str, Any]], seconds: float, warmup_s: float
) -> tuple[float, int, float]:
    """(msgs/s, answered, span) over the steady windows."""
    steady = steady_windows(windows, seconds, warmup_s)
    if not steady:
        return 0.0, 0, 0.0
    answered = sum(int(w["answered"]) for w in steady)
    span_s = steady[-1]["end_s"] - steady[0]["start_s"]
    return answered / span_s, answered, span_s


@dataclass
class Rate:
    msgs_per_s: float
    answered: int
    cpu_us_per_msg: float
    server_cpu_us_per_msg: float
    counts: dict[str, int] = field(default_factory=dict)


async def generator_rate(
    options: LoadOptions, seconds: float, warmup_s: float, servers: Servers
) -> Rate:
    warm_up(OCPP16)
    marks: dict[float, tuple[float, float]] = {}

    def mark(window: dict[str, Any]) -> None:
        marks[round(window["end_s"], 3)] = (time.process_time(), servers.cpu_s())

    result = await run_load(options, on_window=mark)
    document = result.to_json()
    rate, answered, _ = steady_rate(document["windows"], seconds, warmup_s)
    steady = steady_windows(document["windows"], seconds, warmup_s)
    cpu_us = server_us = 0.0
    if steady and answered:
        first = marks.get(round(steady[0]["start_s"], 3))
        last = marks.get(round(steady[-1]["end_s"], 3))
        if first and last:
            cpu_us = (last[0] - first[0]) / answered * 1e6
            server_us = (last[1] - first[1]) / answered * 1e6
    counts = {name: int(a["answered"]) for name, a in document["actions"].items()}
    return Rate(rate, answered, cpu_us, server_us, counts)


def frame_mix(counts: dict[str, int], length: int = 100) -> list[str]:
    """`length` frames in the proportions of `counts` (largest remainder), interleaved, with
    the generator's own payloads."""
    total = sum(counts.values())
    if total == 0:
        counts, total = {"Heartbeat": 1}, 1
    shares = {a: n * length / total for a, n in counts.items()}
    whole = {a: int(s) for a, s in shares.items()}
    short = length - sum(whole.values())
    for action in sorted(shares, key=lambda a: whole[a] - shares[a])[:short]:
        whole[action] += 1
    # Interleave: each action at evenly spaced positions.
    slots = sorted(((i + 0.5) / n, action) for action, n in whole.items() if n for i in range(n))
    bodies = {
        "BootNotification": payloads.boot("load-000000"),
        "StatusNotification": payloads.status(1, TIMESTAMP),
        "Heartbeat": {},
        "Authorize": payloads.authorize(),
        "StartTransaction": payloads.start_transaction(0, TIMESTAMP),
        "MeterValues": payloads.meter_values(1, 1234, TIMESTAMP),
        "StopTransaction": payloads.stop_transaction(1, 1234, TIMESTAMP),
    }
    import json

    encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    return [encode([2, str(i + 1), action, bodies[action]]) for i, (_, action) in enumerate(slots)]


async def raw_rate(url: str, concurrency: int, seconds: float, mix: list[str]) -> Rate:
    """Raw websockets round trips: send a frame, await the reply, next; no parse."""
    sockets: list[ClientConnection] = []
    async with asyncio.timeout(PHASE_MARGIN_S + seconds):
        try:
            for index in range(concurrency):
                sockets.append(
                    await connect(
                        f"{url}/raw-{index:06d}",
                        subprotocols=[Subprotocol(OCPP16)],
                        ping_interval=None,
                        compression=None,
                        max_queue=4,
                        write_limit=8 * 1024,
                        proxy=None,
                        user_agent_header=None,
                    )
                )
            counts = [0] * concurrency
            loop = asyncio.get_running_loop()
            started = loop.time()
            cpu_started = time.process_time()
            end = started + seconds

            async def round_trips(index: int, ws: ClientConnection) -> None:
                at = index % len(mix)
                done = 0
                while loop.time() < end:
                    await ws.send(mix[at])
                    await ws.recv()
                    at = (at + 1) % len(mix)
                    done += 1
                counts[index] = done

            await asyncio.gather(*(round_trips(i, ws) for i, ws in enumerate(sockets)))
            elapsed_s = loop.time() - started
            cpu_s = time.process_time() - cpu_started
        finally:
            for ws in sockets:
                ws.transport.abort()
    answered = sum(counts)
    return Rate(answered / elapsed_s, answered, cpu_s / max(1, answered) * 1e6, 0.0)


# --- (c) 1 -> 2 shards ---------------------------------------------------------------------


@dataclass
class ShardRate:
    msgs_per_s: float
    generator_cpu_us_per_msg: float
    """The shards' worker processes' CPU per answered CALL."""
    server_cpu_us_per_msg: float
    other_cpu_us_per_msg: float
    """Dask's own: this process (the scheduler, the client, the nannies)."""
    server_cpu_share: float
    """The server's part of all the CPU the run used (workers, server, Dask's own)."""
    cpu_used: float
    """Cores in use over the steady state, everything together."""
    load_average: float

    @property
    def cpu_us_per_msg(self) -> float:
        """Everything's CPU per answered CALL: workers, server, Dask's own."""
        return (
            self.generator_cpu_us_per_msg + self.server_cpu_us_per_msg + self.other_cpu_us_per_msg
        )


def ceiling(one: ShardRate, two: ShardRate) -> float:
    """The speedup the machine's cores allow at the 2-shard run's CPU per message, every core
    busy with the workers, the server and Dask: cores / (CPU per msg) over 1 shard's msgs/s."""
    cores = os.cpu_count() or 1
    if not two.cpu_us_per_msg or not one.msgs_per_s:
        return 0.0
    return cores / (two.cpu_us_per_msg * 1e-6) / one.msgs_per_s


def _cpu_by_role(server_pids: set[int]) -> tuple[float, float]:
    """CPU seconds of (the Dask workers, Dask's own: this process, where the scheduler, the
    client and the nannies run), the server's `server_pids` and multiprocessing's resource
    tracker left out (it sleeps)."""
    me = psutil.Process()
    times = me.cpu_times()
    other = times.user + times.system
    workers = 0.0
    for child in me.children(recursive=True):
        if child.pid in server_pids:
            continue
        try:
            if any("resource_tracker" in part for part in child.cmdline()):
                continue
            times = child.cpu_times()
        except psutil.Error:
            continue
        workers += times.user + times.system
    return workers, other


def shard_rate(
    options: LoadOptions, shards: int, seconds: float, warmup_s: float, servers: Servers
) -> ShardRate:
    """msgs/s of the merged steady windows; CPU marked when the first shard's window of each
    end arrives (a Dask event), so the workers' start-up is not counted per message."""
    from simulator.load.shards import run_shards

    server_pids = {p.pid for p in servers.processes}
    marks: dict[float, tuple[float, float, float, float]] = {}
    lock = threading.Lock()
    load_average = os.getloadavg()[0]

    def mark(_shard: int, window: dict[str, Any]) -> None:
        end_s = round(float(window["end_s"]), 3)
        with lock:
            if end_s not in marks:
                workers, other = _cpu_by_role(server_pids)
                marks[end_s] = (time.perf_counter(), workers, servers.cpu_s(), other)

    run = run_shards(options, shards, on_window=mark)
    merged: LoadResult = run.merged
    windows = merged.to_json()["windows"]
    rate, answered, _ = steady_rate(windows, seconds, warmup_s)
    steady = steady_windows(windows, seconds, warmup_s)
    per_msg = [0.0, 0.0, 0.0]
    share = used = 0.0
    if steady and answered:
        first = marks.get(round(steady[0]["start_s"], 3))
        last = marks.get(round(steady[-1]["end_s"], 3))
        if first and last:
            wall_s = last[0] - first[0]
            spent = [last[i] - first[i] for i in (1, 2, 3)]
            per_msg = [s / answered * 1e6 for s in spent]
            share = spent[1] / sum(spent) if sum(spent) else 0.0
            used = sum(spent) / wall_s if wall_s > 0 else 0.0
    return ShardRate(rate, *per_msg, share, used, load_average)


def shard_line(shards: int, rate: ShardRate) -> str:
    return (
        f"(c) {shards} shard(s): {rate.msgs_per_s:,.0f} msgs/s; CPU per msg: generator "
        f"{rate.generator_cpu_us_per_msg:.0f} us (the Dask workers), server "
        f"{rate.server_cpu_us_per_msg:.0f} us, Dask's own {rate.other_cpu_us_per_msg:.0f} us; "
        f"server {rate.server_cpu_share:.0%} of the CPU used; {rate.cpu_used:.2f} cores busy; "
        f"load average {rate.load_average:.2f}"
    )


def shard_pairs(
    options: LoadOptions, args: argparse.Namespace, servers: Servers, warm: bool
) -> float:
    """1 and 2 shards alternately, `--pairs` times (the machine's load moves between runs),
    each run's line and each pair's speedup printed; returns the median speedup."""
    if warm:  # a first run in a fresh checkout compiles and caches: not one of the pairs
        short = busy_options(options.url, options.ramp.peak, 2.0, 1.0)
        print(shard_line(1, shard_rate(short, 1, 2.0, 1.0, servers)) + " (warm-up)", flush=True)
    speedups = []
    for pair in range(args.pairs):
        one = shard_rate(options, 1, args.seconds, args.warmup_s, servers)
        print(shard_line(1, one), flush=True)
        two = shard_rate(options, 2, args.seconds, args.warmup_s, servers)
        print(shard_line(2, two), flush=True)
        speedup = two.msgs_per_s / one.msgs_per_s if one.msgs_per_s else 0.0
        speedups.append(speedup)
        print(
            f"(c) pair {pair + 1}: speedup {speedup:.2f} (every core busy at the 2-shard run's "
            f"CPU per msg: {ceiling(one, two):.2f})",
            flush=True,
        )
    median = statistics.median(speedups)
    each = ", ".join(f"{x:.2f}" for x in speedups)
    print(f"(c) speedup: median {median:.2f} of {len(speedups)} pairs ({each})", flush=True)
    return median


def shards_only(args: argparse.Namespace) -> int:
    """`--only shards`: part (c) alone, after a warm-up run."""
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores", flush=True)
    servers = start_servers(args.servers)
    try:
        options = busy_options(servers.url, args.concurrency, args.seconds, args.warmup_s)
        speedup = shard_pairs(options, args, servers, warm=True)
    finally:
        servers.stop()
    print(f"load shards2-speedup={speedup:.2f}", flush=True)
    return 0


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} s"


# --- the run -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--charge-points", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=1_000)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--connect-ramp-s", type=float, default=120.0)
    parser.add_argument("--hold-s", type=float, default=30.0)
    parser.add_argument("--warmup-s", type=float, default=WARMUP_S)
    parser.add_argument("--pairs", type=int, default=2, help="(c): 1/2-shard runs, alternately")
    parser.add_argument("--only", choices=("shards",), help="(c) alone, after a warm-up run")
    args = parser.parse_args(argv)
    for name in ("charge_points", "concurrency", "servers", "pairs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if not args.seconds > 0 or not args.connect_ramp_s > 0 or args.hold_s < 0:
        parser.error("--seconds and --connect-ramp-s must be positive, --hold-s >= 0")

    if args.only == "shards":
        return shards_only(args)
    cps, notes = fit_to_machine(max(args.charge_points, args.concurrency))
    cps = min(cps, args.charge_points)
    for note in notes:
        print(f"note: {note}", flush=True)
    print(
        f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores; lean server: "
        f"{args.servers} processes on one port",
        flush=True,
    )
    servers = start_servers(args.servers)
    try:
        started = time.perf_counter()
        conn = event_loop.run(connections(servers.url, cps, args.connect_ramp_s, args.hold_s))
        print(
            f"(a) connections: {conn.connected:,} connected in one process; RSS "
            f"{conn.rss_base_mib:.1f} -> {conn.rss_peak_mib:.1f} MiB: {conn.kib_per_cp:.1f} "
            f"KiB/charge point; all connected after {_seconds(conn.all_connected_s)} (ramp "
            f"{args.connect_ramp_s:g} s); failed attempts {conn.failed or 0} "
            f"({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
        concurrency = min(args.concurrency, cps)
        options = busy_options(servers.url, concurrency, args.seconds, args.warmup_s)
        generator = event_loop.run(generator_rate(options, args.seconds, args.warmup_s, servers))
        mix = frame_mix(generator.counts)
        raw = event_loop.run(raw_rate(servers.url, concurrency, args.seconds, mix))
        ratio = generator.msgs_per_s / raw.msgs_per_s if raw.msgs_per_s else 0.0
        print(
            f"(b) {concurrency:,} connections, {args.seconds:g} s: generator "
            f"{generator.msgs_per_s:,.0f} msgs/s ({generator.cpu_us_per_msg:.0f} us CPU/msg, "
            f"server {generator.server_cpu_us_per_msg:.0f} us/msg); raw websockets "
            f"{raw.msgs_per_s:,.0f} msgs/s ({raw.cpu_us_per_msg:.0f} us CPU/msg); mix "
            f"{generator.counts}",
            flush=True,
        )
        speedup = shard_pairs(options, args, servers, warm=False)
    finally:
        servers.stop()
    print(
        f"load cps={conn.connected} kib_per_cp={conn.kib_per_cp:.1f} "
        f"msgs/s={generator.msgs_per_s:.0f} raw-ws msgs/s={raw.msgs_per_s:.0f} "
        f"ratio={ratio:.2f} shards2-speedup={speedup:.2f}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
