"""OCPP-J framing: raw websocket text in, a CALL / CALLRESULT / CALLERROR or a rejection out.

The stock `ocpp.messages.unpack` raises on a bad frame and `ChargePoint.route_message` then drops
it silently; OCPP-J wants every CALL answered, so a defective frame here becomes a `Rejected`
carrying the exact CALLERROR to send back (with the frame's message id when it can be read).
Only framing is checked; payloads are checked by `ocppj.validation`. Text with a lone
surrogate escape ("\\ud800", legal JSON but not Unicode) is a FormationViolation here, so no
handler, log or store ever holds a string that cannot be encoded.

Frames are decoded with orjson where it is installed (several times faster than the standard
library's decoder) and by the standard library wherever orjson refuses a frame or could read
it differently (integers of 19 digits or more, which orjson turns into floats): every verdict
is the standard decoder's, so a frame is accepted or refused exactly as without orjson.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from ocpp.exceptions import OCPPError
from ocpp.messages import Call, CallError, CallResult, MessageType

from ocppj.errors import UNREADABLE_MESSAGE_ID, Defect, error_for
from ocppj.json_codec import fast_loads, has_long_integer
from ocppj.versions import Version, check_version

__all__ = ["Frame", "Rejected", "parse_frame"]

# Reads the MessageTypeId and message id from the head of a frame too large to parse.
_HEAD: Final = re.compile(r'\s*\[\s*(\d{1,3})\s*,\s*"([^"\\]{1,64})"')
_RESPONSE_TYPES: Final = (MessageType.CallResult, MessageType.CallError)
_HEAD_CHARS: Final = 256
# A \uD800-\uDFFF escape: JSON lets it stand alone, and a lone one decodes to a str that
# cannot be encoded (into SQLite, a log, a reply): such text is not Unicode.
_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89abcdefABCDEF]")


@dataclass(frozen=True, slots=True)
class Rejected:
    """A frame that could not be accepted, and what to answer.

    `reply` is the CALLERROR to send back, or None when the defective frame was itself a
    CALLRESULT/CALLERROR (a response is never answered; `message_id`, when readable, names the
    CALL whose reply was defective).
    """

    error: OCPPError
    message_id: str | None
    answerable: bool

    @property
    def reply(self) -> CallError | None:
        if not self.answerable:
            return None
        return CallError(
            self.message_id if self.message_id is not None else UNREADABLE_MESSAGE_ID,
            self.error.code,
            self.error.description,
            self.error.details,
        )


Frame: TypeAlias = "Call | CallResult | CallError | Rejected"


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# One decoder: json.loads builds a new one per call when given any option.
_DECODER: Final = json.JSONDecoder(parse_constant=_no_constants)


def _decode(text: str) -> tuple[Any, bool]:
    """(the decoded value, whether orjson read it); raises like `_DECODER.decode`."""
    # orjson reads integers beyond 64 bits as floats: those go to the standard decoder
    if fast_loads is not None and not has_long_integer(text):
        # what orjson refuses, the standard decoder reads again: it has the last word, and
        # gives the error
        with contextlib.suppress(ValueError):
            return fast_loads(text), True
    return _DECODER.decode(text), False


def _reject(
    version: Version,
    defect: Defect,
    message_id: str | None,
    answerable: bool = True,
    description: str | None = None,
) -> Rejected:
    error = error_for(version, defect, description or _describe(defect))
    return Rejected(error, message_id, answerable)


def _describe(defect: Defect) -> str:
    """A sentence about the frame: "Frame has too few elements", "Frame is not valid JSON"."""
    text = defect.value
    if text.startswith("frame "):
        return "Frame " + text.removeprefix("frame ")
    if text.startswith("not "):
        return "Frame is " + text
    return text[0].upper() + text[1:]


def _is_unicode(value: Any) -> bool:
    """No lone surrogate in any string (keys included) of a decoded JSON value."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, list):
        return all(_is_unicode(item) for item in value)
    if isinstance(value, dict):
        return all(_is_unicode(key) and _is_unicode(item) for key, item in value.items())
    return True


def _oversized(version: Version, text: str, max_frame_bytes: int) -> Rejected:
    head = _HEAD.match(text[:_HEAD_CHARS])
    message_id = head.group(2) if head else None
    answerable = not (head and int(head.group(1)) in _RESPONSE_TYPES)
    description = f"Frame exceeds the maximum frame size of {max_frame_bytes} bytes"
    return _reject(version, Defect.OVERSIZED, message_id, answerable, description)


