"""Runs the third-party central system `ocpp-csms` (PyPI, unmodified) as a process of its own,
on 127.0.0.1, with a line-based JSON control channel: commands on stdin, everything it sees on
stdout. Our test code; the central system is theirs. `tests/ocpp/third_party.py` drives it.

    python tests/ocpp/ocpp_csms_launcher.py [--port 0] [--heartbeat-interval S]
        [--blocked-tag TAG ...]

stdout, one JSON object a line:

- `{"type": "listening", "port": N, "proxy_port": M}` first: ocpp-csms itself, and a
  transparent websocket proxy of ours in front of it (below);
- `{"type": "event", "kind": "BootEvent", "cp": ..., ...}`: every ocpp-csms event, its
  dataclass fields as JSON (datetimes ISO 8601, enums their values);
- `{"type": "callerror", "cp": ..., "frame": ...}`: every CALLERROR ocpp-csms sent, read
  from its own wire logger (a frame of ours that failed its validation, or a handler of
  theirs that raised);
- `{"type": "log", "level": ..., "message": ...}`: every warning of the `ocpp_csms` logger
  (it names the charge point only);
- `{"type": "wire_failure", "message": ...}`: the wire logger's detail of each failure (a
  frame it could not parse, a handler that raised, a CALLERROR it received);
- `{"type": "held", "cp": ..., "id_tag": ...}`: an Authorize is being held (below);
- `{"type": "held_begin", "cp": ..., "transaction_id": ...}`: the reply to a transaction's
  first MeterValues is being held (below);
- `{"type": "reply", "id": n, "ok": true, "result": ...}` or `{..., "ok": false,
  "error": "CsmsCallError", "detail": ...}`: the outcome of command n.

stdin, one JSON object a line, each run as its own task (replies may come out of order):

- `{"id": n, "op": "call", "cp": ID, "method": M, "args": {...}}`: `ChargePoint.async_M(**args)`
  (enum arguments by value: `availability`, `reset_type`, `message`);
- `{"id": n, "op": "state"}`: every charge point's connectors, running transactions and latest
  energy readings;
- `{"id": n, "op": "hold_next_authorize", "timeout_s": S}`: answer the next Authorize (of any
  charge point) only after `release` (or S seconds): a slow authorization backend. A
  simulated charge point waits on that reply, so its virtual time stands still meanwhile;
- `{"id": n, "op": "hold_next_begin", "exclude": [ID, ...], "timeout_s": S}`: through the
  proxy, hand ocpp-csms's reply to the next MeterValues of context Transaction.Begin (of a
  charge point not excluded) to the charge point only after `release` (or S seconds). A
  simulated charge point sends it at the instant its transaction started; run with
  `--max-lag 0`, the simulation's virtual time cannot pass that instant while the reply is
  out, so whatever the operator sends meanwhile finds the transaction running;
- `{"id": n, "op": "release"}`: let go of a held Authorize or MeterValues reply;
- `{"id": n, "op": "stop"}`: disconnect everyone, stop listening, exit 0.

Authorization: with no hook ocpp-csms accepts every id tag, in Authorize and in
StartTransaction (whose reply carries the same IdTagInfo); `--blocked-tag` answers Blocked for
the tags named (an operator's block list), every other tag stays Accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import enum
import json
import logging
import sys
from datetime import datetime
from typing import Any

from ocpp_csms import (
    AuthorizationStatus,
    AvailabilityType,
    CentralSystem,
    ChargePoint,
    ChargePointEvent,
    CsmsError,
    MessageTrigger,
    ResetType,
)
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection
from websockets.asyncio.server import serve as serve_websockets
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

DEFAULT_HOLD_S = 10.0  # a held Authorize or MeterValues is answered after this long at most
SUBPROTOCOL = Subprotocol("ocpp1.6")
ENUM_ARGS = {"availability": AvailabilityType, "reset_type": ResetType, "message": MessageTrigger}


def _json(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


def emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


class WireWatcher(logging.Handler):
    """Reads ocpp-csms's wire logger (every frame, at debug level): reports each CALLERROR it
    sent and remembers the action of the last CALL each charge point sent."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.last_action: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        if not isinstance(args, tuple) or len(args) != 2 or not isinstance(args[1], str):
            emit({"type": "wire_failure", "message": record.getMessage()})
            return
        cp, frame = str(args[0]), args[1]
        if record.msg == "%s: send %s":
            if frame.startswith("[4"):
                emit({"type": "callerror", "cp": cp, "frame": frame})
        elif record.msg == "%s: receive message %s":
            if frame.startswith("[2"):
                try:
                    self.last_action[cp] = str(json.loads(frame)[2])
                except (ValueError, IndexError, TypeError):
                    self.last_action[cp] = ""
        else:
            emit({"type": "wire_failure", "message": record.getMessage()})


class Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        emit({"type": "log", "level": record.levelname, "message": record.getMessage()})


class Launcher:
    def __init__(self, blocked_tags: set[str], wire: WireWatcher) -> None:
        self.blocked_tags = blocked_tags
        self.wire = wire
        self.hold_armed = False
        self.hold_timeout_s = DEFAULT_HOLD_S
        self.released: asyncio.Event | None = None
        self.central_system: CentralSystem | None = None
        self.stopped = asyncio.Event()
        self.begin_armed = False
        self.begin_exclude: set[str] = set()
        self.begin_timeout_s = DEFAULT_HOLD_S
        self.begin_released: asyncio.Event | None = None

    # --- the proxy: chargenet <-> this <-> ocpp-csms, frame for frame --------------------

    async def proxy(self, downstream: ServerConnection, upstream_port: int) -> None:
        """Relay one charge point's connection to ocpp-csms unchanged, at the same path; only
        a reply armed by `hold_next_begin` is delayed (every other frame passes meanwhile)."""
        assert downstream.request is not None
        path = downstream.request.path
        cp = path.rstrip("/").rsplit("/", 1)[-1]
        url = f"ws://127.0.0.1:{upstream_port}{path}"
        holding: dict[str, int | None] = {}  # message id -> transaction id
        async with (
            connect(url, subprotocols=[SUBPROTOCOL], compression=None) as upstream,
            asyncio.TaskGroup() as tasks,
        ):

            async def to_csms() -> None:
                with contextlib.suppress(ConnectionClosed):
                    async for raw in downstream:
                        if self.begin_armed and cp not in self.begin_exclude:
                            self._arm_begin(raw, holding)
                        await upstream.send(raw)
                await upstream.close()

            async def to_charge_point() -> None:
                with contextlib.suppress(ConnectionClosed):
                    async for raw in upstream:
                        frame = json.loads(raw)
                        if frame[0] == 3 and frame[1] in holding:
                            tx = holding.pop(frame[1])
                            tasks.create_task(self._held_reply(downstream, raw, cp, tx))
                            continue
                        await downstream.send(raw)
                await downstream.close()

            tasks.create_task(to_csms())
            tasks.create_task(to_charge_point())

    def _arm_begin(self, raw: str | bytes, holding: dict[str, int | None]) -> None:
        frame = json.loads(raw)
        if frame[0] != 2 or frame[2] != "MeterValues":
            return
        values = frame[3]["meterValue"][0]["sampledValue"]
        if values[0].get("context") != "Transaction.Begin":
            return
        self.begin_armed = False
        holding[frame[1]] = frame[3].get("transactionId")

    async def _held_reply(
        self, downstream: ServerConnection, raw: str | bytes, cp: str, tx: int | None
    ) -> None:
        self.begin_released = released = asyncio.Event()
        emit({"type": "held_begin", "cp": cp, "transaction_id": tx})
        try:
            await asyncio.wait_for(released.wait(), self.begin_timeout_s)
        except TimeoutError:
            emit({"type": "log", "level": "WARNING", "message": "begin hold timed out"})
        self.begin_released = None
        with contextlib.suppress(ConnectionClosed):
            await downstream.send(raw)

    async def authorize(self, charge_point: ChargePoint, id_tag: str) -> AuthorizationStatus:
        # ocpp-csms asks this hook for Authorize and for StartTransaction alike: the wire
        # logger tells which message is being answered
        if self.hold_armed and self.wire.last_action.get(charge_point.id) == "Authorize":
            self.hold_armed = False
            self.released = asyncio.Event()
            emit({"type": "held", "cp": charge_point.id, "id_tag": id_tag})
            try:
                await asyncio.wait_for(self.released.wait(), self.hold_timeout_s)
            except TimeoutError:
                emit({"type": "log", "level": "WARNING", "message": "hold timed out"})
            self.released = None
        if id_tag in self.blocked_tags:
            return AuthorizationStatus.BLOCKED
        return AuthorizationStatus.ACCEPTED

    async def command(self, line: str) -> None:
        request: dict[str, Any] = {}
        try:
            request = json.loads(line)
            result = await self._run(request)
            emit({"type": "reply", "id": request.get("id"), "ok": True, "result": _json(result)})
        except (CsmsError, TimeoutError, KeyError, ValueError, TypeError) as error:
            emit(
                {
                    "type": "reply",
                    "id": request.get("id"),
                    "ok": False,
                    "error": type(error).__name__,
                    "detail": str(error),
                }
            )

    async def _run(self, request: dict[str, Any]) -> Any:
        central_system = self.central_system
        assert central_system is not None
        op = request["op"]
        if op == "call":
            charge_point = central_system.charge_points[request["cp"]]
            args = dict(request.get("args") or {})
            for name, kind in ENUM_ARGS.items():
                if name in args:
                    args[name] = kind(args[name])
            method = getattr(charge_point, "async_" + str(request["method"]))
            return await method(**args)
        if op == "state":
            return {cp_id: _state(cp) for cp_id, cp in central_system.charge_points.items()}
        if op == "hold_next_authorize":
            self.hold_timeout_s = float(request.get("timeout_s", DEFAULT_HOLD_S))
            self.hold_armed = True
            return None
        if op == "hold_next_begin":
            self.begin_timeout_s = float(request.get("timeout_s", DEFAULT_HOLD_S))
            self.begin_exclude = set(request.get("exclude") or ())
            self.begin_armed = True
            return None
        if op == "release":
            self.hold_armed = self.begin_armed = False
            for held in (self.released, self.begin_released):
                if held is not None:
                    held.set()
            return None
        if op == "stop":
            self.stopped.set()
            return None
        raise ValueError(f"unknown op {op!r}")


