"""Hostile central systems for the failure-mode tests, and `chargenet run` in a subprocess.

Each backend is a script for `tests.ocpp.helpers.ScriptedCsms` (a plain websockets server on
127.0.0.1 port 0 speaking `ocpp1.6`): it accepts the websocket and then misbehaves in one way.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from tests.ocpp.helpers import (
    BOOT_ACCEPTED,
    DROP,
    SILENT,
    ScriptedCsms,
    answer_everything,
)

RUN_TIMEOUT_S = 90.0  # a run that has not ended by then never would: the test fails


async def never_answers(number: int, frame: list[Any]) -> Any:
    return SILENT


async def refuses_the_boot(number: int, frame: list[Any]) -> Any:
    return ("error", "InternalError")


async def answers_the_boot_with_garbage(number: int, frame: list[Any]) -> Any:
    if frame[2] == "BootNotification":
        return {"status": "Maybe", "interval": "soon"}  # fails BootNotification.conf
    return await answer_everything(number, frame)


async def silent_after_the_boot(number: int, frame: list[Any]) -> Any:
    return BOOT_ACCEPTED if frame[2] == "BootNotification" else SILENT


async def refuses_everything_after_the_boot(number: int, frame: list[Any]) -> Any:
    return BOOT_ACCEPTED if frame[2] == "BootNotification" else ("error", "InternalError")


async def closes_before_answering(number: int, frame: list[Any]) -> Any:
    return DROP


@dataclass
class FlakyHandshakes:
    """The first `failing` websocket handshakes stall for `stall_s` (a backend still starting
    up), or are answered with HTTP `status`; later ones are served by `answer_everything`."""

    failing: int
    stall_s: float = 0.0
    status: int | None = None
    url: str = ""
    handshakes: int = 0

    async def process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        self.handshakes += 1
        if self.handshakes > self.failing:
            return None
        if self.status is not None:
            return ws.respond(self.status, "not now\n")
        await asyncio.sleep(self.stall_s)
        return None


@contextlib.asynccontextmanager
async def flaky_handshakes(
    failing: int, *, stall_s: float = 0.0, status: int | None = None
) -> AsyncIterator[FlakyHandshakes]:
    backend = FlakyHandshakes(failing, stall_s, status)
    csms = ScriptedCsms(answer_everything)
    async with serve(
        csms._serve,
        "127.0.0.1",
        0,
        subprotocols=["ocpp1.6"],  # type: ignore[list-item]
        process_request=backend.process_request,
    ) as server:
        backend.url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        yield backend


@contextlib.asynccontextmanager
async def refusing_handshakes(status: int | None) -> AsyncIterator[str]:
    """A websocket server that answers every handshake with HTTP `status`, or (None) accepts
    it without the ocpp1.6 subprotocol; yields its URL."""

    async def reject(ws: ServerConnection, request: Request) -> Response | None:
        return None if status is None else ws.respond(status, "no\n")

    async def handler(ws: ServerConnection) -> None:
        await ws.wait_closed()

    async with serve(handler, "127.0.0.1", 0, process_request=reject) as server:
        yield f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}"


@dataclass(frozen=True, slots=True)
class Finished:
    code: int
    stdout: str
    stderr: str


async def chargenet_run(scenario: Path, out: Path, *args: str) -> Finished:
    """`python -m simulator run SCENARIO --out OUT --quiet ARGS` as a user would start it,
    while this event loop keeps serving the test's backend; killed after RUN_TIMEOUT_S."""
    root = Path(__file__).resolve().parents[2]
    path = os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": path}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "simulator", "run", str(scenario), "--out", str(out), "--quiet",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stderr is not None
    reading = asyncio.gather(process.stdout.read(), process.stderr.read())
    try:
        async with asyncio.timeout(RUN_TIMEOUT_S):
            await process.wait()
    except TimeoutError:
        process.kill()
        await process.wait()
        _, stderr = await reading
        raise AssertionError(
            f"chargenet run did not end within {RUN_TIMEOUT_S:g} s; stderr:\n"
            + stderr.decode(errors="replace")[-2000:]
        ) from None
    stdout, stderr = await reading
    assert process.returncode is not None
    return Finished(process.returncode, stdout.decode(), stderr.decode())
