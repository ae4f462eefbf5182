"""Resource bounds: the connection cap, handshake timeout, slowloris, memory under big frames."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import resource
from pathlib import Path
from typing import Any

import psutil
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from central_system.limits import DESCRIPTOR_RESERVE, ConnectionGate, connection_cap
from central_system.server import running
from tests.central_system.conftest import (
    OCPP16_SUBPROTOCOL,
    REPLY_TIMEOUT_S,
    make_config,
    raw_client,
)
from tests.central_system.server_process import logging_server

PARTIAL_UPGRADE = b"GET /SLOW HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"


def test_the_gate_admits_up_to_its_cap_then_pushes_out_the_oldest_waiting_connection() -> None:
    gate: ConnectionGate[str] = ConnectionGate(cap=3)
    assert [gate.admit(name).admitted for name in ("a", "b", "c")] == [True, True, True]
    admission = gate.admit("d")
    assert (admission.admitted, admission.evicted) == (True, "a")
    assert len(gate) == 3


def test_the_gate_refuses_a_newcomer_when_every_connection_has_sent_its_request() -> None:
    gate: ConnectionGate[str] = ConnectionGate(cap=2)
    for name in ("a", "b"):
        gate.admit(name)
        gate.request_received(name)
    assert gate.admit("c").admitted is False
    gate.release("a")
    assert gate.admit("c").admitted is True


def test_the_gate_skips_a_waiting_connection_whose_request_just_arrived() -> None:
    gate: ConnectionGate[str] = ConnectionGate(cap=2)
    gate.admit("a")
    gate.admit("b")
    admission = gate.admit("c", evictable=lambda name: name != "a")
    assert (admission.admitted, admission.evicted) == (True, "b")
    assert gate.waiting == 1  # "c"; "a" counts as past its request


def test_the_descriptor_limit_lowers_the_cap_and_leaves_a_reserve() -> None:
    assert connection_cap(20_000, 1_048_576) == 20_000
    assert connection_cap(20_000, 256) == 256 - DESCRIPTOR_RESERVE
    assert connection_cap(20_000, resource.RLIM_INFINITY) == 20_000


async def test_a_connection_over_the_cap_gets_http_503_at_once(tmp_path: Path) -> None:
    async with running(make_config(tmp_path, max_connections=2)) as central:
        async with raw_client(central.ws_url, "CP1") as first, raw_client(central.ws_url, "CP2"):
            await first.boot()
            with pytest.raises(InvalidStatus) as refused:  # noqa: PT012 (a refused handshake)
                async with asyncio.timeout(REPLY_TIMEOUT_S):
                    async with raw_client(central.ws_url, "CP3"):
                        pass
            assert refused.value.response.status_code == 503
            assert (await first.call("Heartbeat", {}))[0] == 3
        # Their places are free again.
        async with raw_client(central.ws_url, "CP3") as third:
            assert (await third.boot())["status"] == "Accepted"


async def _open_partial_upgrade(
    ws_url: str,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, port = ws_url.removeprefix("ws://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(PARTIAL_UPGRADE)
    await writer.drain()
    return reader, writer


async def test_at_the_cap_a_charge_point_pushes_out_the_oldest_unfinished_handshake(
    tmp_path: Path,
) -> None:
    async with running(make_config(tmp_path, max_connections=3)) as central:
        slow = [await _open_partial_upgrade(central.ws_url) for _ in range(3)]
        try:
            async with raw_client(central.ws_url, "CP1") as client:
                assert (await client.boot())["status"] == "Accepted"
            oldest_reader = slow[0][0]
            answer = await asyncio.wait_for(oldest_reader.read(), REPLY_TIMEOUT_S)
            assert answer.startswith(b"HTTP/1.1 503 ")
        finally:
            for _, writer in slow:
                writer.close()


async def test_a_handshake_not_completed_in_time_is_closed(tmp_path: Path) -> None:
    async with running(make_config(tmp_path, handshake_timeout_s=0.5)) as central:
        reader, writer = await _open_partial_upgrade(central.ws_url)
        try:
            # Well before websockets' own default (10 s), whatever the machine's load.
            assert await asyncio.wait_for(reader.read(), 8.0) == b""
        finally:
            writer.close()


async def test_stopping_does_not_wait_for_handshakes_that_never_sent_their_request(
    tmp_path: Path,
) -> None:
    async with contextlib.AsyncExitStack() as stack:
        central = await stack.enter_async_context(running(make_config(tmp_path)))
        reader, writer = await _open_partial_upgrade(central.ws_url)
        try:
            async with raw_client(central.ws_url, "CP1") as client:
                await client.boot()  # the slow one is accepted by now
            async with asyncio.timeout(8.0):  # the handshake timeout is 10 s
                await stack.aclose()
            answer = await asyncio.wait_for(reader.read(), REPLY_TIMEOUT_S)
            assert answer.startswith(b"HTTP/1.1 503 ")
            assert answer.endswith(b"shutting down\n")
        finally:
            writer.close()


async def test_a_frame_beyond_twice_the_frame_limit_closes_the_connection_with_1009(
    tmp_path: Path,
) -> None:
    async with running(make_config(tmp_path, max_frame_bytes=1000)) as central:
        async with raw_client(central.ws_url, "CP1") as client:
            answered = await client.send_raw(json.dumps([2, "m1", "Authorize", {"x": "y" * 1500}]))
            assert answered[:3] == [4, "m1", "FormationViolation"]
            await client.ws.send(json.dumps([2, "m2", "Authorize", {"x": "y" * 2100}]))
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(client.ws.recv(), REPLY_TIMEOUT_S)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1009


# --- Against the real `serve` command ------------------------------------------------------------

DESCRIPTOR_LIMIT = 256
SLOWLORIS_SOCKETS = 300
SLOWLORIS_CONNECTS_EACH = 3


def _low_descriptor_limit() -> None:  # runs in the child, before exec
    resource.setrlimit(resource.RLIMIT_NOFILE, (DESCRIPTOR_LIMIT, DESCRIPTOR_LIMIT))


async def _slowloris_socket(ws_url: str, opened: asyncio.Event, counter: list[int]) -> None:
    """Reconnects (a bounded number of times) whenever the server closes it; drips a header
    line every half second, never ending its request."""
    for _ in range(SLOWLORIS_CONNECTS_EACH):
        try:
            reader, writer = await asyncio.wait_for(_open_partial_upgrade(ws_url), 10)
        except (OSError, TimeoutError):
            await asyncio.sleep(0.2)
            continue
        counter[0] += 1
        if counter[0] == SLOWLORIS_SOCKETS:
            opened.set()
        try:
            while not reader.at_eof():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(reader.read(4096), 0.5)
                writer.write(b"X-Slow: 1\r\n")
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()
        await asyncio.sleep(0.2)


async def test_under_a_slowloris_at_the_descriptor_limit_a_charge_point_is_still_served(
    tmp_path: Path,
) -> None:
    async with logging_server(tmp_path / "csms.sqlite", preexec_fn=_low_descriptor_limit) as server:
        opened = asyncio.Event()
        counter = [0]
        async with asyncio.TaskGroup() as tasks:
            slowloris = [
                tasks.create_task(_slowloris_socket(server.ws_url, opened, counter))
                for _ in range(SLOWLORIS_SOCKETS)
            ]
            try:
                await asyncio.wait_for(opened.wait(), 60)
                async with connect(
                    f"{server.ws_url}/LEGIT1", subprotocols=[OCPP16_SUBPROTOCOL], open_timeout=30
                ) as ws:
                    await ws.send(
                        json.dumps(
                            [
                                2,
                                "b1",
                                "BootNotification",
                                {"chargePointVendor": "V", "chargePointModel": "M"},
                            ]
                        )
                    )
                    reply = json.loads(await asyncio.wait_for(ws.recv(), 30))
                    assert reply[0] == 3
                    assert reply[2]["status"] == "Accepted"
                    await ws.send('[2, "h1", "Heartbeat", {}]')
                    assert json.loads(await asyncio.wait_for(ws.recv(), 30))[0] == 3
            finally:
                for task in slowloris:
                    task.cancel()
        stderr = await server.stop()
    # One warning line per interval and kind, not a traceback per failed accept.
    assert server.stderr_bytes < 10_000, stderr[:2000]
    assert "Traceback" not in stderr, stderr[stderr.find("Traceback") - 1000 :][:3000]
    assert "to make room under the cap of 192 connections" in stderr
    # asyncio alone retries up to `backlog` (4,096) accepts per wake-up, each failing.
    failed_accepts = sum(int(n) for n in re.findall(r"(\d+) accept\(s\) failed", stderr))
    assert failed_accepts < 100, stderr


async def _fill_with_big_frames(ws_url: str, index: int, frame_limit: int) -> None:
    slow_s = 60  # 200 connections at once on a loaded machine
    async with connect(
        f"{ws_url}/BIG{index:03d}", subprotocols=[OCPP16_SUBPROTOCOL], open_timeout=slow_s
    ) as ws:

        async def answer(frame: list[Any]) -> list[Any]:
            await ws.send(json.dumps(frame))
            reply: list[Any] = json.loads(await asyncio.wait_for(ws.recv(), slow_s))
            return reply

        # Just under the limit: parsed, stored, answered.
        data = "d" * (frame_limit - 200)
        reply = await answer([2, "ok", "DataTransfer", {"vendorId": "x", "data": data}])
        assert reply[0] == 3
        # Over the limit, under websockets' max_size: answered unparsed.
        data = "d" * (2 * frame_limit - 200)
        for number in range(3):
            reply = await answer(
                [2, f"big{number}", "DataTransfer", {"vendorId": "x", "data": data}]
            )
            assert reply[:3] == [4, f"big{number}", "FormationViolation"]
        # Just under 1 MiB, websockets' max_size before it was tied to the frame limit (then
        # these were read whole, decoded and answered): now closed unread (1009).
        data = "d" * ((1 << 20) - 100)
        with pytest.raises(ConnectionClosed):
            await answer([2, "huge", "DataTransfer", {"vendorId": "x", "data": data}])


async def test_two_hundred_connections_of_frames_at_the_limit_leave_memory_bounded(
    tmp_path: Path,
) -> None:
    frame_limit = 65536
    async with logging_server(tmp_path / "csms.sqlite") as server:
        async with raw_client(server.ws_url, "WARM") as client:
            await client.boot()
        rss_before = psutil.Process(server.process.pid).memory_info().rss
        async with asyncio.TaskGroup() as tasks:
            for index in range(200):
                tasks.create_task(_fill_with_big_frames(server.ws_url, index, frame_limit))
        rss_after = psutil.Process(server.process.pid).memory_info().rss
        async with raw_client(server.ws_url, "AFTER") as client:
            assert (await client.boot())["status"] == "Accepted"
        await server.stop()
    growth_mib = (rss_after - rss_before) / 2**20
    # Measured: about 60 MiB (before max_size was tied to the frame limit, 1 MiB frames added
    # some 350 MiB more). Bound: 4 x websockets' max_size (2 x the frame limit) per connection.
    bound_mib = 200 * 4 * 2 * frame_limit / 2**20
    assert growth_mib < bound_mib, f"RSS grew by {growth_mib:.0f} MiB"
