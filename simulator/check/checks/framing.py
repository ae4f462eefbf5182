"""Robustness: defective OCPP-J frames, each answered with the CALLERROR OCPP-J 1.6 §4.2.3
names, and the connection kept (the next valid CALL is answered).

Where implementations reasonably differ (a missing field is "incomplete" to ProtocolError and
an "occurence constraint" to OccurenceConstraintViolation), every defensible code is accepted;
silence, a closed connection, GenericError, InternalError and OCPP 2.0.1 names are not.
"""

from __future__ import annotations

import json
from typing import Final

from ocpp.messages import CallError, CallResult

from simulator.check.catalogue import Profile, check
from simulator.check.context import CheckContext
from simulator.check.station import describe

CORE = Profile.CORE
CLAUSE: Final = "OCPP-J 1.6 §4.2.3 (CallError codes), §4.1.3 (message id)"

FORMATION: Final = frozenset({"FormationViolation"})
FORMATION_OR_PROTOCOL: Final = frozenset({"FormationViolation", "ProtocolError"})
NOT_IMPLEMENTED: Final = frozenset({"NotImplemented", "NotSupported"})
#: The stock `ocpp` package says FormationViolation for most schema failures.
MISSING: Final = frozenset({"OccurenceConstraintViolation", "ProtocolError", "FormationViolation"})
WRONG_TYPE: Final = frozenset({"TypeConstraintViolation", "FormationViolation"})
BAD_VALUE: Final = frozenset({"PropertyConstraintViolation", "FormationViolation"})


async def _answered_with(
    ctx: CheckContext,
    frame: str | bytes,
    codes: frozenset[str],
    what: str,
    *,
    message_id: str | None,
) -> None:
    """Send `frame`; its reply is a CALLERROR of `codes` (with `message_id` when it has one
    the backend can read), and the connection stays open."""
    async with ctx.booted() as station:
        since = station.mark()
        await station.send_raw(frame)
        reply = await station.next_response(what, since=since)
        ctx.expect_error(reply, codes, what)
        if message_id is not None:
            ctx.expect(
                reply.unique_id == message_id,
                f"the CALLERROR to carry the CALL's message id {message_id!r}",
                f"message id {reply.unique_id!r}",
            )
        await station.still_open()


def _frame(message_id: str, action: str, payload: object) -> str:
    return json.dumps([2, message_id, action, payload])


@check(
    "RB_INVALID_JSON",
    "A frame that is not JSON gets FormationViolation",
    profile=CORE,
    clause=CLAUSE,
    sends='[2,"<id>","Heartbeat",{  (truncated JSON)',
    expects="CALLERROR FormationViolation; a later Heartbeat answered",
)
async def invalid_json(ctx: CheckContext) -> None:
    await _answered_with(
        ctx, '[2,"rb-json","Heartbeat",{', FORMATION, "a frame that is not JSON", message_id=None
    )


@check(
    "RB_NOT_AN_ARRAY",
    "A JSON object instead of a message array gets FormationViolation",
    profile=CORE,
    clause=CLAUSE,
    sends='{"messageTypeId": 2, "action": "Heartbeat"}',
    expects="CALLERROR FormationViolation; a later Heartbeat answered",
)
async def not_an_array(ctx: CheckContext) -> None:
    await _answered_with(
        ctx,
        json.dumps({"messageTypeId": 2, "action": "Heartbeat"}),
        FORMATION,
        "a JSON object that is no message",
        message_id=None,
    )


@check(
    "RB_UNKNOWN_MESSAGE_TYPE",
    "An unknown MessageTypeId gets FormationViolation or ProtocolError",
    profile=CORE,
    clause="OCPP-J 1.6 §4 (MessageTypeId 2, 3 or 4), §4.2.3",
    sends='[7,"<id>","Heartbeat",{}]',
    expects="CALLERROR FormationViolation or ProtocolError; a later Heartbeat answered",
)
async def unknown_message_type(ctx: CheckContext) -> None:
    await _answered_with(
        ctx,
        json.dumps([7, "rb-type", "Heartbeat", {}]),
        FORMATION_OR_PROTOCOL,
        "MessageTypeId 7",
        message_id="rb-type",
    )


@check(
    "RB_TOO_FEW_ELEMENTS",
    "A CALL without its payload gets ProtocolError or FormationViolation",
    profile=CORE,
    clause=CLAUSE,
    sends='[2,"<id>","Heartbeat"]',
    expects="CALLERROR ProtocolError or FormationViolation with the frame's id",
)
async def too_few_elements(ctx: CheckContext) -> None:
    await _answered_with(
        ctx,
        json.dumps([2, "rb-few", "Heartbeat"]),
        FORMATION_OR_PROTOCOL,
        "a CALL of three elements",
        message_id="rb-few",
    )


