"""A lean OCPP 1.6J answering machine for `benchmarks/load.py`, one process per core it gets.

    python benchmarks/lean_server.py --port P [--host 127.0.0.1]

The load benchmark measures the *generator*; on a 2-core machine the server shares its cores,
so it must cost as little per message as a server can: an asyncio Protocol (no websockets
library, no task per connection) that completes the RFC 6455 handshake, unmasks each text
frame, takes the unique id and the action out of `[2,"<id>","<Action>",{...}]` without a JSON
parse, and writes a pre-built CALLRESULT of that action (valid for OCPP 1.6J, so the generator
validates it as it validates every reply). Unknown actions get a pre-built NotImplemented
CALLERROR. Ping gets pong, close gets close. Several processes share one port (SO_REUSEPORT:
the kernel spreads the connections), so each holds its own share of the open files.

It prints `ready <port>` once listening and serves until stdin closes (its parent's end), so
it cannot outlive the benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import resource
import socket
import sys
from typing import Final

from websockets.speedups import apply_mask  # C: the XOR of the client's mask

_GUID: Final = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_NOW: Final = b'"2026-12-01T18:00:00Z"'
_ACCEPTED: Final = b'{"status":"Accepted"}'
REPLIES: Final[dict[bytes, bytes]] = {
    b"BootNotification": b'{"status":"Accepted","currentTime":' + _NOW + b',"interval":60}',
    b"Heartbeat": b'{"currentTime":' + _NOW + b"}",
    b"StatusNotification": b"{}",
    b"Authorize": b'{"idTagInfo":' + _ACCEPTED + b"}",
    b"StartTransaction": b'{"transactionId":1,"idTagInfo":' + _ACCEPTED + b"}",
    b"MeterValues": b"{}",
    b"StopTransaction": b'{"idTagInfo":' + _ACCEPTED + b"}",
}
_NOT_IMPLEMENTED: Final = b',"NotImplemented","",{}]'


def _frame(opcode: int, payload: bytes) -> bytes:
    """A server frame (never masked)."""
    size = len(payload)
    head = bytes((0x80 | opcode,))
    if size < 126:
        return head + bytes((size,)) + payload
    if size < 65536:
        return head + b"\x7e" + size.to_bytes(2, "big") + payload
    return head + b"\x7f" + size.to_bytes(8, "big") + payload


def answer(text: bytes) -> bytes:
    """The reply frame's payload to one CALL text (a CALLRESULT, or NotImplemented)."""
    parts = text.split(b'"', 4)
    unique_id = parts[1] if len(parts) > 3 else b""
    body = REPLIES.get(parts[3]) if len(parts) > 3 else None
    if body is None:
        return b'[4,"' + unique_id + b'"' + _NOT_IMPLEMENTED
    return b'[3,"' + unique_id + b'",' + body + b"]"


class LeanWebSocket(asyncio.Protocol):
    __slots__ = ("_buffer", "_open", "_transport")

    def __init__(self) -> None:
        self._buffer = b""
        self._open = False
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer + data if self._buffer else data
        if not self._open:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                self._buffer = buffer
                return
            self._handshake(buffer[:end])
            buffer = buffer[end + 4 :]
        out = []
        size = len(buffer)
        at = 0
        while size - at >= 6:
            b0 = buffer[at]
            length = buffer[at + 1] & 0x7F
            head = 2
            if length == 126:
                if size - at < 8:
                    break
                length = int.from_bytes(buffer[at + 2 : at + 4], "big")
                head = 4
            elif length == 127:
                if size - at < 14:
                    break
                length = int.from_bytes(buffer[at + 2 : at + 10], "big")
                head = 10
            start = at + head + 4
            if size < start + length:
                break
            payload = apply_mask(buffer[start : start + length], buffer[at + head : start])
            at = start + length
            opcode = b0 & 0x0F
            if opcode == 1:
                out.append(_frame(1, answer(payload)))
            elif opcode == 9:
                out.append(_frame(10, payload))
            elif opcode == 8:
                out.append(_frame(8, payload[:2]))
                assert self._transport is not None
                self._transport.write(b"".join(out))
                self._transport.close()
                return
        self._buffer = buffer[at:]
        if out:
            assert self._transport is not None
            self._transport.write(b"".join(out) if len(out) > 1 else out[0])

    def _handshake(self, request: bytes) -> None:
        assert self._transport is not None
        key = b""
        offered = b""
        for line in request.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"sec-websocket-key":
                key = value.strip()
            elif name == b"sec-websocket-protocol":
                offered = value
        if not key:
            self._transport.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            self._transport.close()
            return
        accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
        protocol = b"Sec-WebSocket-Protocol: ocpp1.6\r\n" if b"ocpp1.6" in offered else b""
        self._transport.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n" + protocol + b"\r\n"
        )
        self._open = True


async def serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    server = await loop.create_server(LeanWebSocket, sock=sock, backlog=4096)
    print(f"ready {sock.getsockname()[1]}", flush=True)
    stdin_closed = loop.create_future()

    class _Watch(asyncio.Protocol):
        def connection_lost(self, _exc: Exception | None) -> None:
            stdin_closed.set_result(None)

    await loop.connect_read_pipe(_Watch, sys.stdin)
    await stdin_closed
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        import uvloop

        uvloop.run(serve(args.host, args.port))
    except ImportError:
        asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