def _too_big(text: str, max_frame_bytes: int) -> bool:
    if len(text) > max_frame_bytes:
        return True
    # A character takes up to 4 bytes in UTF-8: only encode when it could matter.
    return len(text) * 4 > max_frame_bytes and len(text.encode()) > max_frame_bytes


def parse_frame(version: str, raw: str | bytes, *, max_frame_bytes: int | None = None) -> Frame:
    """Parse one websocket message into a `Call`, `CallResult`, `CallError` or `Rejected`.

    `version` is the connection's subprotocol ("ocpp1.6" or "ocpp2.0.1"): it picks the error
    codes. Frames longer than `max_frame_bytes` (UTF-8) are rejected without being parsed. A
    CALLERROR without its errorDetails element is accepted (details {}), as real chargers send it.
    """
    checked = check_version(version)
    if isinstance(raw, bytes | bytearray | memoryview):
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return _reject(checked, Defect.NOT_JSON, None)
    else:
        text = raw
    if max_frame_bytes is not None and _too_big(text, max_frame_bytes):
        return _oversized(checked, text, max_frame_bytes)
    try:
        message, fast = _decode(text)
    except (ValueError, RecursionError):
        return _reject(checked, Defect.NOT_JSON, None)
    if not isinstance(message, list) or not message:
        return _reject(checked, Defect.NOT_AN_ARRAY, None)

    message_type = message[0]
    message_id = message[1] if len(message) > 1 and isinstance(message[1], str) else None
    if message_id is not None and not fast and not _is_unicode(message_id):
        message_id = None
    # orjson refuses lone surrogates: only the standard decoder's strings need the check
    if not fast and _SURROGATE_ESCAPE.search(text) and not _is_unicode(message):
        answerable = not (type(message_type) is int and message_type in _RESPONSE_TYPES)
        description = "Frame has a lone surrogate escape (\\uD800-\\uDFFF): not Unicode text"
        return _reject(checked, Defect.NOT_JSON, message_id, answerable, description)
    if type(message_type) is not int or message_type not in (2, 3, 4):
        return _reject(checked, Defect.UNKNOWN_MESSAGE_TYPE, message_id)
    answerable = message_type == MessageType.Call
    if len(message) < 2:
        return _reject(checked, Defect.MISSING_ELEMENTS, None, answerable)
    if message_id is None:
        return _reject(checked, Defect.UNREADABLE_MESSAGE_ID, None, answerable)

    if message_type == MessageType.Call:
        return _call(checked, message, message_id)
    if message_type == MessageType.CallResult:
        return _call_result(checked, message, message_id)
    return _call_error(checked, message, message_id)


def _call(version: Version, message: list[Any], message_id: str) -> Call | Rejected:
    if len(message) < 4:
        return _reject(version, Defect.MISSING_ELEMENTS, message_id)
    if len(message) > 4:
        return _reject(version, Defect.EXTRA_ELEMENTS, message_id)
    action, payload = message[2], message[3]
    if not isinstance(action, str) or not action:
        return _reject(
            version, Defect.MALFORMED_ELEMENT, message_id, True, "Action is not a string"
        )
    if not isinstance(payload, dict):
        return _reject(
            version, Defect.MALFORMED_ELEMENT, message_id, True, "Payload is not a JSON object"
        )
    return Call(message_id, action, payload)


def _call_result(version: Version, message: list[Any], message_id: str) -> CallResult | Rejected:
    if len(message) < 3:
        return _reject(version, Defect.MISSING_ELEMENTS, message_id, False)
    if len(message) > 3:
        return _reject(version, Defect.EXTRA_ELEMENTS, message_id, False)
    if not isinstance(message[2], dict):
        return _reject(
            version, Defect.MALFORMED_ELEMENT, message_id, False, "Payload is not a JSON object"
        )
    return CallResult(message_id, message[2])


def _call_error(version: Version, message: list[Any], message_id: str) -> CallError | Rejected:
    if len(message) < 4:
        return _reject(version, Defect.MISSING_ELEMENTS, message_id, False)
    if len(message) > 5:
        return _reject(version, Defect.EXTRA_ELEMENTS, message_id, False)
    code, description = message[2], message[3]
    details = message[4] if len(message) == 5 else {}
    if not (isinstance(code, str) and isinstance(description, str) and isinstance(details, dict)):
        return _reject(version, Defect.MALFORMED_ELEMENT, message_id, False)
    return CallError(message_id, code, description, details)
