"""The websocket server: handshake checks, one `ChargePointSession` per connection.

`running(config)` starts the websocket server and the operator API and yields their URLs; on
exit both stop (open connections are closed with 1001) and the store is closed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from http import HTTPStatus

from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from central_system.backend import Backend
from central_system.config import CentralSystemConfig
from central_system.handshake import charge_point_id_from_path, is_authorized
from central_system.limits import MAX_QUEUED_FRAMES, connection_guard, listening_socket
from central_system.operator_api import start_operator_api
from central_system.registry import SessionRegistry
from central_system.session import ChargePointSession
from central_system.store import Store
from ocppj import OCPP16, warm_up

LOGGER = logging.getLogger("central_system.server")


@dataclass(frozen=True, slots=True)
class RunningCentralSystem:
    #: Charge points connect to f"{ws_url}/{charge_point_id}".
    ws_url: str
    #: None when the operator API is off.
    api_url: str | None
    store: Store
    registry: SessionRegistry


class _WebsocketEndpoint:
    def __init__(self, config: CentralSystemConfig, backend: Backend, registry: SessionRegistry):
        self._config = config
        self._backend = backend
        self._registry = registry

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Refuse before the upgrade: no id in the path or an id off the allow-list -> 404,
        wrong or missing basic auth -> 401. (A missing subprotocol is refused by websockets
        itself with 400, as we pass it the supported list.)"""
        charge_point_id = charge_point_id_from_path(request.path)
        if charge_point_id is None:
            return connection.respond(HTTPStatus.NOT_FOUND, "No charge point id in the path\n")
        allowed = self._config.allowed_ids
        if allowed is not None and charge_point_id not in allowed:
            LOGGER.info("refused unknown charge point %r", charge_point_id)
            return connection.respond(HTTPStatus.NOT_FOUND, "Unknown charge point id\n")
        authorization = request.headers.get("Authorization")
        if not is_authorized(self._config.credentials, charge_point_id, authorization):
            LOGGER.info("refused charge point %r: bad credentials", charge_point_id)
            response = connection.respond(HTTPStatus.UNAUTHORIZED, "Unauthorized\n")
            response.headers["WWW-Authenticate"] = 'Basic realm="chargenet", charset="UTF-8"'
            return response
        return None

    async def handle(self, connection: ServerConnection) -> None:
        charge_point_id = charge_point_id_from_path(
            connection.request.path if connection.request else ""
        )
        assert charge_point_id is not None  # process_request refused the others
        if connection.subprotocol != OCPP16:
            # Only 1.6 sessions exist yet: a 2.0.1 one will be picked here by subprotocol.
            await connection.close(1002, f"unsupported subprotocol {connection.subprotocol}")
            return
        session = ChargePointSession(
            charge_point_id,
            connection,
            self._backend,
            max_frame_bytes=self._config.max_frame_bytes,
            response_timeout_s=self._config.call_timeout_s,
        )
        self._backend.store.record_connection(charge_point_id, session.connected_at)
        previous = self._registry.add(session)
        if previous is not None:
            LOGGER.info("%s: a new connection replaces the old one", charge_point_id)
            previous.replace()
        try:
            await session.run()
        finally:
            self._registry.discard(session)


@asynccontextmanager
async def running(config: CentralSystemConfig) -> AsyncIterator[RunningCentralSystem]:
    for version in config.subprotocols:
        warm_up(version)  # compile the schemas now, not while the first boots wait
    store = Store(config.db_path)
    try:
        store.provision_id_tags(config.id_tags)
        backend = Backend(store, config.boot_policy, accept_unknown_tags=config.accept_unknown_tags)
        registry = SessionRegistry()
        endpoint = _WebsocketEndpoint(config, backend, registry)
        async with AsyncExitStack() as stack:
            guard = await stack.enter_async_context(connection_guard(config.max_connections))
            sock = listening_socket(config.host, config.port)
            if sock is not None:
                stack.callback(sock.close)
            server = await stack.enter_async_context(
                serve(
                    endpoint.handle,
                    config.host if sock is None else None,
                    config.port if sock is None else None,
                    sock=sock,
                    subprotocols=[Subprotocol(version) for version in config.subprotocols],
                    process_request=endpoint.process_request,
                    max_size=config.websocket_max_size,
                    max_queue=MAX_QUEUED_FRAMES,
                    # OCPP frames are small: deflate would cost more CPU than it saves.
                    compression=None,
                    open_timeout=config.handshake_timeout_s,
                    close_timeout=config.close_timeout_s,
                    # The connection cap: see central_system.limits.
                    create_connection=guard.connection_type,
                    # Thousands of charge points may dial at the same instant.
                    backlog=4096,
                )
            )
            stack.callback(guard.refuse_waiting)  # runs before the server's own close
            port = server.sockets[0].getsockname()[1]
            ws_url = f"ws://{_url_host(config.host)}:{port}"
            api_url = None
            if config.api_port is not None:
                api_url = await stack.enter_async_context(
                    start_operator_api(registry, config, config.api_port)
                )
            yield RunningCentralSystem(ws_url, api_url, store, registry)
    finally:
        store.close()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
