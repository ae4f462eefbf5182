"""The websocket server: handshake checks, one `ChargePointSession` per connection.

`running(config)` starts the websocket server and the operator API and yields their URLs; on
exit both stop (open connections are closed with 1001) and the store is closed.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import weakref
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import NegotiationError
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from central_system.backend import Backend
from central_system.config import CentralSystemConfig
from central_system.credentials import CredentialBook, LoginOutcome
from central_system.grid import SiteController, Station, tx_profile
from central_system.handshake import InvalidChargePointId, charge_point_id_from_path
from central_system.limits import MAX_QUEUED_FRAMES, connection_guard, listening_socket
from central_system.login_throttle import LoginThrottle
from central_system.registry import Admission, SessionRegistry
from central_system.session import ChargePointSession
from central_system.store import Store
from central_system.tls import server_context, subject_common_names
from ocppj import OCPP16, OCPP201, warm_up

if TYPE_CHECKING:
    from central_system.v201.session import ChargingStationSession

__all__ = [
    "RunningCentralSystem",
    "running",
]

LOGGER = logging.getLogger("central_system.server")


@dataclass(frozen=True, slots=True)
class RunningCentralSystem:
    #: Charge points connect to f"{ws_url}/{charge_point_id}".
    ws_url: str
    #: None when the operator API is off.
    api_url: str | None
    store: Store
    registry: SessionRegistry
    #: What every operator API request must carry as `Authorization: Bearer <api_token>`.
    api_token: str = field(default="", repr=False)


class _WebsocketEndpoint:
    def __init__(self, config: CentralSystemConfig, backend: Backend, registry: SessionRegistry):
        self._config = config
        self._backend = backend
        self._registry = registry
        #: What each handshake was admitted as, from process_request to handle.
        self._admissions: weakref.WeakKeyDictionary[ServerConnection, Admission] = (
            weakref.WeakKeyDictionary()
        )

    async def process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        """Refuse before the upgrade, in this order: an id breaking the identity rules -> 400;
        no id in the path or an id off the allow-list -> 404; a client certificate (profile 3)
        naming another id -> 403; too many failed logins -> 429 with Retry-After; wrong or
        missing basic auth -> 401; the id held by a live connection that this one may not
        replace -> 409. (A missing subprotocol is refused by websockets itself with 400.)"""
        try:
            charge_point_id = charge_point_id_from_path(request.path)
        except InvalidChargePointId as exc:
            LOGGER.info("refused a handshake: %s", exc)
            return connection.respond(HTTPStatus.BAD_REQUEST, f"{exc}\n")
        if charge_point_id is None:
            return connection.respond(HTTPStatus.NOT_FOUND, "No charge point id in the path\n")
        allowed = self._config.allowed_ids
        if allowed is not None and charge_point_id not in allowed:
            LOGGER.info("refused unknown charge point %r", charge_point_id)
            return connection.respond(HTTPStatus.NOT_FOUND, "Unknown charge point id\n")
        certified = False
        if self._config.tls is not None and self._config.tls.client_ca_file is not None:
            names = subject_common_names(connection.transport.get_extra_info("peercert"))
            if names != (charge_point_id,):
                LOGGER.info("refused charge point %r: certificate for %r", charge_point_id, names)
                return connection.respond(
                    HTTPStatus.FORBIDDEN, "The client certificate is for another charge point\n"
                )
            certified = True
        proves_identity = certified
        credentials = self._registry.credentials
        if credentials is not None:
            address = connection.remote_address[0] if connection.remote_address else ""
            verdict = await credentials.check(
                charge_point_id, request.headers.get("Authorization"), str(address)
            )
            if verdict.outcome is LoginOutcome.THROTTLED:
                response = connection.respond(
                    HTTPStatus.TOO_MANY_REQUESTS, "Too many failed logins\n"
                )
                response.headers["Retry-After"] = str(math.ceil(verdict.retry_after_s))
                return response
            if verdict.outcome is LoginOutcome.REFUSED:
                LOGGER.info("refused charge point %r: bad credentials", charge_point_id)
                response = connection.respond(HTTPStatus.UNAUTHORIZED, "Unauthorized\n")
                response.headers["WWW-Authenticate"] = 'Basic realm="chargenet", charset="UTF-8"'
                return response
            proves_identity = proves_identity or verdict.proves_identity
        admission = await self._registry.admit(
            charge_point_id,
            proves_identity=proves_identity,
            probe_timeout_s=self._config.takeover_probe_timeout_s,
        )
        if admission is None:
            LOGGER.warning("refused charge point %r: already connected", charge_point_id)
            return connection.respond(
                HTTPStatus.CONFLICT, "This charge point id is connected already\n"
            )
        self._admissions[connection] = admission
        return None

    async def handle(self, connection: ServerConnection) -> None:
        charge_point_id = charge_point_id_from_path(
            connection.request.path if connection.request else ""
        )
        admission = self._admissions.pop(connection, None)
        assert charge_point_id is not None
        assert admission is not None
        # The subprotocol picks the session class (websockets admits only configured ones).
        session_type = _station_session() if connection.subprotocol == OCPP201 else None
        if session_type is None and connection.subprotocol != OCPP16:
            await connection.close(1002, f"unsupported subprotocol {connection.subprotocol}")
            return
        session = (session_type or ChargePointSession)(
            charge_point_id,
            connection,
            self._backend,
            max_frame_bytes=self._config.max_frame_bytes,
            response_timeout_s=self._config.call_timeout_s,
        )
        if not self._registry.add(session, admission):
            # Another connection took the id while this handshake was being checked.
            await connection.close(1008, "this charge point id is connected already")
            return
        if admission.replaces is not None:
            LOGGER.info("%r: a new connection replaces the old one", charge_point_id)
        self._backend.store.record_connection(charge_point_id, session.connected_at)
        try:
            await session.run()
        finally:
            self._registry.discard(session)


def _grid_station(registry: SessionRegistry, charge_point_id: str) -> Station | None:
    """The connected port of an id, with its version's SetChargingProfile of a grid share."""
    session = registry.get(charge_point_id)
    if session is None:
        return None
    if isinstance(session, ChargePointSession):
        return Station(session, tx_profile)
    from central_system.v201.session import ChargingStationSession  # loaded: one is connected

    if isinstance(session, ChargingStationSession):
        return Station(session, session.grid_share_payload)
    return None


