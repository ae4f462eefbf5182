"""What the load generator's tests share: a small scripted OCPP 1.6J central system on 127.0.0.1
whose answers can be delayed, stalled, withheld or cut off, and short load options.

The scripted central system reads every frame with ocppj's `parse_frame`, validates the request
and answers each CALL with a valid CALLRESULT of its action, one connection's CALLs in order
(the charge point sends one at a time). `delay_s(n)` gives the wait before the n-th answer
(counted over all connections, from 1); `None` from it withholds that answer for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from ocpp.messages import Call
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from ocppj import OCPP16, parse_frame, validate_request, validate_response
from simulator.load import LoadOptions, MessagePlan, Ramp

NOW = "2026-12-01T18:00:00Z"
_REPLIES: dict[str, dict[str, Any]] = {
    "BootNotification": {"status": "Accepted", "currentTime": NOW, "interval": 60},
    "Heartbeat": {"currentTime": NOW},
    "StatusNotification": {},
    "Authorize": {"idTagInfo": {"status": "Accepted"}},
    "StartTransaction": {"transactionId": 1, "idTagInfo": {"status": "Accepted"}},
    "MeterValues": {},
    "StopTransaction": {},
}


@dataclass
class ScriptedCentralSystem:
    """Counts what it saw; `url` once serving."""

    delay_s: Callable[[int], float | None] = lambda n: 0.0
    close_after: int | None = None
    """Close each connection (code 1011) on receiving its n-th CALL, unanswered."""
    answer: Callable[[int, Call], str | None] = lambda n, call: None
    """The raw frame to answer the n-th CALL with instead of its CALLRESULT (None: as usual)."""
    probes: tuple[str, ...] = ()
    """Raw frames sent to each charge point before the answer to its boot."""
    url: str = ""
    received: int = 0
    replies: list[Any] = field(default_factory=list)
    """Frames the charge points sent that were not CALLs (their answers to the probes)."""
    answers: int = 0
    connections: int = 0
    actions: dict[str, int] = field(default_factory=dict)
    holds_s: list[float] = field(default_factory=list)
    """Per answer, how long it was actually held (the delay plus this machine's lateness)."""
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def handler(self, ws: ServerConnection) -> None:
        self.connections += 1
        loop = asyncio.get_running_loop()
        with contextlib.suppress(ConnectionClosed):
            for n_on_connection in itertools.count(1):
                raw = await ws.recv()
                received_at = loop.time()
                frame = parse_frame(OCPP16, raw)
                if not isinstance(frame, Call):
                    self.replies.append(frame)
                    continue
                validate_request(OCPP16, frame.action, frame.payload)
                self.received += 1
                self.actions[frame.action] = self.actions.get(frame.action, 0) + 1
                if self.close_after is not None and n_on_connection >= self.close_after:
                    await ws.close(1011, "test: going away")
                    return
                n = next(self._counter)
                delay_s = self.delay_s(n)
                if delay_s is None:
                    continue  # withheld
                if delay_s > 0:
                    await asyncio.sleep(delay_s)
                if frame.action == "BootNotification":
                    for probe in self.probes:
                        await ws.send(probe)
                payload = _REPLIES[frame.action]
                validate_response(OCPP16, frame.action, payload)
                reply = self.answer(n, frame) or frame.create_call_result(payload).to_json()
                self.holds_s.append(loop.time() - received_at)
                await ws.send(reply)
                self.answers += 1


@contextlib.asynccontextmanager
async def scripted_central_system(**behaviour: Any) -> AsyncIterator[ScriptedCentralSystem]:
    """Serve a `ScriptedCentralSystem(**behaviour)` on a free port of 127.0.0.1."""
    system = ScriptedCentralSystem(**behaviour)
    async with serve(system.handler, "127.0.0.1", 0, subprotocols=[OCPP16]) as server:  # type: ignore[list-item]
        port = server.sockets[0].getsockname()[1]
        system.url = f"ws://127.0.0.1:{port}/ocpp"
        yield system


def options(url: str, ramp: str, **settings: Any) -> LoadOptions:
    """Short-run options: heartbeats every 0.2 s, windows of 1 s, room for a loaded machine."""
    plan = settings.pop("plan", MessagePlan(heartbeat_interval_s=0.2))
    values: dict[str, Any] = {
        "window_s": 1.0,
        "timeout_s": 10.0,
        "connect_timeout_s": 30.0,
        "max_duration_s": 90.0,
    }
    values.update(settings)
    return LoadOptions(url=url, ramp=Ramp.parse(ramp), plan=plan, **values)