@check(
    "RB_UNKNOWN_ACTION",
    "An action OCPP 1.6 does not define gets NotImplemented, and the connection stays",
    profile=CORE,
    clause="OCPP-J 1.6 §4.2.3 (NotImplemented: Requested Action is not known by receiver)",
    sends='[2,"<id>","ChargeMyUnicorn",{}]',
    expects="CALLERROR NotImplemented (NotSupported accepted) with the frame's id",
)
async def unknown_action(ctx: CheckContext) -> None:
    await _answered_with(
        ctx,
        _frame("rb-action", "ChargeMyUnicorn", {}),
        NOT_IMPLEMENTED,
        "an unknown action",
        message_id="rb-action",
    )


@check(
    "RB_CENTRAL_SYSTEM_ACTION",
    "An action only a central system sends (Reset) gets NotSupported or NotImplemented",
    profile=CORE,
    clause="OCPP-J 1.6 §4.2.3 (NotSupported: recognized but not supported by the receiver)",
    sends='[2,"<id>","Reset",{"type":"Soft"}]',
    expects="CALLERROR NotSupported or NotImplemented with the frame's id",
)
async def central_system_action(ctx: CheckContext) -> None:
    await _answered_with(
        ctx,
        _frame("rb-reset", "Reset", {"type": "Soft"}),
        NOT_IMPLEMENTED,
        "a Reset sent by a charge point",
        message_id="rb-reset",
    )


@check(
    "RB_MISSING_FIELD",
    "A BootNotification without its required chargePointModel is refused",
    profile=CORE,
    clause=CLAUSE + "; OCPP 1.6 (chargePointModel required)",
    sends="BootNotification with chargePointVendor only",
    expects="CALLERROR OccurenceConstraintViolation (ProtocolError or FormationViolation "
    "accepted) with the frame's id",
)
async def missing_field(ctx: CheckContext) -> None:
    await _answered_with(
        ctx,
        _frame("rb-missing", "BootNotification", {"chargePointVendor": "chargenet"}),
        MISSING,
        "a missing required field",
        message_id="rb-missing",
    )


@check(
    "RB_WRONG_TYPE",
    "A string where the schema wants an integer gets TypeConstraintViolation",
    profile=CORE,
    clause=CLAUSE,
    sends='StatusNotification with "connectorId": "one"',
    expects="CALLERROR TypeConstraintViolation (FormationViolation accepted) with the id",
)
async def wrong_type(ctx: CheckContext) -> None:
    payload = {"connectorId": "one", "errorCode": "NoError", "status": "Available"}
    await _answered_with(
        ctx,
        _frame("rb-type-int", "StatusNotification", payload),
        WRONG_TYPE,
        "a field of the wrong type",
        message_id="rb-type-int",
    )


@check(
    "RB_EXTRA_PROPERTY",
    "A property the schema does not allow is refused",
    profile=CORE,
    clause=CLAUSE + "; the 1.6 JSON schemas (additionalProperties: false)",
    sends="BootNotification with an extra property colour",
    expects="CALLERROR PropertyConstraintViolation or FormationViolation with the id",
)
async def extra_property(ctx: CheckContext) -> None:
    payload = {"chargePointVendor": "chargenet", "chargePointModel": "check", "colour": "red"}
    await _answered_with(
        ctx,
        _frame("rb-extra", "BootNotification", payload),
        BAD_VALUE,
        "an extra property",
        message_id="rb-extra",
    )


@check(
    "RB_BAD_ENUM",
    "A status outside the enumeration is refused",
    profile=CORE,
    clause=CLAUSE + "; OCPP 1.6 ChargePointStatus",
    sends='StatusNotification with "status": "Sleeping"',
    expects="CALLERROR PropertyConstraintViolation or FormationViolation with the id",
)
async def bad_enum(ctx: CheckContext) -> None:
    payload = {"connectorId": 1, "errorCode": "NoError", "status": "Sleeping"}
    await _answered_with(
        ctx,
        _frame("rb-enum", "StatusNotification", payload),
        BAD_VALUE,
        "a value outside the enumeration",
        message_id="rb-enum",
    )


@check(
    "RB_BINARY_FRAME",
    "A binary frame that is not UTF-8 text gets FormationViolation",
    profile=CORE,
    clause="OCPP-J 1.6 §4 (messages are JSON text), §4.2.3",
    sends="a binary websocket message of bytes 0xff 0xfe 0x00",
    expects="CALLERROR FormationViolation (or ProtocolError); a later Heartbeat answered",
)
async def binary_frame(ctx: CheckContext) -> None:
    await _answered_with(
        ctx, b"\xff\xfe\x00", FORMATION_OR_PROTOCOL, "a non-UTF-8 binary frame", message_id=None
    )


