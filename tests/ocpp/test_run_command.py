"""`chargenet run --engine ocpp` through the real command line."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import select
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator import cli, runner
from simulator import scenario as sc
from simulator.commands import run as run_command
from simulator.ocpp.transport import BackendError, open_connection
from simulator.reports.summary import to_json
from tests.ocpp.helpers import write_small_scenario
from tests.ocpp.test_builtin_csms import central_systems_using
from tests.ocpp.test_transport import closed_port


def chargenet(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@contextlib.contextmanager
def central_system(tmp_path: Path, *args: str) -> Iterator[str]:
    """The built-in central system as a process of its own; yields its websocket URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "central_system", "serve", "--port", "0", "--no-api",
         "--db", str(tmp_path / "csms.sqlite"), "--accept-unknown-tags", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        yield json.loads(process.stdout.readline())["ws_url"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_ocpp_engine_writes_the_fast_engines_summary_byte_for_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = write_small_scenario(tmp_path, days=0.5)
    for engine in ("fast", "ocpp"):
        args = ["run", str(scenario), "--engine", engine, "--out", str(tmp_path / engine)]
        assert chargenet([*args, "--quiet"], capsys)[0] == 0
    fast = (tmp_path / "fast" / "summary.json").read_bytes()
    assert (tmp_path / "ocpp" / "summary.json").read_bytes() == fast
    sessions = (tmp_path / "fast" / "sessions.csv").read_bytes()
    assert (tmp_path / "ocpp" / "sessions.csv").read_bytes() == sessions


def test_the_message_log_and_the_store_are_written_where_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = write_small_scenario(tmp_path, days=0.25)
    log, db = tmp_path / "frames.jsonl", tmp_path / "csms.sqlite"
    args = ["run", str(scenario), "--engine", "ocpp", "--out", str(tmp_path / "o"), "--quiet"]
    code, _, err = chargenet([*args, "--message-log", str(log), "--csms-db", str(db)], capsys)
    assert (code, err) == (0, "")
    assert log.stat().st_size > 0
    assert db.stat().st_size > 0
    # the store holds that run: a second run must not mix into it
    code, _, err = chargenet([*args, "--csms-db", str(db)], capsys)
    assert code == 2
    assert err == f"chargenet: --csms-db {db} exists: a report would mix two runs\n"


def test_an_unreachable_backend_ends_in_one_line_and_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = write_small_scenario(tmp_path)
    url = f"ws://127.0.0.1:{closed_port()}"
    code, _, err = chargenet(
        ["run", str(scenario), "--engine", "ocpp", "--csms", url, "--out", str(tmp_path)], capsys
    )
    assert code == 2
    assert err == f"chargenet: cannot reach the central system at {url}: connection refused\n"
    assert not (tmp_path / "summary.json").exists()


def test_bad_credentials_end_in_one_line_and_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = write_small_scenario(tmp_path)
    (tmp_path / "password.txt").write_text("secret\n")
    with central_system(tmp_path, "--password-file", str(tmp_path / "password.txt")) as url:
        args = ["run", str(scenario), "--engine", "ocpp", "--csms", url, "--out", str(tmp_path)]
        (tmp_path / "guess.txt").write_text("guess\n")
        code, _, err = chargenet(
            [*args, "--csms-password-file", str(tmp_path / "guess.txt")], capsys
        )
    assert code == 2
    assert err.startswith(f"chargenet: the central system at {url} refused the credentials")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--engine", "fast", "--csms", "ws://127.0.0.1:1"], "--csms needs --engine ocpp"),
        (["--engine", "fast", "--pace", "10"], "--pace needs --engine ocpp"),
        (
            ["--engine", "fast", "--handshake-timeout", "5"],
            "--handshake-timeout needs --engine ocpp",
        ),
        (
            ["--engine", "ocpp", "--csms", "ws://127.0.0.1:1", "--csms-db", "x.sqlite"],
            "--csms-db is the built-in central system's store: drop it with --csms",
        ),
        (["--engine", "ocpp", "--csms-ca", "nope.pem"], "--csms-ca nope.pem: no such file"),
        (
            ["--engine", "ocpp", "--csms-password", "guess"],
            "--csms-password would show the password in the process list: put it on the first "
            "line of a file given with --csms-password-file FILE, or in CHARGENET_CSMS_PASSWORD",
        ),
        (
            ["--engine", "ocpp", "--csms-password-file", "nope.txt"],
            "--csms-password-file nope.txt: No such file or directory",
        ),
        (
            ["--engine", "fast", "--csms-password-file", "nope.txt"],
            "--csms-password-file needs --engine ocpp",
        ),
    ],
)
def test_ocpp_flags_that_do_not_fit_end_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    scenario = write_small_scenario(tmp_path)
    code, _, err = chargenet(["run", str(scenario), "--out", str(tmp_path), *extra], capsys)
    assert (code, err) == (2, f"chargenet: {message}\n")


