"""`Endpoint`: one OCPP-J connection's RPC, owned here (no `ocpp.ChargePoint` underneath).

An endpoint is the same class on both ends and for every version: the subprotocol
(`version=`, or a subclass's `default_version`) picks the schemas, the error codes and the
`call_result` module; the handlers are the subclass's `@on`/`@after` methods, found with the
`ocpp` package's public `create_route_map`, so handler code reads as it does on a stock
`ocpp` ChargePoint. From the `ocpp` package it uses only public names: `ocpp.messages`
(Call, CallResult, CallError), `ocpp.exceptions`, `ocpp.routing` and the version's
`call_result` dataclasses; `tests/central_system/ocppj/test_ocpp_surface.py` pins them.

What it does:
- Received frames go through `ocppj.frames.parse_frame`; every defective frame is answered
  with the CALLERROR its version names (a defective CALLRESULT/CALLERROR is never answered;
  when it names our outstanding CALL, that CALL fails with it instead of timing out).
- A received CALL is validated (`ocppj.validation`), its handler called with snake_case
  keyword arguments (and `call_unique_id` when the handler takes it); the returned dataclass
  becomes a camelCase reply without Nones, validated before it is sent. A handler's OCPPError
  is its answer; any other exception, or a reply that fails its schema, is InternalError, and
  the connection goes on. An `@after` hook runs once the reply is out.
- Our CALLs: a fresh uuid4 message id each, one outstanding per connection (a lock), the reply
  matched by id and validated; a reply with an id we are not waiting for is logged and
  ignored; no reply within `timeout_s` raises TimeoutError; a connection that closes while we
  wait raises its ConnectionClosed at once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import inspect
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any, ClassVar, Final, Protocol

from ocpp.exceptions import GenericError, OCPPError, UnknownCallErrorCodeError
from ocpp.messages import Call, CallError, CallResult, MessageType
from ocpp.routing import create_route_map

from ocppj.casing import camel_key, camel_keys, snake_keys
from ocppj.errors import Defect, error_for
from ocppj.frames import Rejected, parse_frame
from ocppj.json_codec import fast_dumps
from ocppj.validation import is_known_action, validate_request, validate_response
from ocppj.versions import OCPP16, OCPP201, Version, check_version

__all__ = ["DEFAULT_RESPONSE_TIMEOUT_S", "Connection", "Endpoint", "exception_for", "wire_payload"]

LOGGER = logging.getLogger("ocppj")

#: How long a CALL of ours waits for its reply unless told otherwise (the `ocpp` package's 30).
DEFAULT_RESPONSE_TIMEOUT_S: Final = 30.0

_CALL_RESULT_MODULES: Final[dict[Version, str]] = {
    OCPP16: "ocpp.v16.call_result",
    OCPP201: "ocpp.v201.call_result",
}


class Connection(Protocol):
    """What an endpoint needs of its websocket (websockets' client and server connections)."""

    async def send(self, message: str) -> None: ...

    async def recv(self) -> str | bytes: ...


def exception_for(call_error: CallError) -> OCPPError:
    """The OCPPError a received CALLERROR stands for (GenericError for a code OCPP lacks)."""
    try:
        return call_error.to_exception()
    except UnknownCallErrorCodeError:
        return GenericError(
            description=f"{call_error.error_code}: {call_error.error_description}",
            details={"error_code": call_error.error_code, **(call_error.error_details or {})},
        )


@dataclass(frozen=True, slots=True)
class _Outstanding:
    """A CALL of ours awaiting its reply."""

    action: str
    validate: bool
    reply: asyncio.Future[CallResult | CallError]


@cache
def _takes_unique_id(function: Callable[..., Any]) -> bool:
    return "call_unique_id" in inspect.signature(function).parameters


@cache
def _call_results(version: Version) -> ModuleType:
    return importlib.import_module(_CALL_RESULT_MODULES[version])


def _without_nones(data: Any) -> Any:
    """Drop None values (unset optional fields) from dicts and lists, recursively."""
    if isinstance(data, dict):
        return {key: _without_nones(value) for key, value in data.items() if value is not None}
    if isinstance(data, list):
        return [_without_nones(value) for value in data if value is not None]
    return data


class _Unusual(Exception):
    """A value `_wire` leaves to the general path (a tuple, a set, ...)."""


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(cls))


