"""The built-in central system as a child process, for one run (or one test).

It is started as `python -m central_system serve --port 0 ...` (the simulator never imports
it: the two share only the wire) and says where it listens in one JSON line on stdout. Every
id tag is accepted, as the fast engine does, so the wire cannot change the physics. The sites'
grid limits reach it in a file (`write_grid_sites`, its `--grid-sites`): it applies their
policy to the sites' reports and sends the shares as TxProfiles (docs/ocpp.md).

With `tls` (a certificate chain and its key, PEM files) it serves wss:// (security profile
2), and with a client CA besides it asks every charge point for a certificate that CA issued
(profile 3).

Its start-up (an interpreter, its imports, the schemas compiled) takes about a second of
CPU: `started_early` lets a command spawn it before building its scenario, and the next
`BuiltinCsms` with the same settings adopts that process instead of spawning another.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Final

from simulator.model.world import World
from simulator.ocpp.transport import BackendError

__all__ = [
    "PASSWORD_ENVIRONMENT_VARIABLE",
    "START_TIMEOUT_S",
    "STOP_TIMEOUT_S",
    "BuiltinCsms",
    "CsmsTls",
    "started_early",
    "stopped_late",
    "write_grid_sites",
]

START_TIMEOUT_S: Final = 30.0
STOP_TIMEOUT_S: Final = 10.0
PR_SET_PDEATHSIG: Final = 1
#: The central system reads its shared basic auth password from here (see its `serve --help`).
PASSWORD_ENVIRONMENT_VARIABLE: Final = "CHARGENET_CSMS_PASSWORD"


def _die_with_parent() -> None:
    # Linux: the central system must not outlive a simulator that was killed mid-run
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass(slots=True)
class _Child:
    """One central system process and the thread reading its ready line (a blocking read in
    a thread, so that the process can be spawned before any event loop exists)."""

    process: subprocess.Popen[bytes]
    stderr: IO[bytes]
    tmp: tempfile.TemporaryDirectory[str] | None = None
    line: list[bytes] = field(default_factory=list)
    reader: threading.Thread | None = None

    @classmethod
    def spawn(cls, argv: list[str], environment: dict[str, str]) -> _Child:
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        process = subprocess.Popen(
            argv,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        child = cls(process, stderr)
        assert process.stdout is not None
        stdout = process.stdout
        child.reader = threading.Thread(
            target=lambda: child.line.append(stdout.readline()), daemon=True
        )
        child.reader.start()
        return child

    async def ready_line(self, timeout_s: float) -> bytes:
        assert self.reader is not None
        await asyncio.to_thread(self.reader.join, timeout_s)
        return self.line[0] if self.line else b""

    def why(self) -> str:
        self.stderr.seek(0)
        lines = [x for x in self.stderr.read().decode("utf-8", "replace").splitlines() if x]
        return lines[-1] if lines else "no output"

    async def wait(self, timeout_s: float | None = None) -> None:
        await asyncio.to_thread(self.process.wait, timeout_s)

    def kill_now(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def close(self) -> None:
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.stderr.close()


@dataclass(frozen=True, slots=True)
class _Settings:
    db: Path | None
    password: str | None
    port: int
    heartbeat_interval_s: int | None
    extra_args: tuple[str, ...]
    tls: CsmsTls | None = None
    grid_sites: Path | None = None


@dataclass(frozen=True, slots=True)
class CsmsTls:
    """The certificate the built-in central system serves wss:// with (security profile 2),
    and the CA whose client certificates it requires (profile 3; None: none asked)."""

    cert_file: Path
    key_file: Path
    client_ca_file: Path | None = None

    def args(self) -> list[str]:
        out = ["--tls-cert", os.fspath(self.cert_file), "--tls-key", os.fspath(self.key_file)]
        if self.client_ca_file is not None:
            out += ["--client-ca", os.fspath(self.client_ca_file)]
        return out


def write_grid_sites(world: World, path: Path) -> Path:
    """Write the world's sites with a grid limit (id, policy, schedule) for `--grid-sites`."""
    sites = [
        {
            "id": site.id,
            "policy": site.grid.policy,
            "schedule": [{"fromS": from_s, "kw": kw} for from_s, kw in site.grid.periods],
        }
        for site in world.sites
        if site.grid is not None
    ]
    path.write_text(json.dumps({"sites": sites}, indent=1), encoding="utf-8")
    return path


_early: tuple[_Settings, _Child] | None = None


@contextlib.contextmanager
def started_early(
    *, db: Path | None = None, password: str | None = None, tls: CsmsTls | None = None
) -> Iterator[None]:
    """Spawn the built-in central system now (with no operator API: a run needs none), for the
    first `BuiltinCsms(db=db, password=password, tls=tls)` started inside the block to adopt;
    killed on leaving the block if nothing adopted it (the command failed before its run)."""
    global _early
    settings = _Settings(db, password, 0, None, (), tls)
    child = BuiltinCsms(db=db, password=password, operator_api=False, tls=tls).spawn_detached()
    _early = (settings, child)
    try:
        yield
    finally:
        left, _early = _early, None
        if left is not None:
            left[1].kill_now()
            left[1].close()
            if left[1].tmp is not None:
                with contextlib.suppress(OSError):
                    left[1].tmp.cleanup()
            if db is not None:  # the store it began: a later run must not find it
                for suffix in ("", "-wal", "-shm", "-journal"):
                    with contextlib.suppress(OSError):
                        Path(f"{db}{suffix}").unlink()


