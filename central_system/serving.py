"""`ServedSession`: what the central system does for a connection whatever its OCPP version.

The 1.6 `ChargePointSession` and the 2.0.1 `ChargingStationSession` differ in their handlers;
how a connection is served is one contract, kept here once:
- a newer connection with the same id closes this one (`replace`), inside this session's own
  task group, since the old one may be half-open;
- a handler's writes join the event loop turn's group commit (`Store.batched`), and no frame
  goes out before what was written for it is committed (`Store.durable`);
- calls a handler asks for (`_after_reply`) go out once its reply has;
- a grid report is answered aside, since its answer waits for SetChargingProfile replies that
  come in through this connection's own receive loop;
- a bug costs one message, never the connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar

from ocpp.exceptions import OCPPError
from ocpp.messages import Call
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from central_system.backend import Backend
from central_system.data_transfer import is_grid_report
from ocppj import Endpoint

__all__ = ["ServedSession"]

FollowUp = Callable[[], Coroutine[Any, Any, None]]


class ServedSession(Endpoint):
    """The central system's side of one websocket connection, for a subclass's handlers: it
    names its `session_logger` and sets up its own state in `_init_session`."""

    session_logger: ClassVar[logging.Logger] = logging.getLogger(__name__)

    def __init__(
        self,
        charge_point_id: str,
        connection: ServerConnection,
        backend: Backend,
        *,
        max_frame_bytes: int | None,
        response_timeout_s: float,
    ) -> None:
        super().__init__(
            charge_point_id,
            connection,
            response_timeout=response_timeout_s,
            logger=self.session_logger,
        )
        self.max_frame_bytes = max_frame_bytes
        self.connection = connection
        self.connected_at = backend.clock()
        #: Messages received on this connection (a probe that sent none may be replaced).
        self.messages_received = 0
        self._backend = backend
        self._replaced = asyncio.Event()
        self._tasks: asyncio.TaskGroup | None = None
        #: Calls of ours that a handler asked for, sent once its reply has gone out.
        self._after_reply: list[FollowUp] = []
        self._followers: set[asyncio.Task[None]] = set()
        self._init_session()

    def _init_session(self) -> None:
        """The subclass's own state, set up once the connection's is."""

    async def run(self) -> None:
        """Serve the connection until it closes, or until a newer one replaces it."""
        async with asyncio.TaskGroup() as tasks:
            self._tasks = tasks
            closer = tasks.create_task(self._close_when_replaced())
            try:
                await self.start()
            except ConnectionClosed:
                pass
            finally:
                closer.cancel()
                for follower in self._followers:
                    follower.cancel()

    def replace(self) -> None:
        """A newer connection took this id: close this one (in this session's task group)."""
        self._replaced.set()

    async def _close_when_replaced(self) -> None:
        await self._replaced.wait()
        await self.connection.close(1000, "replaced by a newer connection")

    def _follow(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` beside the receive loop, cancelled when the connection ends."""
        assert self._tasks is not None
        follower = self._tasks.create_task(work)
        self._followers.add(follower)
        follower.add_done_callback(self._followers.discard)

    async def route_message(self, raw_msg: str | bytes) -> None:
        self.messages_received += 1
        try:
            await super().route_message(raw_msg)
        except ConnectionClosed:
            raise
        except Exception:
            # Last resort: a bug must cost one message, not the connection.
            self.logger.exception("%s: failed to route a message", self.id)
        while self._after_reply and self._tasks is not None:
            self._follow(self._after_reply.pop(0)())

    def _invoke(self, handler: Callable[..., Any], kwargs: dict[str, Any], call: Call) -> Any:
        # The handler's writes join this event loop turn's group commit (store.batched) ...
        with self._backend.store.batched():
            return super()._invoke(handler, kwargs, call)

    async def _handle_call(self, call: Call) -> None:
        if (
            self._backend.grid is not None
            and self._tasks is not None
            and is_grid_report(call.action, call.payload)
        ):
            self._follow(self._handle_aside(call))
            return
        await super()._handle_call(call)

    async def _handle_aside(self, call: Call) -> None:
        try:
            await super()._handle_call(call)
        except OCPPError as error:
            await self._send(call.create_call_error(error).to_json())

    async def _send(self, message: str) -> None:
        # ... and no frame goes out before what was written for it is committed.
        await self._backend.store.durable()
        await super()._send(message)
