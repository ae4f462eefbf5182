"""The message log: every OCPP-J frame of a run, one JSON object per line.

    {"wall": "2026-03-01T12:00:00.123456Z", "virtual": "2025-01-06T08:00:00.000Z",
     "virtual_s": 28800.0, "cp": "north-1-01", "dir": "send", "frame": "[2,\"...\",...]"}

`dir` is "send" (charge point to central system) or "recv"; `frame` is the exact text on the
wire (a string, so that defective frames are logged as they came: `jq '.frame | fromjson'`).
`virtual` is the simulated time when the frame crossed the wire, which for a queued message
can be later than the timestamp inside it. One exception to "exact": the value of a
ChangeConfiguration AuthorizationKey (1.6) or a SetVariables BasicAuthPassword (2.0.1), a
password, is logged as `"<redacted>"`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from simulator.ocpp.clock import VirtualClock

__all__ = ["RECV", "REDACTED", "SEND", "MessageLog"]

SEND = "send"
RECV = "recv"
REDACTED = "<redacted>"


def _redacted(frame: str) -> str:
    """The frame without the password a ChangeConfiguration AuthorizationKey or a SetVariables
    BasicAuthPassword carries."""
    try:
        message = json.loads(frame)
    except ValueError:
        return frame
    if (
        isinstance(message, list)
        and len(message) == 4
        and message[2] == "SetVariables"
        and isinstance(message[3], dict)
        and isinstance(message[3].get("setVariableData"), list)
    ):
        for item in message[3]["setVariableData"]:
            variable = item.get("variable") if isinstance(item, dict) else None
            if isinstance(variable, dict) and variable.get("name") == "BasicAuthPassword":
                item["attributeValue"] = REDACTED
        return json.dumps(message, separators=(",", ":"))
    if (
        isinstance(message, list)
        and len(message) == 4
        and message[2] == "ChangeConfiguration"
        and isinstance(message[3], dict)
        and message[3].get("key") == "AuthorizationKey"
        and "value" in message[3]
    ):
        message[3]["value"] = REDACTED
        return json.dumps(message, separators=(",", ":"))
    return frame


class MessageLog:
    __slots__ = ("_clock", "_file", "_now_s", "frames")

    def __init__(self, path: Path, clock: VirtualClock, now_s: Callable[[], float]) -> None:
        self._file: TextIO = path.open("w", encoding="utf-8", buffering=1 << 16)
        self._clock = clock
        self._now_s = now_s
        self.frames = 0

    def write(self, direction: str, charge_point_id: str, frame: str | bytes) -> None:
        if isinstance(frame, bytes):
            frame = frame.decode("utf-8", "replace")
        if "AuthorizationKey" in frame or "BasicAuthPassword" in frame:  # most never parse
            frame = _redacted(frame)
        t_s = self._now_s()
        wall = datetime.fromtimestamp(time.time(), UTC)
        self._file.write(
            f'{{"wall":"{wall:%Y-%m-%dT%H:%M:%S.%f}Z","virtual":"{self._clock.iso(t_s)}",'
            f'"virtual_s":{t_s!r},"cp":{json.dumps(charge_point_id)},"dir":"{direction}",'
            f'"frame":{json.dumps(frame)}}}\n'
        )
        self.frames += 1

    def close(self) -> None:
        self._file.close()
