"""Ctrl-C in the middle of a command prints one line, exits 130, and leaves no empty --out
folder (compare and sweep: tests/experiment/test_resume.py)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "scenarios" / "quickstart.toml"
EXIT_INTERRUPTED = 130
WAIT_S = 100
"""A command's first OCPP message on a loaded machine."""
STOP_TIMEOUT_S = 60
MARK = "CHARGENET_TEST_MARK"
"""An environment variable the chart workers of a test's command inherit (chart_workers)."""


def chart_workers(marker: str) -> list[int]:
    """The live chart workers (simulator.reports.chart_worker) with MARK=`marker`."""
    found = []
    needle = f"{MARK}={marker}\0".encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / "environ").read_bytes() + b"\0"
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if needle in environ and b"chart_worker" in cmdline:
            found.append(int(proc.name))
    return found


@contextlib.contextmanager
def _started(args: list[str], env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        start_new_session=True,  # its own group, signalled as a terminal signals its foreground
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def _wait_until(condition: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"exited with {process.returncode}: {process.communicate()[1]}")
        if time.monotonic() > deadline:
            pytest.fail(f"not within {WAIT_S} s")
        time.sleep(0.05)


def _interrupt(process: subprocess.Popen[str]) -> str:
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=STOP_TIMEOUT_S)
    assert process.returncode == EXIT_INTERRUPTED, err
    return err


def test_ctrl_c_during_an_ocpp_run_prints_one_line_and_leaves_no_folder_nor_worker(
    tmp_path: Path,
) -> None:
    db = tmp_path / "csms.db"
    out = tmp_path / "out"
    marker = f"interrupted-{os.getpid()}-{tmp_path.name}"
    args = ["-m", "simulator", "run", str(QUICKSTART), "--pace", "60", "--days", "1"]
    env = {**os.environ, MARK: marker}
    with _started([*args, "--csms-db", str(db), "--out", str(out)], env) as process:
        # a charge point booted at the built-in central system: the run is on the wire (the
        # message log would do too, but it reaches the disk in 64 KiB blocks: half a minute)
        _wait_until(lambda: _charge_points(db) > 0, process)
        assert chart_workers(marker) != []  # started with the run
        assert _interrupt(process) == "chargenet: interrupted\n"
    assert not out.exists()
    assert chart_workers(marker) == []


def test_ctrl_c_during_a_load_run_prints_one_line_and_leaves_no_folder(tmp_path: Path) -> None:
    db = tmp_path / "csms.db"
    csms = ["-m", "central_system", "serve", "--port", "0", "--no-api", "--db", str(db)]
    with _started(csms) as server:
        assert server.stdout is not None
        url = json.loads(server.stdout.readline())["ws_url"]
        out = tmp_path / "out"
        load = ["-m", "simulator", "load", url, "--charge-points", "2", "--duration", "120"]
        with _started([*load, "--out", str(out)]) as process:
            _wait_until(lambda: _charge_points(db) > 0, process)
            assert _interrupt(process) == "chargenet: interrupted\n"
        assert not out.exists()
        server.terminate()
        server.communicate(timeout=STOP_TIMEOUT_S)


def _charge_points(db: Path) -> int:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as store:
            return int(store.execute("SELECT count(*) FROM charge_points").fetchone()[0])
    except sqlite3.Error:
        return 0  # not created yet
