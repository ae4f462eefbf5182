"""`python -m central_system serve|call` as real subprocesses."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import sys
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from central_system.server import RunningCentralSystem
from tests.central_system.conftest import (
    now_text,
    raw_client,
    serve_process,
    stock_charge_point,
    wait_until_connected,
)


async def _run_cli(*arguments: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "central_system",
        *arguments,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
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
    assert code == 2 and stdout == ""
    assert stderr.count("\n") == 1 and "tags.csv" in stderr and "Traceback" not in stderr


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
        with pytest.raises(ConnectionClosed):
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
    assert ids == sorted(ids) and len(set(ids)) == len(ids) and ids[0] > 0
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
            "call", "STOCK1", "Reset", '{"type": "Hard"}', "--api-url", central_system.api_url
        )
        piped = await _run_cli(
            "call",
            "STOCK1",
            "UnlockConnector",
            "-",
            "--api-url",
            central_system.api_url,
            stdin=b'{"connectorId": 2}',
        )
    assert (code, json.loads(stdout), stderr) == (0, {"status": "Accepted"}, "")
    assert piped[0] == 0 and json.loads(piped[1]) == {"status": "Unlocked"}
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
            "call", *arguments, "--api-url", central_system.api_url
        )
    assert (got_code, stdout) == (code, "")
    assert needle in stderr and stderr.count("\n") == 1


async def test_the_call_command_exits_1_when_the_api_is_unreachable(tmp_path: Path) -> None:
    code, _, stderr = await _run_cli("call", "CP1", "Reset", "--api-url", "http://127.0.0.1:9")
    assert code == 1 and "cannot reach" in stderr and "Traceback" not in stderr