def _wire(value: Any) -> Any:
    """asdict + _without_nones + camel_keys in one pass, for dataclasses, dicts, lists and
    scalars (what ocpp's call_result dataclasses hold); raises _Unusual for anything else."""
    if isinstance(value, str | int | float):  # bool is an int
        return value
    if isinstance(value, dict):
        return {camel_key(key): _wire(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_wire(item) for item in value if item is not None]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = ((name, getattr(value, name)) for name in _field_names(type(value)))
        return {camel_key(name): _wire(item) for name, item in fields if item is not None}
    raise _Unusual


def wire_payload(message: object) -> dict[str, Any]:
    """A `call`/`call_result` dataclass as a wire payload: camelCase keys, no Nones."""
    if not dataclasses.is_dataclass(message) or isinstance(message, type):
        raise TypeError(f"{type(message).__name__} is not an ocpp call/call_result dataclass")
    try:
        fast: dict[str, Any] = _wire(message)
    except _Unusual:
        pass
    else:
        return fast
    payload: dict[str, Any] = camel_keys(_without_nones(dataclasses.asdict(message)))
    return payload


class Endpoint:
    """The OCPP-J RPC of one websocket connection; subclass it with `@on` handlers."""

    #: The subprotocol when the constructor is given none (a version module sets its own).
    default_version: ClassVar[Version] = OCPP16
    #: Frames longer than this many UTF-8 bytes are refused unparsed (None: no limit here).
    max_frame_bytes: int | None = None

    def __init__(
        self,
        id: str,
        connection: Connection | None,
        response_timeout: float = DEFAULT_RESPONSE_TIMEOUT_S,
        logger: logging.Logger = LOGGER,
        *,
        version: Version | None = None,
    ) -> None:
        # The positional order and `response_timeout` are the stock ChargePoint's, so
        # subclasses written for it construct this unchanged.
        self.id = id
        self.logger = logger
        self.wire_version: Version = check_version(version or self.default_version)
        self.response_timeout_s = float(response_timeout)
        self._connection = connection
        self.route_map = create_route_map(self)
        self._rpc_lock = asyncio.Lock()
        self._rpc_outstanding: dict[str, _Outstanding] = {}
        self._rpc_hooks: set[asyncio.Task[Any]] = set()

    # --- the connection -----------------------------------------------------------------

    async def start(self) -> None:
        """Route every received message until the connection closes (its ConnectionClosed
        propagates, and fails any CALL of ours still waiting)."""
        connection = self._require_connection()
        try:
            while True:
                message = await connection.recv()
                self.logger.info("%s: receive message %s", self.id, message)
                await self.route_message(message)
        except BaseException as error:
            self._fail_outstanding(error)
            raise

    async def _send(self, message: str) -> None:
        """Every frame this endpoint sends goes out here (a subclass may redirect it)."""
        self.logger.info("%s: send %s", self.id, message)
        await self._require_connection().send(message)

    def _require_connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError(f"{self.id}: the endpoint has no connection yet")
        return self._connection

    def new_message_id(self) -> str:
        """A message id for a CALL of ours: a uuid4, unique across connections too."""
        return str(uuid.uuid4())

    # --- received frames ----------------------------------------------------------------

    async def route_message(self, raw_msg: str | bytes) -> None:
        """Handle one received websocket message."""
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
            return
        if frame.message_id is not None and frame.message_id in self._rpc_outstanding:
            # A garbled reply to our CALL fails that CALL instead of leaving it to time out.
            error = frame.error
            self._settle(
                frame.message_id,
                CallError(frame.message_id, error.code, error.description, error.details),
            )

    def _route_response(self, frame: CallResult | CallError) -> None:
        outstanding = self._rpc_outstanding.get(frame.unique_id)
        if outstanding is None:
            self.logger.warning("%s: ignoring a reply with unknown id %s", self.id, frame.unique_id)
            return
        if isinstance(frame, CallResult) and outstanding.validate:
            try:
                validate_response(self.wire_version, outstanding.action, frame.payload)
            except OCPPError as error:
                frame = CallError(frame.unique_id, error.code, error.description, error.details)
        self._settle(frame.unique_id, frame)

    def _settle(self, message_id: str, frame: CallResult | CallError) -> None:
        outstanding = self._rpc_outstanding.pop(message_id)
        if not outstanding.reply.done():
            outstanding.reply.set_result(frame)

    def _fail_outstanding(self, error: BaseException) -> None:
        if not isinstance(error, Exception):
            return  # cancelled: the waiters are being cancelled too, or time out
        for outstanding in self._rpc_outstanding.values():
            if not outstanding.reply.done():
                outstanding.reply.set_exception(error)
                # Retrieved: a waiter cancelled at this very moment (a session closing its
                # follower tasks) must not leave "Future exception was never retrieved".
                outstanding.reply.exception()
        self._rpc_outstanding.clear()

    async def _handle_call(self, call: Call) -> None:
        """Validate, dispatch to the `@on` handler, answer; raises the OCPPError to answer
        with when there is no handler or the request fails its schema."""
        version = self.wire_version
        handlers = self.route_map.get(call.action)
        if handlers is None or "_on_action" not in handlers:
            known = is_known_action(version, call.action)
            defect = Defect.UNSUPPORTED_ACTION if known else Defect.UNKNOWN_ACTION
            raise error_for(version, defect, f"No handler for {call.action}")
        validate_request(version, call.action, call.payload)
        kwargs = snake_keys(call.payload)
        try:
            reply = self._invoke(handlers["_on_action"], kwargs, call)
            if inspect.isawaitable(reply):  # an async handler; no coroutine of ours per reply
                reply = await reply
            payload = wire_payload(reply)
        except OCPPError as error:  # the handler's own answer
            self.logger.info("%s: %s handler refused: %s", self.id, call.action, error)
            await self._send(call.create_call_error(error).to_json())
            return
        except Exception as error:  # a bug: InternalError, and the connection goes on
            self.logger.exception("%s: %s handler failed", self.id, call.action)
            await self._send(call.create_call_error(error).to_json())
            return
        try:
            validate_response(version, call.action, payload)
        except OCPPError as error:
            # Our own reply is wrong: that is an internal error, not the caller's fault.
            self.logger.error("%s reply failed its schema: %s", call.action, error.description)
            raise error_for(
                version, Defect.INTERNAL, f"{call.action} reply failed its schema"
            ) from error
        text = fast_dumps([MessageType.CallResult, call.unique_id, payload])
        await self._send(call.create_call_result(payload).to_json() if text is None else text)
        hook = handlers.get("_after_action")
        if hook is not None:
            self._run_after_hook(hook, kwargs, call)

    def _invoke(self, handler: Callable[..., Any], kwargs: dict[str, Any], call: Call) -> Any:
        if _takes_unique_id(getattr(handler, "__func__", handler)):
            return handler(**kwargs, call_unique_id=call.unique_id)
        return handler(**kwargs)

    def _run_after_hook(self, hook: Callable[..., Any], kwargs: dict[str, Any], call: Call) -> None:
        """Run an `@after` hook; a coroutine runs as its own task, so that it may make
        calls of its own (their replies arrive through this endpoint's receive loop)."""
        try:
            result = self._invoke(hook, kwargs, call)
        except Exception:
            self.logger.exception("%s: %s after-hook failed", self.id, call.action)
            return
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._rpc_hooks.add(task)
            task.add_done_callback(self._hook_done)

    def _hook_done(self, task: asyncio.Task[Any]) -> None:
        self._rpc_hooks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.logger.error("%s: an after-hook failed", self.id, exc_info=task.exception())

    # --- our CALLs ----------------------------------------------------------------------

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
        OCPPError for a request that fails its schema (nothing is sent), TimeoutError after
        `timeout_s` (default: the endpoint's `response_timeout_s`), and the connection's
        ConnectionClosed when it closes first (when `start()` is the receive loop). A
        connection never has two CALLs of ours outstanding: a second waits for the first.
        """
        if validate:
            validate_request(self.wire_version, action, payload)
        timeout = self.response_timeout_s if timeout_s is None else timeout_s
        async with self._rpc_lock:
            message_id = self.new_message_id()
            reply: asyncio.Future[CallResult | CallError] = (
                asyncio.get_running_loop().create_future()
            )
            self._rpc_outstanding[message_id] = _Outstanding(action, validate, reply)
            frame = Call(message_id, action, payload).to_json()
            try:
                await self._send(frame)
                async with asyncio.timeout(timeout):
                    response = await reply
            except TimeoutError:
                raise TimeoutError(
                    f"{self.id}: no reply to {action} {message_id} within {timeout:g} s"
                ) from None
            finally:
                self._rpc_outstanding.pop(message_id, None)
        if isinstance(response, CallError):
            raise exception_for(response)
        return response.payload

    async def call(
        self, request: object, *, timeout_s: float | None = None, validate: bool = True
    ) -> Any:
        """Send a `call` dataclass of this version (`ocpp.v16.call.Heartbeat()`); return the
        reply as the `call_result` dataclass of the same name. Raises like `call_payload`."""
        action = type(request).__name__
        payload = await self.call_payload(
            action, wire_payload(request), timeout_s=timeout_s, validate=validate
        )
        result_type = getattr(_call_results(self.wire_version), action)
        return result_type(**snake_keys(payload))
