"""The built-in central system as a child process, for one run (or one test).

It is started as `python -m central_system serve --port 0 ...` (the simulator never imports
it: the two share only the wire) and says where it listens in one JSON line on stdout. Every
id tag is accepted, as the fast engine does, so the wire cannot change the physics.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import signal
import sys
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO, Final

from simulator.ocpp.transport import BackendError

__all__ = ["PASSWORD_ENVIRONMENT_VARIABLE", "START_TIMEOUT_S", "STOP_TIMEOUT_S", "BuiltinCsms"]

START_TIMEOUT_S: Final = 30.0
STOP_TIMEOUT_S: Final = 10.0
PR_SET_PDEATHSIG: Final = 1
#: The central system reads its shared basic auth password from here (see its `serve --help`).
PASSWORD_ENVIRONMENT_VARIABLE: Final = "CHARGENET_CSMS_PASSWORD"


def _die_with_parent() -> None:
    # Linux: the central system must not outlive a simulator that was killed mid-run
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class BuiltinCsms:
    """`async with BuiltinCsms(db=...) as csms:` ... `csms.ws_url`, `csms.api_url`.

    Operator API requests carry `Authorization: Bearer {csms.api_token}` (`api_headers`)."""

    def __init__(
        self,
        *,
        db: Path | None = None,
        port: int = 0,
        password: str | None = None,
        heartbeat_interval_s: int | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if db is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="chargenet-csms-")
            db = Path(self._tmp.name) / "csms.sqlite"
        self.db = db
        self.port = port
        self.password = password
        self.heartbeat_interval_s = heartbeat_interval_s
        self.extra_args = extra_args
        self.ws_url = ""
        self.api_url: str | None = None
        #: The operator API's token, as the server printed it (new at every start).
        self.api_token: str | None = None
        self.process: asyncio.subprocess.Process | None = None
        self._stderr: IO[bytes] | None = None

    def _argv(self) -> list[str]:
        argv = [
            sys.executable, "-m", "central_system", "serve",
            "--host", "127.0.0.1", "--port", str(self.port), "--api-port", "0",
            "--db", os.fspath(self.db), "--accept-unknown-tags",
        ]  # fmt: skip
        if self.heartbeat_interval_s is not None:
            argv += ["--heartbeat-interval-s", str(self.heartbeat_interval_s)]
        return argv + list(self.extra_args)

    def _environment(self) -> dict[str, str]:
        # The password goes through the environment (readable by this user only), never argv
        # (in everyone's process list); an inherited one must not leak into a run without.
        environment = {k: v for k, v in os.environ.items() if k != PASSWORD_ENVIRONMENT_VARIABLE}
        if self.password is not None:
            environment[PASSWORD_ENVIRONMENT_VARIABLE] = self.password
        return environment

    async def start(self) -> None:
        """Start the process and wait for its URLs (raises BackendError if it fails)."""
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self.process = await asyncio.create_subprocess_exec(
            *self._argv(),
            env=self._environment(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._stderr,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        assert self.process.stdout is not None
        try:
            async with asyncio.timeout(START_TIMEOUT_S):
                line = await self.process.stdout.readline()
        except TimeoutError:
            line = b""
        try:
            urls = json.loads(line)
            self.ws_url = urls["ws_url"]
            self.api_url = urls.get("api_url")
            self.api_token = urls.get("api_token")
        except (ValueError, KeyError, TypeError):
            await self._kill()
            raise BackendError(
                f"the built-in central system did not start: {self._why()}"
            ) from None
        if self.port == 0:
            self.port = int(self.ws_url.rsplit(":", 1)[1])

    @property
    def api_headers(self) -> dict[str, str]:
        """The headers an operator API request needs."""
        return {} if self.api_token is None else {"Authorization": f"Bearer {self.api_token}"}

    def _why(self) -> str:
        if self._stderr is None:
            return "no output"
        self._stderr.seek(0)
        lines = [x for x in self._stderr.read().decode("utf-8", "replace").splitlines() if x]
        return lines[-1] if lines else "no output"

    async def _kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    async def kill(self) -> None:
        """SIGKILL: what a crash looks like to the charge points and the store."""
        await self._kill()

    async def stop(self) -> None:
        """SIGTERM and wait (the server closes its connections and the store)."""
        process = self.process
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(STOP_TIMEOUT_S):
                    await process.wait()
            except TimeoutError:
                await self._kill()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    async def restart(self) -> None:
        """Start again on the same port and store (after `kill()` or `stop()`)."""
        await self.stop()
        await self.start()

    async def __aenter__(self) -> BuiltinCsms:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                self._tmp.cleanup()
