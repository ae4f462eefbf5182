"""`FastValidation`: make a stock `ocpp` ChargePoint validate with `ocppj` and answer bad frames.

Mix it in front of `ocpp.v16.ChargePoint` (or `ocpp.v201.ChargePoint`), on either end:

    class MySession(FastValidation, ocpp.v16.ChargePoint): ...

It uses the package's own hooks: every route gets `_skip_schema_validation` (what
`@on(..., skip_schema_validation=True)` sets), `_handle_call` validates the request first and the
reply on its way out, and `call()` validates its request, then delegates with
`skip_schema_validation=True` and validates the reply when it arrives. So stock validation never
runs, yet every message in both directions is still checked.

Received CALLs take the stock `_handle_call` steps (snake_case kwargs, optional
`call_unique_id`, handler errors -> CALLERROR, camelCase reply without Nones) with key
conversion and signature inspection cached, which are most of its per-message cost; a route
with an `@after` hook goes through the stock method unchanged.
"""

from __future__ import annotations

import inspect
import logging
from functools import cache
from typing import Any

from ocpp.charge_point import ChargePoint, remove_nones, serialize_as_dict
from ocpp.exceptions import GenericError, OCPPError, UnknownCallErrorCodeError
from ocpp.messages import Call, CallError, CallResult

from ocppj.casing import camel_keys, snake_keys
from ocppj.errors import Defect, error_for
from ocppj.frames import Rejected, parse_frame
from ocppj.validation import is_known_action, validate_request, validate_response
from ocppj.versions import Version, wire_version

LOGGER = logging.getLogger("ocppj")


def exception_for(call_error: CallError) -> OCPPError:
    """The OCPPError a received CALLERROR stands for (GenericError for a code OCPP lacks)."""
    try:
        error: OCPPError = call_error.to_exception()
    except UnknownCallErrorCodeError:
        return GenericError(
            description=f"{call_error.error_code}: {call_error.error_description}",
            details={"error_code": call_error.error_code, **(call_error.error_details or {})},
        )
    return error


@cache
def _takes_unique_id(function: Any) -> bool:
    return "call_unique_id" in inspect.signature(function).parameters


class _ValidatingCall(Call):
    """A received CALL whose reply is validated as the stock `_handle_call` builds it."""

    def __init__(self, call: Call, version: Version) -> None:
        super().__init__(call.unique_id, call.action, call.payload)
        self._version = version

    def create_call_result(self, payload: dict[str, Any]) -> CallResult:
        try:
            validate_response(self._version, self.action, payload)
        except OCPPError as error:
            # Our own reply is wrong: that is an internal error, not the caller's fault.
            LOGGER.error("%s reply failed its schema: %s", self.action, error.description)
            raise error_for(
                self._version, Defect.INTERNAL, f"{self.action} reply failed its schema"
            ) from error
        result: CallResult = super().create_call_result(payload)
        return result


