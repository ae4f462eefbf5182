"""Which OCPP-J error code answers which defect, per version.

The two versions name the same defects differently (1.6 `FormationViolation`, 2.0.1
`FormatViolation`; 2.0.1 adds `RpcFrameworkError` and `MessageTypeNotSupported`), so code that
finds a defect names the defect and this module picks the `ocpp.exceptions.OCPPError` subclass.
"""

from __future__ import annotations

import enum
from typing import Any, Final

from ocpp.exceptions import (
    FormationViolationError,
    FormatViolationError,
    InternalError,
    NotImplementedError,
    NotSupportedError,
    OccurenceConstraintViolationError,
    OCPPError,
    PropertyConstraintViolationError,
    ProtocolError,
    TypeConstraintViolationError,
)

from ocppj.versions import OCPP16, OCPP201, Version

__all__ = [
    "MAX_DESCRIPTION_CHARS",
    "UNREADABLE_MESSAGE_ID",
    "Defect",
    "MessageTypeNotSupportedError",
    "RpcFrameworkError",
    "error_code",
    "error_for",
]

#: The message id of a CALLERROR answering a frame whose own id cannot be read (as OCPP 2.0.1
#: prescribes; 1.6 names none, and "-1" never collides with a real id).
UNREADABLE_MESSAGE_ID: Final = "-1"

#: OCPP-J's limit on errorDescription.
MAX_DESCRIPTION_CHARS: Final = 255


class RpcFrameworkError(OCPPError):
    """2.0.1: the frame is not a valid RPC message (e.g. its message id cannot be read)."""

    code = "RpcFrameworkError"
    default_description = "Content of the call is not a valid RPC Request"


class MessageTypeNotSupportedError(OCPPError):
    """2.0.1: the MessageTypeId is not one this implementation knows."""

    code = "MessageTypeNotSupported"
    default_description = "A message with a MessageTypeId not supported by this implementation"


class Defect(enum.Enum):
    """What is wrong with a received frame or payload."""

    NOT_JSON = "not valid JSON (or not UTF-8 text)"
    NOT_AN_ARRAY = "not a non-empty JSON array"
    UNKNOWN_MESSAGE_TYPE = "MessageTypeId is not 2, 3 or 4"
    UNREADABLE_MESSAGE_ID = "message id is not a string"
    MISSING_ELEMENTS = "frame has too few elements"
    EXTRA_ELEMENTS = "frame has too many elements"
    MALFORMED_ELEMENT = "an element of the frame has the wrong type"
    OVERSIZED = "frame exceeds the maximum frame size"
    UNKNOWN_ACTION = "action is not an action of this OCPP version"
    UNSUPPORTED_ACTION = "action is known but not handled here"
    WRONG_TYPE = "a field has the wrong type, length or format"
    MISSING_FIELD = "a required field is missing, or a list has too few/many items"
    INVALID_VALUE = "a field has an invalid value, or is not allowed"
    INTERNAL = "the receiver failed to handle the message"


_BY_VERSION: Final[dict[Version, dict[Defect, type[OCPPError]]]] = {
    OCPP16: {
        Defect.NOT_JSON: FormationViolationError,
        Defect.NOT_AN_ARRAY: FormationViolationError,
        Defect.UNKNOWN_MESSAGE_TYPE: FormationViolationError,
        Defect.UNREADABLE_MESSAGE_ID: FormationViolationError,
        Defect.MISSING_ELEMENTS: ProtocolError,
        Defect.EXTRA_ELEMENTS: FormationViolationError,
        Defect.MALFORMED_ELEMENT: FormationViolationError,
        Defect.OVERSIZED: FormationViolationError,
        Defect.UNKNOWN_ACTION: NotImplementedError,
        Defect.UNSUPPORTED_ACTION: NotSupportedError,
        Defect.WRONG_TYPE: TypeConstraintViolationError,
        Defect.MISSING_FIELD: OccurenceConstraintViolationError,
        Defect.INVALID_VALUE: PropertyConstraintViolationError,
        Defect.INTERNAL: InternalError,
    },
    OCPP201: {
        Defect.NOT_JSON: RpcFrameworkError,
        Defect.NOT_AN_ARRAY: RpcFrameworkError,
        Defect.UNKNOWN_MESSAGE_TYPE: MessageTypeNotSupportedError,
        Defect.UNREADABLE_MESSAGE_ID: RpcFrameworkError,
        Defect.MISSING_ELEMENTS: RpcFrameworkError,
        Defect.EXTRA_ELEMENTS: RpcFrameworkError,
        Defect.MALFORMED_ELEMENT: FormatViolationError,
        Defect.OVERSIZED: FormatViolationError,
        Defect.UNKNOWN_ACTION: NotImplementedError,
        Defect.UNSUPPORTED_ACTION: NotSupportedError,
        Defect.WRONG_TYPE: TypeConstraintViolationError,
        Defect.MISSING_FIELD: OccurenceConstraintViolationError,
        Defect.INVALID_VALUE: PropertyConstraintViolationError,
        Defect.INTERNAL: InternalError,
    },
}


def error_for(
    version: Version, defect: Defect, description: str, details: dict[str, Any] | None = None
) -> OCPPError:
    """The OCPPError that reports `defect` on a `version` connection."""
    # Explicit descriptions: the ocpp package swaps the stock NotImplemented/NotSupported texts.
    error_class = _BY_VERSION[version][defect]
    return error_class(description=description[:MAX_DESCRIPTION_CHARS], details=details or {})


def error_code(version: Version, defect: Defect) -> str:
    """The error code string that reports `defect` on a `version` connection."""
    code: str = _BY_VERSION[version][defect].code
    return code
