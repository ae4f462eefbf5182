"""`chargenet csms ...`: simulator/cli.py hands the process over to the central system's CLI.

Real processes only: `python -m simulator csms ...`, signals sent as `kill` and Ctrl-C would.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 20.0

needs_proc = pytest.mark.skipif(
    not Path("/proc/self/cmdline").exists(), reason="finds processes through /proc"
)


def _chargenet(
    *arguments: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def _processes_using(needle: Path) -> list[int]:
    """Live processes whose command line names `needle` (the test's own unique store path)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if os.fsencode(needle) in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
    return found


def _port_is_free(port: int) -> bool:
    # SO_REUSEADDR as a restarted server sets it: only a live listener keeps the port taken.
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextlib.contextmanager
def chargenet_csms_serve(db: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    """`chargenet csms serve` in a session of its own (a terminal's Ctrl-C reaches its group)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "csms", "serve", "--port", "0", "--api-port", "0",
         "--db", str(db)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # bounded: the server prints it or exits
        assert line, f"csms serve did not start: {process.communicate(timeout=10)[1]}"
        yield process, json.loads(line)
    finally:
        # whatever this test started and left behind, by pid
        for pid in {process.pid, *_processes_using(db)} if Path("/proc").exists() else {}:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.communicate(timeout=STOP_TIMEOUT_S)


def _ports(urls: dict[str, Any]) -> list[int]:
    return [int(urls[key].rsplit(":", 1)[1]) for key in ("ws_url", "api_url")]


@needs_proc
def test_sigterm_to_chargenet_csms_serve_stops_the_server_and_frees_its_ports(
    tmp_path: Path,
) -> None:
    db = tmp_path / "csms.sqlite"
    with chargenet_csms_serve(db) as (process, urls):
        ports = _ports(urls)
        assert not any(_port_is_free(port) for port in ports)  # the probe can tell
        process.send_signal(signal.SIGTERM)  # `kill PID`: the pid chargenet was started as
        assert process.wait(timeout=STOP_TIMEOUT_S) == 0
        assert _processes_using(db) == []
        assert [_port_is_free(port) for port in ports] == [True, True]


@needs_proc
def test_ctrl_c_on_chargenet_csms_serve_stops_it_cleanly_without_a_traceback(
    tmp_path: Path,
) -> None:
    db = tmp_path / "csms.sqlite"
    with chargenet_csms_serve(db) as (process, urls):
        os.killpg(process.pid, signal.SIGINT)  # what a terminal sends to the foreground group
        _, stderr = process.communicate(timeout=STOP_TIMEOUT_S)
        assert process.returncode == 0
        assert stderr == "chargenet: interrupted; the central system stopped cleanly\n"
        assert _processes_using(db) == []
        assert [_port_is_free(port) for port in _ports(urls)] == [True, True]


def test_chargenet_csms_help_names_chargenet_csms() -> None:
    for arguments in (["csms", "--help"], ["csms", "serve", "--help"], ["csms", "call", "--help"]):
        done = _chargenet(*arguments)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"usage: chargenet {' '.join(arguments[:-1])} ")
        assert "python -m central_system" not in done.stdout


@pytest.mark.parametrize(
    ("arguments", "needle"),
    [
        (["csms", "call", "CP1", "Reset", "{nope"], "not valid JSON"),
        (["csms", "call", "CP1", "Reset"], "no operator API token"),
        (["csms", "call", "CP1", "Reset", "--api-url", "http://127.0.0.1:9"], "cannot reach"),
        (["csms", "call", "CP1", "Reset", "--no-such-flag"], "unrecognized arguments"),
        (["csms"], "required"),
    ],
)
def test_chargenet_csms_errors_are_one_chargenet_line(arguments: list[str], needle: str) -> None:
    env = {key: value for key, value in os.environ.items() if key != "CHARGENET_CSMS_API_TOKEN"}
    if "--api-url" in arguments:
        env["CHARGENET_CSMS_API_TOKEN"] = "a-token-long-enough-to-be-sent"
    done = _chargenet(*arguments, env=env)
    assert done.returncode != 0
    assert done.stdout == ""
    assert done.stderr.startswith("chargenet: "), done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert needle in done.stderr


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port on 127.0.0.1 that another process's socket holds (listening)."""
    with socket.create_server(("127.0.0.1", 0)) as holder:
        yield holder.getsockname()[1]


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--port", "{busy}", "--api-port", "0"], "cannot serve on 127.0.0.1:{busy}: "),
        (["--port", "{busy}", "--no-api"], "cannot serve on 127.0.0.1:{busy}: "),
        (["--port", "0", "--api-port", "{busy}"], "cannot serve the operator API on {addr}: "),
    ],
    ids=["websocket port", "websocket port without the API", "operator API port"],
)
def test_a_port_in_use_is_one_line_naming_that_port(
    tmp_path: Path, busy_port: int, flags: list[str], named: str
) -> None:
    arguments = [f.format(busy=busy_port) for f in flags]
    done = _chargenet("csms", "serve", "--db", str(tmp_path / "csms.sqlite"), *arguments)
    assert done.returncode == 1
    assert done.stdout == ""
    said = named.format(busy=busy_port, addr=f"127.0.0.1:{busy_port}")
    assert done.stderr == f"chargenet: {said}Address already in use\n"
