"""`chargenet load URL --scenario FILE --speed N` as a real process against the built-in central
system: the scenario's traffic writes the same three files and meets its SLOs like a synthetic
fleet's; what does not go with a scenario is one line, exit 2, before any connection."""

from __future__ import annotations

import csv
import io
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.check.helpers import builtin_central_system, write_password
from tests.load.test_command import chargenet_in_process, chargenet_load

SCENARIO = Path(__file__).with_name("small_scenario.toml")


async def test_a_scenario_run_writes_load_json_saying_so_and_meets_its_slos(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    async with builtin_central_system(tmp_path, "--accept-unknown-tags") as url:
        result = await chargenet_load(
            url,
            "--scenario",
            str(SCENARIO),
            "--speed",
            "1200",
            "--duration",
            "2s",  # 2,400 virtual seconds: shorter than the scenario's 72 minutes
            "--window-s",
            "1",
            "--timeout",
            "20",
            "--password-file",
            str(write_password(tmp_path)),
            "--out",
            str(out),
            "--slo",
            "errors < 1%",
            "--slo",
            "connected >= 4",
        )
    assert result.code == 0, result.stderr
    document: dict[str, Any] = json.loads((out / "load.json").read_text())
    plan = document["plan"]
    assert plan["traffic"] == "scenario"
    assert plan["scenario"] == str(SCENARIO)
    assert plan["speed"] == 1200.0
    assert (plan["virtual_horizon_s"], plan["horizon_from"]) == (2400.0, "duration")
    assert document["totals"]["calls"] == document["totals"]["answered"] > 0
    assert {"BootNotification", "StatusNotification", "Authorize", "StartTransaction"} <= set(
        document["actions"]
    )
    rows = list(csv.DictReader(io.StringIO((out / "windows.csv").read_text())))
    assert len(rows) == len(document["windows"]) > 0
    assert (out / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "SLO errors < 1%: held" in result.stdout
    assert "SLO connected >= 4: held" in result.stdout


@pytest.fixture
def port() -> Iterator[tuple[str, socket.socket]]:
    """A listening socket on 127.0.0.1 no one accepts on (a connect still completes)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        sock.setblocking(False)
        yield f"ws://127.0.0.1:{sock.getsockname()[1]}/ocpp", sock


def _connections(sock: socket.socket) -> int:
    n = 0
    while True:
        try:
            connection, _ = sock.accept()
        except BlockingIOError:
            return n
        connection.close()
        n += 1


@pytest.mark.parametrize(
    ("arguments", "names"),
    [
        (("--ramp", "0->5 over 1m"), "--ramp goes with a synthetic fleet"),
        (("--shards", "2"), "--shards cannot split a scenario"),
        (("--scheduler", "tcp://127.0.0.1:1"), "--scheduler cannot split a scenario"),
        (("--active-share", "0.5"), "--active-share is the synthetic fleet's message plan"),
        (("--charge-points", "5"), "--scenario brings its own fleet"),
        (("--speed", "0"), "must be > 0"),
    ],
)
def test_what_does_not_go_with_a_scenario_is_one_line_exit_2_before_any_connection(
    port: tuple[str, socket.socket],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    arguments: tuple[str, ...],
    names: str,
) -> None:
    url, sock = port
    code, stderr = chargenet_in_process(
        [url, "--scenario", str(SCENARIO), *arguments, "--out", str(tmp_path / "out")], capsys
    )
    assert code == 2
    (line,) = stderr.strip().splitlines()
    assert line.startswith(("chargenet: ", "usage: ")) or "error:" in line, line
    assert names in line
    assert _connections(sock) == 0
    assert not (tmp_path / "out").exists()


def test_a_bad_scenario_file_is_one_line_exit_2_naming_the_key(
    port: tuple[str, socket.socket], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, sock = port
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "no networks"\n', encoding="utf-8")
    code, stderr = chargenet_in_process(
        [url, "--scenario", str(bad), "--duration", "5s", "--out", str(tmp_path / "out")], capsys
    )
    assert code == 2
    (line,) = stderr.strip().splitlines()
    assert line.startswith("chargenet: ")
    assert "networks" in line
    assert _connections(sock) == 0
    assert not (tmp_path / "out").exists()
