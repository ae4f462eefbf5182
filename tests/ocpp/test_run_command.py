"""`chargenet run --engine ocpp` through the real command line."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator import cli
from tests.ocpp.helpers import write_small_scenario
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
    assert log.stat().st_size > 0 and db.stat().st_size > 0
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
        code, _, err = chargenet([*args, "--csms-password", "guess"], capsys)
    assert code == 2
    assert err.startswith(f"chargenet: the central system at {url} refused the credentials")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--engine", "fast", "--csms", "ws://127.0.0.1:1"], "--csms needs --engine ocpp"),
        (["--engine", "fast", "--pace", "10"], "--pace needs --engine ocpp"),
        (
            ["--engine", "ocpp", "--csms", "ws://127.0.0.1:1", "--csms-db", "x.sqlite"],
            "--csms-db is the built-in central system's store: drop it with --csms",
        ),
        (["--engine", "ocpp", "--csms-ca", "nope.pem"], "--csms-ca nope.pem: no such file"),
    ],
)
def test_ocpp_flags_that_do_not_fit_end_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    scenario = write_small_scenario(tmp_path)
    code, _, err = chargenet(["run", str(scenario), "--out", str(tmp_path), *extra], capsys)
    assert (code, err) == (2, f"chargenet: {message}\n")