# --- the wire's own statistics (wire.json) and the lag bound -------------------------------


def test_with_the_default_max_lag_the_wire_stays_within_it_and_the_files_match_the_fast_engine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = write_small_scenario(tmp_path, days=0.25)
    fast, ocpp = tmp_path / "fast", tmp_path / "ocpp"
    assert chargenet(["run", str(scenario), "--engine", "fast", "--out", str(fast), "--quiet"],
                     capsys)[0] == 0  # fmt: skip
    code, out, err = chargenet(["run", str(scenario), "--out", str(ocpp)], capsys)
    assert (code, err) == (0, "")
    for name in ("summary.json", "sessions.csv"):
        assert (ocpp / name).read_bytes() == (fast / name).read_bytes()
    assert not (fast / "wire.json").exists()
    wire = json.loads((ocpp / "wire.json").read_text(encoding="utf-8"))
    assert wire["lag_s"]["bound"] == 60.0
    assert wire["lag_s"]["p50"] <= wire["lag_s"]["p99"] <= wire["lag_s"]["max"] <= 60.0
    assert (wire["charge_points"], wire["boots"], wire["reconnects"]) == (5, 5, 0)
    assert wire["messages"] > 50
    assert wire["refused"] == {}
    assert wire["sessions"]["plugged_in"] > 0
    assert wire["sessions"]["refused"] == 0
    [line] = [line for line in out.splitlines() if line.startswith("wire: ")]
    assert f"{wire['messages']:,} messages" in line
    assert "(bound 60 s)" in line


def test_max_lag_is_checked_and_needs_the_ocpp_engine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = write_small_scenario(tmp_path)
    args = ["run", str(scenario), "--out", str(tmp_path)]
    code, _, err = chargenet([*args, "--engine", "fast", "--max-lag", "10"], capsys)
    assert (code, err) == (2, "chargenet: --max-lag needs --engine ocpp\n")
    with pytest.raises(SystemExit) as exit_:
        cli.main([*args, "--max-lag", "-1"])
    assert exit_.value.code == 2
    assert "--max-lag: must be 0 or more: '-1'" in capsys.readouterr().err


