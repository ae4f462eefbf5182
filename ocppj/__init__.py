"""ocppj: the OCPP-J wire helpers shared by chargenet's charge points and central system.

Both ends import this package; neither imports the other. Versions are the websocket
subprotocol names, "ocpp1.6" and "ocpp2.0.1" (`OCPP16`, `OCPP201`).

Validation (`ocppj.validation`), against the `ocpp` package's own JSON schemas compiled once
with fastjsonschema (about 15x faster per message than the stock Draft4 validator, 45x
faster than the stock ChargePoint's executor-thread validation), the compiled code kept on disk
between processes (`ocppj.validator_cache`), and a jsonschema-rs validator of each schema run
first (3-5x faster again; fastjsonschema's verdict whenever it refuses):

    validate_request(version, action, payload)   # CALL payload, camelCase as on the wire
    validate_response(version, action, payload)  # CALLRESULT payload for a CALL of `action`
    is_known_action(version, action) -> bool

Both raise an `ocpp.exceptions.OCPPError` subclass naming the defect: NotImplemented (action
unknown to the version), TypeConstraintViolation (wrong type, too long, bad date-time),
OccurenceConstraintViolation (required field missing, list too short/long),
PropertyConstraintViolation (extra property, value not allowed). Send it back with
`call.create_call_error(error).to_json()`.

Framing (`ocppj.frames`):

    parse_frame(version, raw, max_frame_bytes=None) -> Call | CallResult | CallError | Rejected

returns the `ocpp.messages` type for a well-formed frame, or `Rejected(error, message_id,
answerable)` whose `.reply` is the exact CALLERROR to send (`.reply.to_json()`), with the
frame's message id, or "-1" when it cannot be read; `.reply` is None when the defective frame
was a CALLRESULT/CALLERROR (responses are never answered). Frame defects in 1.6: invalid JSON,
not an array, unknown MessageTypeId, unreadable id, extra elements, wrong element type or
oversized -> FormationViolation; too few elements -> ProtocolError. In 2.0.1: RpcFrameworkError,
MessageTypeNotSupported, FormatViolation (`ocppj.errors` holds the whole table).

Errors (`ocppj.errors`): `Defect`, `error_for(version, defect, description)`, and the 2.0.1
codes the `ocpp` package lacks (`RpcFrameworkError`, `MessageTypeNotSupportedError`).

Endpoint (`ocppj.endpoint`): `class Session(Endpoint)` with `@on`/`@after` handlers (the
`ocpp` package's decorators) is one connection's RPC, on either end and for either version
(`version="ocpp2.0.1"`, or a subclass's `default_version`). ocppj owns the routing: frames
parsed and every defective one answered, CALLs validated both ways and dispatched to their
handler (its OCPPError is the answer, any other exception InternalError), uuid4 message ids,
one outstanding CALL of ours per connection, replies matched by id (unknown ids ignored).
`await session.call_payload(action, payload_dict, timeout_s=...)` sends a wire-format CALL
(raises the reply's OCPPError, TimeoutError, or ConnectionClosed), `await session.call(
ocpp.v16.call.Heartbeat())` the same with the package's dataclasses. `exception_for(call_error)`
maps any received CALLERROR to an OCPPError. `start()` is the receive loop; a subclass with
a loop of its own feeds `route_message(raw)`, and may redirect `_send(frame)`, which every
frame leaves through. Only the `ocpp` package's public API is used: messages, exceptions,
`ocpp.routing` and the call/call_result dataclasses (mypy stubs for them: `typings/ocpp/`).
"""

from ocppj.endpoint import (
    DEFAULT_RESPONSE_TIMEOUT_S,
    Connection,
    Endpoint,
    exception_for,
    wire_payload,
)
from ocppj.errors import (
    UNREADABLE_MESSAGE_ID,
    Defect,
    MessageTypeNotSupportedError,
    RpcFrameworkError,
    error_for,
)
from ocppj.frames import Frame, Rejected, parse_frame
from ocppj.validation import is_known_action, validate_request, validate_response, warm_up
from ocppj.versions import OCPP16, OCPP201, SUPPORTED_VERSIONS, Version, check_version

__all__ = [
    "DEFAULT_RESPONSE_TIMEOUT_S",
    "OCPP16",
    "OCPP201",
    "SUPPORTED_VERSIONS",
    "UNREADABLE_MESSAGE_ID",
    "Connection",
    "Defect",
    "Endpoint",
    "Frame",
    "MessageTypeNotSupportedError",
    "Rejected",
    "RpcFrameworkError",
    "Version",
    "check_version",
    "error_for",
    "exception_for",
    "is_known_action",
    "parse_frame",
    "validate_request",
    "validate_response",
    "warm_up",
    "wire_payload",
]