def _state(charge_point: ChargePoint) -> dict[str, Any]:
    energy = {
        str(c): _json(charge_point.get_meter_reading(c)) for c in charge_point.connectors if c
    }
    return {
        "connected": charge_point.connected,
        "registration_status": _json(charge_point.registration_status),
        "connectors": {str(c): _json(s) for c, s in charge_point.connectors.items()},
        "transactions": [_json(t) for t in charge_point.transactions.values()],
        "energy": energy,
    }


async def serve(args: argparse.Namespace) -> None:
    wire = WireWatcher()
    wire_logger = logging.getLogger("ocpp_csms.wire")
    wire_logger.setLevel(logging.DEBUG)  # asked for by name, as its README says
    wire_logger.addHandler(wire)
    wire_logger.propagate = False
    package_logger = logging.getLogger("ocpp_csms")
    package_logger.setLevel(logging.WARNING)
    package_logger.addHandler(Warnings())
    launcher = Launcher(set(args.blocked_tag), wire)
    central_system = CentralSystem(
        host=args.host,
        port=args.port,
        heartbeat_interval=args.heartbeat_interval,
        call_timeout=args.call_timeout,
        authorize=launcher.authorize,
    )

    def on_event(event: ChargePointEvent) -> None:
        fields = _json(event)
        fields.pop("charge_point_id", None)
        emit({"type": "event", "kind": type(event).__name__, "cp": event.charge_point_id, **fields})

    central_system.add_listener(on_event)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    commands: set[asyncio.Task[None]] = set()
    async with (
        central_system,
        serve_websockets(
            lambda ws: launcher.proxy(ws, central_system.port),
            args.host,
            0,
            subprotocols=[SUBPROTOCOL],
            compression=None,
        ) as proxy,
    ):
        launcher.central_system = central_system
        proxy_port = proxy.sockets[0].getsockname()[1]
        emit({"type": "listening", "port": central_system.port, "proxy_port": proxy_port})
        stop = asyncio.ensure_future(launcher.stopped.wait())
        try:
            while True:
                read = asyncio.ensure_future(reader.readline())
                await asyncio.wait((read, stop), return_when=asyncio.FIRST_COMPLETED)
                if not read.done():
                    read.cancel()
                    break
                line = read.result()
                if not line:  # the test went away
                    break
                task = asyncio.create_task(launcher.command(line.decode()))
                commands.add(task)
                task.add_done_callback(commands.discard)
        finally:
            stop.cancel()
            for task in list(commands):
                if not task.done():
                    task.cancel()
            await asyncio.gather(*commands, return_exceptions=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--heartbeat-interval", type=int, default=300)
    parser.add_argument("--call-timeout", type=float, default=30.0)
    parser.add_argument("--blocked-tag", action="append", default=[])
    asyncio.run(serve(parser.parse_args()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