class FastValidation(ChargePoint):
    """Fast validation on both directions and an answer for every defective frame."""

    #: Frames longer than this many UTF-8 bytes are refused unparsed (None: no limit here).
    max_frame_bytes: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wire_version: Version = wire_version(self._ocpp_version)
        for route in self.route_map.values():
            route["_skip_schema_validation"] = True
        # Our CALLs awaiting a reply: message id -> (action, validate the reply?).
        self._awaiting: dict[str, tuple[str, bool]] = {}

    async def route_message(self, raw_msg: str | bytes) -> None:
        frame = parse_frame(self.wire_version, raw_msg, max_frame_bytes=self.max_frame_bytes)
        if isinstance(frame, Rejected):
            await self._route_rejected(frame)
        elif isinstance(frame, Call):
            try:
                await self._handle_call(frame)
            except OCPPError as error:
                self.logger.info("%s: %s %s refused: %s", self.id, frame.action, error.code, error)
                await self._send(frame.create_call_error(error).to_json())
        else:
            self._route_response(frame)

    async def _route_rejected(self, frame: Rejected) -> None:
        self.logger.info("%s: frame refused: %s", self.id, frame.error)
        reply = frame.reply
        if reply is not None:
            await self._send(reply.to_json())
        elif frame.message_id in self._awaiting:
            # A garbled reply to our CALL fails that CALL instead of leaving it to time out.
            error = frame.error
            self._response_queue.put_nowait(
                CallError(frame.message_id, error.code, error.description, error.details)
            )

    def _route_response(self, frame: CallResult | CallError) -> None:
        awaiting = self._awaiting.get(frame.unique_id)
        if awaiting is None:
            self.logger.warning("%s: ignoring a reply with unknown id %s", self.id, frame.unique_id)
            return
        action, validate = awaiting
        if isinstance(frame, CallResult) and validate:
            try:
                validate_response(self.wire_version, action, frame.payload)
            except OCPPError as error:
                frame = CallError(frame.unique_id, error.code, error.description, error.details)
        self._response_queue.put_nowait(frame)

    async def _handle_call(self, msg: Call) -> Any:
        handlers = self.route_map.get(msg.action)
        if handlers is None or "_on_action" not in handlers:
            known = is_known_action(self.wire_version, msg.action)
            defect = Defect.UNSUPPORTED_ACTION if known else Defect.UNKNOWN_ACTION
            raise error_for(self.wire_version, defect, f"No handler for {msg.action}")
        validate_request(self.wire_version, msg.action, msg.payload)
        call = _ValidatingCall(msg, self.wire_version)
        if "_after_action" in handlers:
            return await super()._handle_call(call)
        handler = handlers["_on_action"]
        kwargs = snake_keys(msg.payload)
        if _takes_unique_id(getattr(handler, "__func__", handler)):
            kwargs["call_unique_id"] = msg.unique_id
        try:
            response = handler(**kwargs)
            if inspect.isawaitable(response):
                response = await response
            payload = camel_keys(remove_nones(serialize_as_dict(response)))
        except OCPPError as error:  # the handler's own answer
            self.logger.info("%s: %s handler refused: %s", self.id, msg.action, error)
            await self._send(msg.create_call_error(error).to_json())
            return None
        except Exception as error:  # a bug: InternalError, and the connection goes on
            self.logger.exception("%s: %s handler failed", self.id, msg.action)
            await self._send(msg.create_call_error(error).to_json())
            return None
        await self._send(call.create_call_result(payload).to_json())
        return response

    async def call(
        self,
        payload: Any,
        suppress: bool = True,
        unique_id: str | None = None,
        skip_schema_validation: bool = False,
    ) -> Any:
        """Stock `call()`, validated by `ocppj`; an invalid reply raises (or is suppressed)."""
        action = type(payload).__name__
        if unique_id is None:
            unique_id = str(self._unique_id_generator())
        if not skip_schema_validation:
            wire_payload = camel_keys(remove_nones(serialize_as_dict(payload)))
            validate_request(self.wire_version, action, wire_payload)
        self._awaiting[unique_id] = (action, not skip_schema_validation)
        try:
            return await super().call(
                payload, suppress=suppress, unique_id=unique_id, skip_schema_validation=True
            )
        finally:
            self._awaiting.pop(unique_id, None)

    async def call_payload(
        self,
        action: str,
        payload: dict[str, Any],
        *,
        timeout_s: float | None = None,
        validate: bool = True,
    ) -> dict[str, Any]:
        """Send a CALL with a wire (camelCase) payload; return the reply's payload.

        Raises the OCPPError of a CALLERROR reply (or of a reply that fails its schema),
        OCPPError for a request that fails its schema (nothing is sent), and TimeoutError
        after `timeout_s` (default: the session's response timeout). Shares the stock call
        lock, so a connection never has two CALLs of ours outstanding.
        """
        if validate:
            validate_request(self.wire_version, action, payload)
        unique_id = str(self._unique_id_generator())
        call = Call(unique_id, action, payload)
        timeout = self._response_timeout if timeout_s is None else timeout_s
        self._awaiting[unique_id] = (action, validate)
        try:
            async with self._call_lock:
                await self._send(call.to_json())
                response = await self._get_specific_response(unique_id, timeout)
        finally:
            self._awaiting.pop(unique_id, None)
        if isinstance(response, CallError):
            raise exception_for(response)
        reply: dict[str, Any] = response.payload
        return reply