_late: list[_Child] | None = None


@contextlib.contextmanager
def stopped_late() -> Iterator[None]:
    """Inside the block, leaving `async with BuiltinCsms()` sends SIGTERM and returns (a
    command writes its reports while the central system closes its store); leaving the block
    waits for every exit (killed after STOP_TIMEOUT_S) and removes their temporary stores."""
    global _late
    stopping: list[_Child] = []
    _late = stopping
    try:
        yield
    finally:
        _late = None
        for child in stopping:
            try:
                child.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                child.kill_now()
            child.close()
            if child.tmp is not None:
                with contextlib.suppress(OSError):
                    child.tmp.cleanup()


def _adopt(settings: _Settings) -> _Child | None:
    global _early
    if _early is None or _early[0] != settings:
        return None
    child, _early = _early[1], None
    return child


class BuiltinCsms:
    """`async with BuiltinCsms(db=...) as csms:` ... `csms.ws_url`, `csms.api_url`.

    Operator API requests carry `Authorization: Bearer {csms.api_token}` (`api_headers`);
    `operator_api=False` starts none (`api_url` is then None), which starts faster."""

    def __init__(
        self,
        *,
        db: Path | None = None,
        port: int = 0,
        password: str | None = None,
        heartbeat_interval_s: int | None = None,
        extra_args: tuple[str, ...] = (),
        operator_api: bool = True,
        tls: CsmsTls | None = None,
        grid_sites: Path | None = None,
    ) -> None:
        """`grid_sites`: the sites whose grid limits it shares out (`serve --grid-sites`)."""
        self._settings = _Settings(
            db, password, port, heartbeat_interval_s, extra_args, tls, grid_sites
        )
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if db is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="chargenet-csms-")
            db = Path(self._tmp.name) / "csms.sqlite"
        self.db = db
        self.port = port
        self.password = password
        self.heartbeat_interval_s = heartbeat_interval_s
        self.extra_args = extra_args
        self.operator_api = operator_api
        self.tls = tls
        self.grid_sites = grid_sites
        self.ws_url = ""
        self.api_url: str | None = None
        #: The operator API's token, as the server printed it (new at every start).
        self.api_token: str | None = None
        self._child: _Child | None = None

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return None if self._child is None else self._child.process

    def spawn_detached(self) -> _Child:
        """Spawn the process now, owned (with its temporary store) by the caller."""
        child = _Child.spawn(self._argv(), self._environment())
        child.tmp, self._tmp = self._tmp, None
        return child

    def _argv(self) -> list[str]:
        api = ["--api-port", "0"] if self.operator_api else ["--no-api"]
        argv = [
            sys.executable, "-m", "central_system", "serve",
            "--host", "127.0.0.1", "--port", str(self.port), *api,
            "--db", os.fspath(self.db), "--accept-unknown-tags",
        ]  # fmt: skip
        if self.heartbeat_interval_s is not None:
            argv += ["--heartbeat-interval-s", str(self.heartbeat_interval_s)]
        if self.tls is not None:
            argv += self.tls.args()
        if self.grid_sites is not None:
            argv += ["--grid-sites", os.fspath(self.grid_sites)]
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
        child = _adopt(self._settings) if self.port == 0 else None
        if child is not None:
            self.operator_api = False
            if child.tmp is not None:  # the early process's store replaces this one's
                if self._tmp is not None:
                    with contextlib.suppress(OSError):
                        self._tmp.cleanup()
                self._tmp, child.tmp = child.tmp, None
                self.db = Path(self._tmp.name) / "csms.sqlite"
        else:
            child = _Child.spawn(self._argv(), self._environment())
        self._child = child
        line = await child.ready_line(START_TIMEOUT_S)
        try:
            urls = json.loads(line)
            self.ws_url = urls["ws_url"]
            self.api_url = urls.get("api_url")
            self.api_token = urls.get("api_token")
        except (ValueError, KeyError, TypeError):
            await self._kill()
            why = child.why()
            child.close()
            self._child = None
            raise BackendError(f"the built-in central system did not start: {why}") from None
        if self.port == 0:
            self.port = int(self.ws_url.rsplit(":", 1)[1])

    @property
    def api_headers(self) -> dict[str, str]:
        """The headers an operator API request needs."""
        return {} if self.api_token is None else {"Authorization": f"Bearer {self.api_token}"}

    async def _kill(self) -> None:
        child = self._child
        if child is not None and child.process.poll() is None:
            child.process.kill()
            await child.wait()

    async def kill(self) -> None:
        """SIGKILL: what a crash looks like to the charge points and the store."""
        await self._kill()

    async def stop(self) -> None:
        """SIGTERM and wait (the server closes its connections and the store)."""
        child = self._child
        if child is None:
            return
        if child.process.poll() is None:
            child.process.send_signal(signal.SIGTERM)
            try:
                await child.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                await self._kill()
        child.close()
        self._child = None

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
        child = self._child
        if _late is not None and child is not None and child.process.poll() is None:
            child.process.send_signal(signal.SIGTERM)  # waited for on leaving `stopped_late`
            child.tmp, self._tmp, self._child = self._tmp, None, None
            _late.append(child)
            return
        await self.stop()
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                self._tmp.cleanup()
