"""`chargenet load` as a real process against the built-in central system (a real process too,
on 127.0.0.1): a small fleet for a few seconds writes load.json, windows.csv and report.html;
SLO exit codes on a passing and a failing run; usage errors in one line before any connection."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from simulator import cli
from simulator.commands.load import ephemeral_ports_note
from tests.check.helpers import builtin_central_system, write_password

CLI_TIMEOUT_S = 100.0
#: The fleet of a run in the tests: small and short, but every window has calls.
FLEET = (
    "--charge-points",
    "3",
    "--duration",
    "4s",
    "--active-share",
    "1",
    "--heartbeat-interval-s",
    "1",
    "--meter-interval-s",
    "1",
    "--window-s",
    "1",
    "--timeout",
    "20",
    "--connect-timeout",
    "30",
)


def _generator_exists() -> bool:
    try:
        import simulator.load
    except ImportError:
        return False
    return hasattr(simulator.load, "run_load")


needs_generator = pytest.mark.skipif(
    not _generator_exists(),
    reason="simulator.load.run_load (loadcore's generator, merged by the lead) is not in this "
    "tree yet",
)


@dataclass
class Cli:
    code: int
    stdout: str
    stderr: str


async def chargenet_load(*arguments: str, open_files: int | None = None) -> Cli:
    """`python -m simulator load ...` as a real process (awaited: the loop keeps serving),
    its open-files limit (soft and hard) lowered to `open_files` when given."""

    def limit() -> None:
        if open_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))

    env = {k: v for k, v in os.environ.items() if k != "CHARGENET_CSMS_PASSWORD"}
    env |= {"PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator",
        "load",
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        preexec_fn=limit,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), CLI_TIMEOUT_S)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return Cli(process.returncode, stdout.decode(), stderr.decode())


async def run_against_builtin(folder: Path, *slos: str) -> Cli:
    out = folder / "out"
    async with builtin_central_system(folder) as url:
        return await chargenet_load(
            url,
            *FLEET,
            "--password-file",
            str(write_password(folder)),
            "--out",
            str(out),
            *(a for s in slos for a in ("--slo", s)),
        )


@needs_generator
async def test_a_run_that_meets_its_slos_exits_0_and_writes_its_three_files(
    tmp_path: Path,
) -> None:
    result = await run_against_builtin(tmp_path, "p99 < 60s", "errors < 50%", "connected >= 1")
    assert result.code == 0, result.stderr
    document: dict[str, Any] = json.loads((tmp_path / "out" / "load.json").read_text())
    assert document["schema_version"] == 1
    assert document["totals"]["calls"] > 0
    assert document["totals"]["connections"]["peak_connected"] == 3
    assert {"BootNotification", "Heartbeat"} <= set(document["actions"])
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "windows.csv").read_text())))
    assert len(rows) == len(document["windows"]) > 0
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "SLO verdicts" in html
    for line in ("SLO p99 < 60s: held", "SLO errors < 50%: held", "SLO connected >= 1: held"):
        assert line in result.stdout
    assert result.stderr == ""


@needs_generator
async def test_an_impossible_slo_exits_1_naming_it_in_one_line(tmp_path: Path) -> None:
    result = await run_against_builtin(tmp_path, "p99 < 60s", "p50 < 1us")
    assert result.code == 1, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("chargenet: SLO p50 < 1us: BROKEN (measured ")
    assert line.endswith(" us, bound < 1 us)")
    assert "SLO p99 < 60s: held" in result.stdout
    assert (tmp_path / "out" / "load.json").is_file()  # a broken SLO still leaves the results


@dataclass
class Listener:
    """A TCP port on 127.0.0.1 that counts the connections made to it (and answers none)."""

    url: str
    accepted: list[int]


@pytest.fixture
async def listener() -> AsyncIterator[Listener]:
    accepted: list[int] = []

    async def count(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)
        writer.close()

    server = await asyncio.start_server(count, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield Listener(f"ws://127.0.0.1:{port}/ocpp", accepted)


@dataclass
class Port:
    """A listening TCP socket on 127.0.0.1 that no one accepts on: `connections()` takes what
    the kernel queued (a client's connect completes without an accept)."""

    url: str
    sock: socket.socket

    def connections(self) -> int:
        n = 0
        while True:
            try:
                connection, _ = self.sock.accept()
            except BlockingIOError:
                return n
            connection.close()
            n += 1


@pytest.fixture
def port() -> Iterator[Port]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        sock.setblocking(False)
        yield Port(f"ws://127.0.0.1:{sock.getsockname()[1]}/ocpp", sock)


def chargenet_in_process(
    arguments: Sequence[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """`chargenet load ...` in this process (usage errors end before any event loop)."""
    try:
        code = cli.main(["load", *arguments, "--connect-timeout", "1"])
    except SystemExit as e:  # argparse's errors
        code = int(e.code or 0)
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "names"),
    [
        (("--charge-points", "5", "--slo", "p99(Bogus) < 5ms"), "'Bogus' is not an OCPP action"),
        (("--charge-points", "5", "--slo", "p99 < 5"), "a latency needs a unit"),
        (("--charge-points", "5", "--password", "hunter2"), "--password-file"),
        (("--charge-points", "5", "--scheduler", "localhost"), "not a Dask address"),
        (
            (
                "--charge-points",
                "0",
            ),
            "must be > 0",
        ),
        (("--charge-points", "5", "--active-share", "2"), "must be between 0 and 1"),
        (("--charge-points", "5", "--duration", "soon"), "not a duration"),
    ],
)
def test_a_usage_error_is_one_line_exit_2_before_any_connection(
    port: Port,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    arguments: tuple[str, ...],
    names: str,
) -> None:
    code, stderr = chargenet_in_process(
        [port.url, *arguments, "--out", str(tmp_path / "out")], capsys
    )
    assert code == 2
    (line,) = stderr.strip().splitlines()
    assert line.startswith("chargenet: ")
    assert names in line
    assert port.connections() == 0
    assert not (tmp_path / "out").exists()


@needs_generator
@pytest.mark.parametrize(
    ("arguments", "names"),
    [
        (("--charge-points", "5", "--ramp", "0->5 over 1m"), "give one of them"),
        (("--ramp", "0->5 over 2m", "--duration", "1m"), "shorter than the ramp"),
        (("--ramp", "0->five over 2m"), "ramp: cannot read"),
        ((), "give --charge-points N, --ramp SPEC or --scenario FILE"),
        (("--scenario", "no-such.toml"), "no such file"),
        (("--charge-points", "5", "--speed", "2"), "--speed goes with --scenario"),
    ],
)
def test_a_bad_fleet_is_one_line_exit_2_before_any_connection(
    port: Port,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    arguments: tuple[str, ...],
    names: str,
) -> None:
    code, stderr = chargenet_in_process(
        [port.url, *arguments, "--out", str(tmp_path / "out")], capsys
    )
    assert code == 2
    (line,) = stderr.strip().splitlines()
    assert line.startswith("chargenet: ")
    assert names in line
    assert port.connections() == 0


@needs_generator
async def test_a_fleet_beyond_the_open_files_limit_is_one_line_exit_2_before_connecting(
    listener: Listener, tmp_path: Path
) -> None:
    result = await chargenet_load(
        listener.url, "--charge-points", "1000", "--out", str(tmp_path / "out"), open_files=256
    )
    assert result.code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("chargenet: the fleet needs 1,064 open files per process")
    assert "the hard limit is 256 (ulimit -Hn)" in line
    assert listener.accepted == []


def test_a_fleet_beyond_the_ephemeral_ports_of_one_address_gets_a_one_line_note() -> None:
    note = ephemeral_ports_note(30_000, "32768\t60999\n")
    assert note is not None
    assert note.startswith("30,000 connections to one address from one source address")
    assert "this machine has 28,232 (/proc/sys/net/ipv4/ip_local_port_range: 32768 60999)" in note
    assert "\n" not in note
    assert ephemeral_ports_note(28_232, "32768 60999") is None
    assert ephemeral_ports_note(30_000, "garbage") is None


@pytest.fixture
async def silent_backend() -> AsyncIterator[str]:
    """A websocket server on 127.0.0.1 that accepts ocpp1.6 and never answers a CALL."""
    from websockets.asyncio.server import ServerConnection, serve
    from websockets.typing import Subprotocol

    async def ignore(connection: ServerConnection) -> None:
        async for _ in connection:
            pass

    async with serve(ignore, "127.0.0.1", 0, subprotocols=[Subprotocol("ocpp1.6")]) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/ocpp"


@needs_generator
async def test_a_run_that_stops_before_its_ramp_ends_exits_1_saying_why(
    silent_backend: str, tmp_path: Path
) -> None:
    result = await chargenet_load(
        silent_backend,
        "--charge-points",
        "1",
        "--duration",
        "60s",
        "--timeout",
        "1",
        "--window-s",
        "1",
        "--out",
        str(tmp_path / "out"),
    )
    assert result.code == 1, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("chargenet: the run stopped early: charge point load-000000: ")
    document = json.loads((tmp_path / "out" / "load.json").read_text())
    assert document["stopped"] in line
    assert document["totals"]["answered"] == 0


#: The Dask scheduler's and workers' start on a loaded machine.
DASK_START_TIMEOUT_S = 60.0
DASK = (sys.executable, "-m", "dask")
LOCAL = ("--host", "127.0.0.1", "--no-dashboard")


@pytest.fixture(scope="module")
def dask_scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`dask scheduler` and `dask worker --nworkers 2` as processes on 127.0.0.1."""
    folder = tmp_path_factory.mktemp("dask")
    scheduler_file = folder / "scheduler.json"
    log = (folder / "dask.log").open("w")
    started: list[subprocess.Popen[bytes]] = []
    try:
        started.append(
            subprocess.Popen(
                [
                    *DASK,
                    "scheduler",
                    *LOCAL,
                    "--port",
                    "0",
                    "--scheduler-file",
                    str(scheduler_file),
                ],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        )
        deadline = time.monotonic() + DASK_START_TIMEOUT_S
        while not scheduler_file.exists() or not scheduler_file.read_text().strip():
            assert time.monotonic() < deadline, "the dask scheduler did not start"
            assert started[0].poll() is None, "the dask scheduler exited"
            time.sleep(0.1)  # a file appearing: nothing to wait on but polling
        address = str(json.loads(scheduler_file.read_text())["address"])
        started.append(
            subprocess.Popen(
                [
                    *DASK,
                    "worker",
                    address,
                    *LOCAL,
                    "--nworkers",
                    "2",
                    "--nthreads",
                    "1",
                    "--local-directory",
                    str(folder),
                ],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        )
        from dask.distributed import Client

        with Client(address, timeout=DASK_START_TIMEOUT_S, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=DASK_START_TIMEOUT_S)
        yield address
    finally:
        for process in reversed(started):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


@needs_generator
async def test_two_shards_on_dask_merge_to_the_sum_of_the_shards(
    dask_scheduler: str, tmp_path: Path
) -> None:
    from hdrh.histogram import HdrHistogram

    out = tmp_path / "out"
    async with builtin_central_system(tmp_path) as url:
        result = await chargenet_load(
            url,
            *FLEET,
            "--shards",
            "2",
            "--scheduler",
            dask_scheduler,
            "--password-file",
            str(write_password(tmp_path)),
            "--out",
            str(out),
            "--slo",
            "connected >= 3",
        )
    assert result.code == 0, result.stderr
    merged = json.loads((out / "load.json").read_text())
    shards = [json.loads((out / f"shard-{k}.json").read_text()) for k in (0, 1)]
    assert merged["shards"] == 2
    assert all(shard["totals"]["calls"] > 0 for shard in shards)  # both shards ran
    assert merged["totals"]["calls"] == sum(shard["totals"]["calls"] for shard in shards)
    for action, entry in merged["actions"].items():
        counts = [
            HdrHistogram.decode(shard["actions"][action]["histogram"]).get_total_count()
            for shard in shards
            if action in shard["actions"]
        ]
        assert HdrHistogram.decode(entry["histogram"]).get_total_count() == sum(counts)
        assert entry["count"] == sum(
            shard["actions"][action]["count"] for shard in shards if action in shard["actions"]
        )