def test_a_run_whose_sessions_the_backend_mostly_refused_ends_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = write_small_scenario(tmp_path, days=0.25)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "central_system",
            "serve",
            "--port",
            "0",
            "--no-api",
            "--db",
            str(tmp_path / "csms.sqlite"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip  (no --accept-unknown-tags: every driver's tag is unknown)
    try:
        assert process.stdout is not None
        url = json.loads(process.stdout.readline())["ws_url"]
        args = ["run", str(scenario), "--csms", url, "--out", str(tmp_path / "o"), "--quiet"]
        code, _, err = chargenet(args, capsys)
    finally:
        process.terminate()
        process.wait(timeout=10)
    wire = json.loads((tmp_path / "o" / "wire.json").read_text(encoding="utf-8"))
    plugged_in = wire["sessions"]["plugged_in"]
    assert plugged_in > 0
    assert wire["sessions"]["refused"] == plugged_in
    assert code == 0
    assert err == (
        f"chargenet: warning: the central system refused {plugged_in} of {plugged_in} "
        "sessions: the results describe a network that turned its drivers away\n"
    )


def test_the_handshake_timeout_flag_sets_how_long_a_charge_point_waits_for_its_handshake(
    tmp_path: Path,
) -> None:
    parser, _ = cli.build_parser()
    scenario = str(write_small_scenario(tmp_path))
    default = run_command._transport_config(parser.parse_args(["run", scenario]))
    assert default.open_timeout_s == run_command.DEFAULT_HANDSHAKE_TIMEOUT_S == 10.0
    given = parser.parse_args(["run", scenario, "--handshake-timeout", "0.5"])
    assert run_command._transport_config(given).open_timeout_s == 0.5


async def test_a_backend_that_never_completes_the_handshake_is_named_after_the_given_timeout(
    tmp_path: Path,
) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # accept the connection, never answer the upgrade
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    async with server:
        url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        parser, _ = cli.build_parser()
        args = ["run", str(write_small_scenario(tmp_path)), "--csms", url]
        config = run_command._transport_config(
            parser.parse_args([*args, "--handshake-timeout", "0.3"])
        )
        with pytest.raises(BackendError) as raised:
            await open_connection("cp-1", config)
    assert str(raised.value) == (
        f"the central system at {url} did not complete the handshake within 0.3 s"
    )


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_a_handshake_timeout_that_is_not_a_positive_number_ends_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    scenario = write_small_scenario(tmp_path)
    with pytest.raises(SystemExit) as raised:
        cli.main(["run", str(scenario), "--handshake-timeout", value])
    err = capsys.readouterr().err
    assert raised.value.code == 2
    assert err.startswith("chargenet: argument --handshake-timeout: ")
    assert err.count("\n") == 1


def test_a_csms_url_template_reaches_a_real_central_system_with_every_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = write_small_scenario(tmp_path, days=0.1)
    with central_system(tmp_path) as url:
        template = f"{url}/tenant-a/{{id}}?token=t0k3n"
        args = ["run", str(scenario), "--csms", template, "--out", str(tmp_path / "ocpp")]
        assert chargenet([*args, "--quiet"], capsys) == (0, "", "")
    with contextlib.closing(sqlite3.connect(tmp_path / "csms.sqlite")) as db:
        ids = {cp for (cp,) in db.execute("SELECT id FROM charge_points")}
    world = sc.world(sc.load(scenario))
    assert ids == {p.id for p in world.ports}
    # the fast engine in process, as `chargenet run --engine fast` computes its summary
    summary = (tmp_path / "ocpp" / "summary.json").read_bytes()
    assert summary == to_json(runner.summarize_world(world, runner.run_fast(world))).encode()
    assert json.loads(summary)["totals"]["served"] > 0


def test_a_scenario_that_fails_to_load_leaves_no_central_system_and_no_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the central system is spawned before the scenario is read (their start-ups overlap)
    scenario = tmp_path / "broken.toml"
    scenario.write_text('name = "broken"\n[simulation]\ndays = "two"\n')
    db = tmp_path / "csms.sqlite"
    code, _, err = chargenet(
        ["run", str(scenario), "--out", str(tmp_path / "o"), "--csms-db", str(db)], capsys
    )
    assert code == 2
    assert err.startswith("chargenet: ")
    assert err.count("\n") == 1
    assert central_systems_using(db) == []
    assert not db.exists()


PTY_TIMEOUT_S = 100.0


def test_on_a_terminal_the_progress_shows_the_run_and_then_the_writing_of_the_reports(
    tmp_path: Path,
) -> None:
    scenario = write_small_scenario(tmp_path, days=1.0)
    controller, terminal = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "run", str(scenario), "--out", str(tmp_path / "o")],
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
        env={**os.environ, "TERM": "xterm", "COLUMNS": "120"},
    )
    os.close(terminal)
    screen = b""
    deadline = time.monotonic() + PTY_TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], deadline - time.monotonic())
            try:
                chunk = os.read(controller, 65536) if ready else b""
            except OSError:  # EIO: the command closed the terminal
                break
            if not chunk:
                break
            screen += chunk
        assert process.wait(timeout=PTY_TIMEOUT_S) == 0
    finally:
        os.close(controller)
        if process.poll() is None:
            process.kill()
            process.wait()
    text = screen.decode("utf-8", "replace")
    assert "simulating" in text
    assert "writing reports" in text
    assert text.index("simulating") < text.index("writing reports")
    assert (tmp_path / "o" / "report.html").exists()
