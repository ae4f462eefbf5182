"""`python -m central_system serve` as a subprocess whose stderr is read as it comes.

Unlike conftest's `serve_process`, stderr is drained all along (a flood of log lines cannot
block the server on a full pipe) and counted, and the child may be given resource limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

#: Read at most this much of a flooded stderr (the rest is counted, not kept).
_KEEP_BYTES = 1 << 20


@dataclass
class LoggingServer:
    process: asyncio.subprocess.Process
    ws_url: str
    stderr: bytearray = field(default_factory=bytearray)
    stderr_bytes: int = 0
    draining: asyncio.Task[None] | None = None

    async def stop(self) -> str:
        """SIGTERM, wait for the exit (and the last log lines); return stderr as text."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self.process.wait(), 30)
        if self.draining is not None:
            await asyncio.wait_for(self.draining, 30)
        return self.stderr.decode(errors="replace")


async def _drain(stream: asyncio.StreamReader, server: LoggingServer) -> None:
    while chunk := await stream.read(65536):
        server.stderr_bytes += len(chunk)
        if len(server.stderr) < _KEEP_BYTES:
            server.stderr += chunk


@contextlib.asynccontextmanager
async def logging_server(
    db_path: Path, *arguments: str, preexec_fn: Callable[[], None] | None = None
) -> AsyncIterator[LoggingServer]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "central_system",
        "serve",
        "--port",
        "0",
        "--no-api",
        "--db",
        str(db_path),
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=preexec_fn,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    server = LoggingServer(process, ws_url="")
    async with asyncio.TaskGroup() as tasks:
        draining = server.draining = tasks.create_task(_drain(process.stderr, server))
        try:
            line = await asyncio.wait_for(process.stdout.readline(), 90)  # a loaded machine
            if not line:
                await process.wait()
                await draining
                raise AssertionError(f"server did not start: {server.stderr.decode()}")
            server.ws_url = json.loads(line)["ws_url"]
            yield server
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGKILL)
            await process.wait()
