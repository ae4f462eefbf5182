"""A real third-party central system for the tests: `ocpp-csms` from PyPI (unmodified), run on
127.0.0.1 as a process of its own by `ocpp_csms_launcher.py`, driven over its stdin/stdout.

    with OcppCsms(heartbeat_interval_s=3600) as csms:
        ... chargenet run SCENARIO --csms {csms.url} ...
        csms.wait_for(lambda e: e["kind"] == "BootEvent", what="a boot")
        status = csms.call("tesla-downtown-01", "change_availability", connector_id=0,
                           availability="Inoperative").result

Every wait is bounded; `close()` stops the process (SIGKILL past a bound). The `ocpp_csms`
fixture at the bottom gives one per test (the conformance catalogue's, for one).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

LAUNCHER = Path(__file__).with_name("ocpp_csms_launcher.py")
START_TIMEOUT_S = 30.0  # importing aiohttp and ocpp on a loaded machine takes seconds
CALL_TIMEOUT_S = 40.0  # longer than ocpp-csms's own 30 s call timeout
STOP_TIMEOUT_S = 15.0

Event = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one command got: its result, or the error ocpp-csms raised
    (CsmsCallError, CsmsConnectionError, CsmsTimeoutError) with its text."""

    ok: bool
    result: Any = None
    error: str = ""
    detail: str = ""

    def __str__(self) -> str:
        return repr(self.result) if self.ok else f"{self.error}: {self.detail}"


class Pending:
    """A command on its way; `wait()` gives its outcome."""

    def __init__(self, csms: OcppCsms, command_id: int, what: str) -> None:
        self._csms = csms
        self.id = command_id
        self.what = what

    def wait(self, timeout_s: float = CALL_TIMEOUT_S) -> Outcome:
        return self._csms._reply(self.id, timeout_s, self.what)