@check(
    "RB_OVERSIZED_FRAME",
    "An oversized DataTransfer is answered (FormationViolation or a result), not dropped",
    profile=CORE,
    clause="OCPP-J 1.6 §4.2.3; RFC 6455 §7.4.1 (1009 is for frames too big to process)",
    sends="DataTransfer whose data is 100,000 characters (--oversized-bytes)",
    expects="a CALLERROR FormationViolation or a CALLRESULT with the frame's id, and the "
    "connection kept",
)
async def oversized_frame(ctx: CheckContext) -> None:
    message_id = "rb-big"
    payload = {"vendorId": "org.chargenet.check", "data": "x" * ctx.target.oversized_bytes}
    async with ctx.booted() as station:
        since = station.mark()
        await station.send_raw(_frame(message_id, "DataTransfer", payload))
        reply = await station.next_response("an oversized frame", since=since)
        if isinstance(reply, CallError):
            ctx.expect_error(reply, FORMATION, "an oversized frame")
        ctx.expect(
            reply.unique_id == message_id,
            f"the reply to carry the frame's id {message_id!r}",
            f"{reply.unique_id!r}",
        )
        await station.still_open()


@check(
    "RB_UNKNOWN_CALLRESULT",
    "A CALLRESULT for a message id never sent is ignored, not answered",
    profile=CORE,
    clause="OCPP-J 1.6 §4 (a CALLRESULT answers a CALL; a response is never answered)",
    sends='[3,"<never sent>",{}], then Heartbeat',
    expects="nothing for the CALLRESULT: the next frame is the Heartbeat's CALLRESULT",
)
async def unknown_call_result(ctx: CheckContext) -> None:
    await _stray_response(ctx, json.dumps([3, "rb-never-sent", {}]))


@check(
    "RB_UNKNOWN_CALLERROR",
    "A CALLERROR for a message id never sent is ignored, not answered",
    profile=CORE,
    clause="OCPP-J 1.6 §4, §4.2.3",
    sends='[4,"<never sent>","GenericError","",{}], then Heartbeat',
    expects="nothing for the CALLERROR: the next frame is the Heartbeat's CALLRESULT",
)
async def unknown_call_error(ctx: CheckContext) -> None:
    await _stray_response(ctx, json.dumps([4, "rb-never-sent", "GenericError", "", {}]))


async def _stray_response(ctx: CheckContext, frame: str) -> None:
    async with ctx.booted() as station:
        since = station.mark()
        await station.send_raw(frame)
        await station.still_open()
        responses = [r for r in station.received[since:] if r.is_response]
        first = responses[0].frame
        ctx.expect(
            isinstance(first, CallResult) and len(responses) == 1,
            "no reply to the stray response: the Heartbeat's CALLRESULT first and only",
            "; ".join(describe(r.frame) for r in responses),
        )


@check(
    "RB_LONG_MESSAGE_ID",
    "A message id of 36 characters (a UUID) comes back whole",
    profile=CORE,
    clause="OCPP-J 1.6 §4 (the message id is a string of at most 36 characters)",
    sends="Heartbeat with a 36-character message id",
    expects="the CALLRESULT with exactly that id",
)
async def long_message_id(ctx: CheckContext) -> None:
    message_id = "3f2c9a1e-7b4d-4c1a-9e8f-0a1b2c3d4e5f"
    async with ctx.booted() as station:
        since = station.mark()
        await station.send_call("Heartbeat", {}, message_id=message_id)
        reply = await station.next_response("a Heartbeat with a 36-character id", since=since)
        ctx.expect(
            reply.unique_id == message_id and isinstance(reply, CallResult),
            f"a CALLRESULT with message id {message_id!r}",
            describe(reply),
        )


@check(
    "RB_STRING_LENGTH",
    "An idTag of 20 characters is answered, one of 21 refused as too long",
    profile=CORE,
    clause=CLAUSE + "; OCPP 1.6 IdToken (CiString20Type)",
    sends="Authorize with a 20-character idTag, then with a 21-character one",
    expects="a CALLRESULT for 20 characters; CALLERROR TypeConstraintViolation (FormationViolation "
    "or PropertyConstraintViolation accepted) for 21",
)
async def string_length(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        exactly = ("CHK" + "0" * 17)[:20]
        reply = await station.call("Authorize", {"idTag": exactly})
        ctx.expect(
            isinstance(reply, CallResult),
            "a CALLRESULT for an idTag of 20 characters (the most CiString20Type allows)",
            describe(reply),
        )
        since = station.mark()
        await station.send_raw(_frame("rb-long-tag", "Authorize", {"idTag": exactly + "1"}))
        too_long = await station.next_response("a 21-character idTag", since=since)
        ctx.expect_error(too_long, WRONG_TYPE | BAD_VALUE, "an idTag of 21 characters")
        await station.still_open()
