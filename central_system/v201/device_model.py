"""What a station's device model tells the CSMS about its own messages: how many
GetVariableData items, and how many bytes, one GetVariablesRequest may carry (B06 Get
Variables: DeviceDataCtrlr ItemsPerMessage / BytesPerMessage, instance GetVariables). Sans-I/O:
the session reads the values from the stored reports and sends the parts this returns."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["MessageLimits", "join_get_variables", "limit", "split_get_variables"]

#: The component and the variable instance the limits are reported under.
DEVICE_DATA_CTRLR: Final = "DeviceDataCtrlr"
GET_VARIABLES: Final = "GetVariables"
#: BytesPerMessage counts the whole frame: `[2,"<message id>","GetVariables",` and `]` around
#: the payload (a message id is 36 characters at most).
FRAME_OVERHEAD_BYTES: Final = len('[2,"","GetVariables",]') + 36


@dataclass(frozen=True, slots=True)
class MessageLimits:
    """A station's limits for one request; None where it reported none."""

    items: int | None = None
    payload_bytes: int | None = None


def limit(value: str | None) -> int | None:
    """A reported limit: a positive integer, else none (a station's bad value must not stop
    the CSMS sending)."""
    try:
        number = int(value) if value is not None else 0
    except ValueError:
        return None
    return number if number > 0 else None


def _size(items: Sequence[dict[str, Any]]) -> int:
    payload = json.dumps({"getVariableData": list(items)}, separators=(",", ":"))
    return FRAME_OVERHEAD_BYTES + len(payload.encode())


def split_get_variables(payload: dict[str, Any], limits: MessageLimits) -> list[dict[str, Any]]:
    """The GetVariablesRequest payloads to send for `payload`, in order: each within the
    item count and, as far as one item allows, the message bytes of `limits`."""
    parts: list[list[dict[str, Any]]] = []
    for item in payload["getVariableData"]:
        current = parts[-1] if parts else None
        if (
            current is None
            or (limits.items is not None and len(current) >= limits.items)
            or (limits.payload_bytes is not None and _size([*current, item]) > limits.payload_bytes)
        ):
            parts.append([item])
        else:
            current.append(item)
    return [payload | {"getVariableData": part} for part in parts] or [payload]


def join_get_variables(replies: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One GetVariablesResponse of the parts' answers, the results in the order asked."""
    return {
        "getVariableResult": [result for reply in replies for result in reply["getVariableResult"]]
    }