class OcppCsms:
    """ocpp-csms in a child process, its events and CALLERRORs collected as they come."""

    def __init__(
        self,
        *,
        heartbeat_interval_s: int = 300,
        blocked_tags: tuple[str, ...] = (),
        call_timeout_s: float = 30.0,
        stderr: Path | None = None,
    ) -> None:
        command = [
            sys.executable,
            str(LAUNCHER),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--heartbeat-interval",
            str(heartbeat_interval_s),
            "--call-timeout",
            str(call_timeout_s),
        ]
        for tag in blocked_tags:
            command += ["--blocked-tag", tag]
        self._stderr = open(stderr, "w") if stderr is not None else None  # noqa: SIM115
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr if self._stderr is not None else subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        self._lock = threading.Condition()
        self._write_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._replies: dict[int, Outcome] = {}
        self.events: list[Event] = []
        """Every ocpp-csms event, in order (`kind`, `cp` and the event's fields)."""
        self.callerrors: list[Event] = []
        """Every CALLERROR ocpp-csms sent (`cp`, `frame`)."""
        self.warnings: list[str] = []
        """Every warning of the `ocpp_csms` logger."""
        self.wire_failures: list[str] = []
        """The wire logger's detail of every failure: a frame ocpp-csms could not parse, a
        handler of its that raised, a CALLERROR it received."""
        self.held: list[Event] = []
        """Every Authorize held by `hold_next_authorize` (`cp`, `id_tag`)."""
        self.held_begins: list[Event] = []
        """Every MeterValues reply held by `hold_next_begin` (`cp`, `transaction_id`)."""
        self.port = 0
        self.proxy_port = 0
        self._eof = False
        self._reader = threading.Thread(target=self._read, name="ocpp-csms-reader", daemon=True)
        self._reader.start()
        self._wait(lambda: self.port > 0, START_TIMEOUT_S, "ocpp-csms listening")

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def proxy_url(self) -> str:
        """ocpp-csms through the launcher's transparent proxy (needed by `hold_next_begin`)."""
        return f"ws://127.0.0.1:{self.proxy_port}"

    # --- the channel --------------------------------------------------------------------

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            message = json.loads(line)
            kind = message.pop("type")
            with self._lock:
                if kind == "event":
                    self.events.append(message)
                elif kind == "reply":
                    self._replies[int(message["id"])] = Outcome(
                        bool(message["ok"]),
                        message.get("result"),
                        str(message.get("error", "")),
                        str(message.get("detail", "")),
                    )
                elif kind == "callerror":
                    self.callerrors.append(message)
                elif kind == "log":
                    self.warnings.append(f"{message['level']}: {message['message']}")
                elif kind == "wire_failure":
                    self.wire_failures.append(str(message["message"]))
                elif kind == "held":
                    self.held.append(message)
                elif kind == "held_begin":
                    self.held_begins.append(message)
                elif kind == "listening":
                    self.port = int(message["port"])
                    self.proxy_port = int(message["proxy_port"])
                self._lock.notify_all()
        with self._lock:
            self._eof = True
            self._lock.notify_all()

    def wait_until(self, ready: Callable[[], bool], timeout_s: float, what: str) -> None:
        """Until `ready()` holds (checked whenever something arrives), at most `timeout_s`."""
        self._wait(ready, timeout_s, what)

    def _wait(self, ready: Callable[[], bool], timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while not ready():
                left = deadline - time.monotonic()
                if self._eof:
                    raise AssertionError(f"ocpp-csms exited while waiting for {what}")
                if left <= 0:
                    raise AssertionError(f"no {what} within {timeout_s:g} s")
                self._lock.wait(left)

    def send(self, op: str, **fields: Any) -> Pending:
        command_id = next(self._ids)
        line = json.dumps({"id": command_id, "op": op, **fields}) + "\n"
        assert self._process.stdin is not None
        with self._write_lock:
            self._process.stdin.write(line)
            self._process.stdin.flush()
        return Pending(self, command_id, f"the reply to {op} {fields}")

    def _reply(self, command_id: int, timeout_s: float, what: str) -> Outcome:
        self._wait(lambda: command_id in self._replies, timeout_s, what)
        with self._lock:
            return self._replies.pop(command_id)

    # --- what a test does -----------------------------------------------------------------

    def call_nowait(self, cp: str, method: str, **args: Any) -> Pending:
        """Send `ChargePoint.async_<method>(**args)` of charge point `cp`; enum arguments
        (availability, reset_type, message) by their OCPP value."""
        return self.send("call", cp=cp, method=method, args=args)

    def call(self, cp: str, method: str, **args: Any) -> Outcome:
        return self.call_nowait(cp, method, **args).wait()

    def state(self) -> dict[str, Any]:
        """Every charge point's connectors, running transactions and latest energy reading,
        as ocpp-csms holds them now."""
        outcome = self.send("state").wait()
        assert outcome.ok, outcome
        state: dict[str, Any] = outcome.result
        return state

    def hold_next_authorize(self, timeout_s: float = 10.0) -> None:
        """Answer the next Authorize only after `release()` (or `timeout_s`)."""
        assert self.send("hold_next_authorize", timeout_s=timeout_s).wait().ok

    def hold_next_begin(self, exclude: set[str], timeout_s: float = 10.0) -> None:
        """Through the proxy: hand ocpp-csms's reply to the next Transaction.Begin MeterValues
        (of a charge point not in `exclude`) to the charge point only after `release()` (or
        `timeout_s`)."""
        outcome = self.send("hold_next_begin", exclude=sorted(exclude), timeout_s=timeout_s)
        assert outcome.wait().ok

    def release(self) -> None:
        assert self.send("release").wait().ok

    def wait_for(
        self,
        match: Callable[[Event], bool],
        *,
        after: int = 0,
        timeout_s: float = 30.0,
        what: str = "the event",
    ) -> tuple[int, Event]:
        """The first event from index `after` on that matches, and its index."""
        found: list[tuple[int, Event]] = []

        def ready() -> bool:
            for i in range(after, len(self.events)):
                if match(self.events[i]):
                    found.append((i, self.events[i]))
                    return True
            return False

        self._wait(ready, timeout_s, what)
        return found[0]

    def wait_held(self, count: int, timeout_s: float = 30.0) -> Event:
        """The `count`-th held Authorize."""
        self._wait(lambda: len(self.held) >= count, timeout_s, f"held Authorize #{count}")
        with self._lock:
            return self.held[count - 1]

    def snapshot(self) -> list[Event]:
        with self._lock:
            return list(self.events)

    def close(self) -> None:
        with contextlib.suppress(BrokenPipeError, OSError, AssertionError):
            self.send("stop").wait(STOP_TIMEOUT_S)
        with contextlib.suppress(BrokenPipeError, OSError):
            assert self._process.stdin is not None
            self._process.stdin.close()
        try:
            self._process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=STOP_TIMEOUT_S)
        self._reader.join(timeout=STOP_TIMEOUT_S)
        if self._process.stdout is not None:
            self._process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()

    def __enter__(self) -> OcppCsms:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


@pytest.fixture(name="ocpp_csms")
def ocpp_csms_fixture(tmp_path: Path) -> Iterator[OcppCsms]:
    """ocpp-csms on 127.0.0.1 with its defaults; its stderr in tmp_path/ocpp-csms.err. Use it
    with `from tests.ocpp.third_party import ocpp_csms_fixture  # noqa: F401`."""
    with OcppCsms(stderr=tmp_path / "ocpp-csms.err") as csms:
        yield csms