@asynccontextmanager
async def running(config: CentralSystemConfig) -> AsyncIterator[RunningCentralSystem]:
    if OCPP16 in config.subprotocols:
        warm_up(OCPP16)  # compile the schemas now, not while the first boots wait
    # 2.0.1's 128 schemas took 5.3 s to compile at load 11 on 2 cores (1.6's 78: 1.0 s): each
    # is compiled when its action is first seen instead (TransactionEvent's: 0.18 s, once).
    store = Store(config.db_path)
    try:
        store.provision_id_tags(config.id_tags)
        backend = Backend(
            store,
            config.boot_policy,
            accept_unknown_tags=config.accept_unknown_tags,
            certificate_signing=config.certificate_signing,
            grid=None if config.grid_sites is None else SiteController(config.grid_sites),
        )
        credentials = CredentialBook(
            config.credentials,
            store,
            throttle=LoginThrottle(config.login_throttle),
            cost=config.password_cost,
        )
        registry = SessionRegistry(credentials)
        if backend.grid is not None:
            backend.grid.sessions = functools.partial(_grid_station, registry)
        endpoint = _WebsocketEndpoint(config, backend, registry)
        async with AsyncExitStack() as stack:
            stack.callback(credentials.close)
            tasks = await stack.enter_async_context(asyncio.TaskGroup())
            hashing = tasks.create_task(credentials.hash_provisioned())
            stack.callback(hashing.cancel)
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
                    select_subprotocol=_station_preference,
                    process_request=endpoint.process_request,
                    ssl=None if config.tls is None else server_context(config.tls),
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
            scheme = "ws" if config.tls is None else "wss"
            ws_url = f"{scheme}://{_url_host(config.host)}:{port}"
            api_url = None
            if config.api_port is not None:
                # aiohttp: imported only when the API is asked for (most of a start-up)
                from central_system.operator_api import start_operator_api

                api_url = await stack.enter_async_context(
                    start_operator_api(registry, config, config.api_port, store)
                )
            yield RunningCentralSystem(ws_url, api_url, store, registry, api_token=config.api_token)
    finally:
        store.close()


def _station_preference(
    connection: ServerConnection, offered: Sequence[Subprotocol]
) -> Subprotocol | None:
    """The first subprotocol in the station's own order that is served: a station offering
    `ocpp2.0.1, ocpp1.6` prefers 2.0.1. None offered or none served: HTTP 400."""
    served = connection.protocol.available_subprotocols or ()
    for subprotocol in offered:
        if subprotocol in served:
            return subprotocol
    raise NegotiationError(f"no supported subprotocol; expected one of {', '.join(served)}")


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _station_session() -> type[ChargePointSession] | type[ChargingStationSession]:
    # 2.0.1's session and the ocpp package's v201 dataclasses are imported with the first
    # 2.0.1 station: a 1.6-only central system starts without them (about 0.3 CPU-s)
    from central_system.v201.session import ChargingStationSession

    return ChargingStationSession
