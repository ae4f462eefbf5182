"""`python -m central_system serve|call` as real subprocesses."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import stat
import sys
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from central_system.api_token import TOKEN_ENV
from central_system.server import RunningCentralSystem
from tests.central_system.conftest import (
    now_text,
    raw_client,
    serve_process,
    stock_charge_point,
    wait_until_connected,
)


def _env(api_token: str | None) -> dict[str, str]:
    """This environment, with CHARGENET_CSMS_API_TOKEN set to `api_token` (None: unset)."""
    env = {key: value for key, value in os.environ.items() if key != TOKEN_ENV}
    return env if api_token is None else {**env, TOKEN_ENV: api_token}


async def _run_cli(
    *arguments: str, stdin: bytes | None = None, api_token: str | None = None
) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "central_system",
        *arguments,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(api_token),
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(stdin), 30)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_serve_prints_one_json_line_with_its_urls_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    async with serve_process(tmp_path / "csms.sqlite") as server:
        assert server.ws_url.startswith("ws://127.0.0.1:")
        assert server.api_url.startswith("http://127.0.0.1:")
        assert server.api_token is not None
        assert len(server.api_token) >= 40
        async with raw_client(server.ws_url, "CP1") as client:
            assert (await client.boot())["status"] == "Accepted"
            server.process.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(client.ws.recv(), 10)
        assert await asyncio.wait_for(server.process.wait(), 10) == 0
        assert server.process.stdout is not None
        assert await server.process.stdout.read() == b""  # nothing after the JSON line


async def test_serve_with_a_bad_id_tags_file_exits_2_with_one_line(tmp_path: Path) -> None:
    tags = tmp_path / "tags.csv"
    tags.write_text("TAG1,Accepted\nTAG2,Maybe\n")
    code, stdout, stderr = await _run_cli(
        "serve", "--port", "0", "--db", str(tmp_path / "x.sqlite"), "--id-tags", str(tags)
    )
    assert code == 2
    assert stdout == ""
    assert stderr.count("\n") == 1
    assert "tags.csv" in stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("command", ["serve", "call"])
async def test_help_describes_each_command(command: str) -> None:
    code, stdout, _ = await _run_cli(command, "--help")
    assert code == 0
    assert "--api-url" in stdout if command == "call" else "--max-frame-bytes" in stdout


async def test_a_killed_server_restarted_on_the_same_store_keeps_every_answered_transaction(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "csms.sqlite"
    stamp = now_text()
    answered: dict[int, int] = {}  # meterStart -> transactionId

    def start(meter_start: int) -> dict[str, object]:
        return {"connectorId": 1, "idTag": "T1", "meterStart": meter_start, "timestamp": stamp}

    async with serve_process(db_path) as server, raw_client(server.ws_url, "CP1") as client:
        with pytest.raises(ConnectionClosed):  # noqa: PT012 (the kill lands mid-stream)
            async with asyncio.timeout(20):
                for meter_start in range(10_000):
                    reply = await client.call("StartTransaction", start(meter_start))
                    answered[meter_start] = reply[2]["transactionId"]
                    if meter_start == 50:  # kill it while starts keep flowing
                        server.process.send_signal(signal.SIGKILL)
    assert len(answered) >= 51

    async with serve_process(db_path) as server, raw_client(server.ws_url, "CP1") as client:
        # Retransmit every start: answered ones (and one committed but unanswered) keep their id.
        again = {}
        for meter_start in range(len(answered) + 1):
            reply = await client.call("StartTransaction", start(meter_start))
            again[meter_start] = reply[2]["transactionId"]
        fresh = (await client.call("StartTransaction", start(99_999)))[2]["transactionId"]

    assert {key: again[key] for key in answered} == answered
    ids = list(answered.values())
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert ids[0] > 0
    assert fresh > max(again.values())
    with sqlite3.connect(db_path) as db:
        rows = db.execute("SELECT id, meter_start_wh FROM transactions ORDER BY id").fetchall()
    assert len(rows) == len(answered) + 2  # every start once, plus the fresh one
    assert dict((meter, id_) for id_, meter in rows if meter in answered) == answered


async def test_the_call_command_prints_the_charge_points_reply(
    central_system: RunningCentralSystem,
) -> None:
    assert central_system.api_url is not None
    async with stock_charge_point(central_system.ws_url, "STOCK1") as cp:
        await wait_until_connected(central_system, "STOCK1")
        code, stdout, stderr = await _run_cli(
            "call",
            "STOCK1",
            "Reset",
            '{"type": "Hard"}',
            "--api-url",
            central_system.api_url,
            api_token=central_system.api_token,
        )
        piped = await _run_cli(
            "call",
            "STOCK1",
            "UnlockConnector",
            "-",
            "--api-url",
            central_system.api_url,
            stdin=b'{"connectorId": 2}',
            api_token=central_system.api_token,
        )
    assert (code, json.loads(stdout), stderr) == (0, {"status": "Accepted"}, "")
    assert piped[0] == 0
    assert json.loads(piped[1]) == {"status": "Unlocked"}
    assert [action for action, _ in cp.received] == ["Reset", "UnlockConnector"]


@pytest.mark.parametrize(
    ("arguments", "code", "needle"),
    [
        (["GHOST", "Reset", '{"type": "Soft"}'], 1, "not connected"),
        (["CP1", "Reset", "{type: Soft}"], 2, "not valid JSON"),
        (["CP1", "Reset", "[1]"], 2, "JSON object"),
        (["CP1", "Reset", '{"type": "Gentle"}'], 2, "PropertyConstraintViolation"),
        (["CP1", "Heartbeat"], 2, "not an action"),
        (["CP1", "Reset", '{"type": "Soft"}', "--timeout-s", "0.2"], 1, "did not answer"),
    ],
)
async def test_the_call_command_names_the_cause_in_one_line_and_exits_non_zero(
    central_system: RunningCentralSystem, arguments: list[str], code: int, needle: str
) -> None:
    assert central_system.api_url is not None
    async with raw_client(central_system.ws_url, "CP1"):  # connected, never answers
        await wait_until_connected(central_system, "CP1")
        got_code, stdout, stderr = await _run_cli(
            "call",
            *arguments,
            "--api-url",
            central_system.api_url,
            api_token=central_system.api_token,
        )
    assert (got_code, stdout) == (code, "")
    assert needle in stderr
    assert stderr.count("\n") == 1


async def test_the_call_command_exits_1_when_the_api_is_unreachable() -> None:
    code, _, stderr = await _run_cli(
        "call", "CP1", "Reset", "--api-url", "http://127.0.0.1:9", api_token="x" * 43
    )
    assert code == 1
    assert "cannot reach" in stderr
    assert "Traceback" not in stderr


# --- the operator API token on the command line ---------------------------------------------


@pytest.mark.parametrize(
    ("token", "needle"),
    [
        (None, "no operator API token"),
        ("short", "at least 16 characters"),
        ("wrong-but-long-enough-token", "wrong API token"),
    ],
)
async def test_the_call_command_without_the_right_token_exits_2_and_sends_nothing(
    central_system: RunningCentralSystem, token: str | None, needle: str
) -> None:
    assert central_system.api_url is not None
    async with stock_charge_point(central_system.ws_url, "STOCK1") as cp:
        await wait_until_connected(central_system, "STOCK1")
        code, stdout, stderr = await _run_cli(
            "call", "STOCK1", "ClearCache", "--api-url", central_system.api_url, api_token=token
        )
    assert (code, stdout) == (2, "")
    assert needle in stderr
    assert stderr.count("\n") == 1
    assert "Traceback" not in stderr
    assert cp.received == []


async def test_serve_writes_a_new_token_file_0600_and_call_reads_it_from_there(
    tmp_path: Path,
) -> None:
    token_file = tmp_path / "api-token"
    async with (
        serve_process(tmp_path / "csms.sqlite", "--api-token-file", str(token_file)) as server,
        stock_charge_point(server.ws_url, "STOCK1") as cp,
    ):
        assert server.api_token is None  # kept in the file, not printed
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert len(token_file.read_text().strip()) >= 40
        code, stdout, stderr = await _run_cli(
            "call",
            "STOCK1",
            "Reset",
            '{"type": "Soft"}',
            "--api-url",
            server.api_url,
            "--api-token-file",
            str(token_file),
        )
        assert (code, json.loads(stdout), stderr) == (0, {"status": "Accepted"}, "")
    assert [action for action, _ in cp.received] == ["Reset"]


async def test_serve_uses_the_token_in_an_existing_token_file(tmp_path: Path) -> None:
    token_file = tmp_path / "api-token"
    token_file.write_text("operator-chosen-token-0123456789\n")
    token_file.chmod(0o600)
    async with serve_process(
        tmp_path / "csms.sqlite", "--api-token-file", str(token_file)
    ) as server:
        good, bad = [
            await _run_cli("call", "GHOST", "ClearCache", "--api-url", server.api_url, api_token=t)
            for t in ("operator-chosen-token-0123456789", "another-token-0123456789")
        ]
    assert good[0] == 1
    assert "not connected" in good[2]
    assert bad[0] == 2
    assert "wrong API token" in bad[2]


@pytest.mark.parametrize(
    ("content", "needle"), [("", "at least 16"), ("two words but long enough", "printable")]
)
async def test_serve_with_an_unusable_token_file_exits_2_with_one_line(
    tmp_path: Path, content: str, needle: str
) -> None:
    token_file = tmp_path / "api-token"
    token_file.write_text(content)
    code, stdout, stderr = await _run_cli(
        "serve",
        "--port",
        "0",
        "--db",
        str(tmp_path / "x.sqlite"),
        "--api-token-file",
        str(token_file),
    )
    assert (code, stdout) == (2, "")
    assert needle in stderr
    assert str(token_file) in stderr
    assert stderr.count("\n") == 1


async def test_serve_refuses_an_api_token_file_without_the_api(tmp_path: Path) -> None:
    code, stdout, stderr = await _run_cli(
        "serve", "--no-api", "--db", str(tmp_path / "x.sqlite"), "--api-token-file", "t"
    )
    assert (code, stdout) == (2, "")
    assert "--no-api" in stderr
    assert stderr.count("\n") == 1
    assert not (tmp_path / "x.sqlite").exists()


async def test_serve_without_the_api_prints_no_token(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "central_system", "serve", "--port", "0", "--no-api",
        "--db", str(tmp_path / "csms.sqlite"),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = json.loads(await asyncio.wait_for(process.stdout.readline(), 30))
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 20)
    assert line["api_url"] is None
    assert "api_token" not in line
