"""The operator's HTTP API (aiohttp) for central-system-initiated calls and a look at who is on.

Every request is checked before any route runs (see `_guard`): the Host header must name the
loopback and the bound port (DNS rebinding), an Origin header, if any, must be that same
loopback origin (cross-site requests), `Authorization: Bearer <the API token>` must match
(compared in constant time) and a body must be `Content-Type: application/json` (a web page
can send text/plain cross-site without a preflight). Refusals: 403, 401, 415.

GET  /health                                     {"status": "ok", "connected": N}
GET  /charge-points                              connected charge points, last status
POST /charge-points/{id}/calls/{Action}[?timeout_s=S]
     body: the OCPP payload, camelCase exactly as on the wire (empty body = {}); the
     charge point's subprotocol (1.6 or 2.0.1) decides which actions and schemas apply
     200 the charge point's reply payload (camelCase)
     400 {"error"}: body not a JSON object, bad query, payload fails the action's schema,
         or the action is not one the central system sends
     404 {"error"}: charge point not connected
     502 {"error", "call_error": {"code", "description", "details"}}: the charge point
         answered with a CALLERROR (or with a reply that fails its schema)
     504 {"error"}: no reply within timeout_s (default: --call-timeout-s)
POST /api/octt/...                               the OCTT trigger convention (octt_trigger)
"""

from __future__ import annotations

import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Final

from aiohttp import web
from ocpp.exceptions import OCPPError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from websockets.exceptions import ConnectionClosed

from central_system import octt_trigger
from central_system.config import CentralSystemConfig
from central_system.records import StatusReport
from central_system.registry import AnySession, SessionRegistry
from central_system.store import Store
from central_system.timestamps import format_timestamp
from central_system.v201.actions import CSMS_ACTIONS_201
from central_system.v201.records import ConnectorStatus
from ocppj import OCPP16, OCPP201, Version, validate_request

__all__ = [
    "CENTRAL_SYSTEM_ACTIONS_16",
    "LOOPBACK_HOSTS",
    "CallOptions",
    "create_app",
    "start_operator_api",
]

#: OCPP 1.6 actions a central system initiates (core, smart charging, reservation, local list,
#: firmware, remote trigger and the security extension).
CENTRAL_SYSTEM_ACTIONS_16: Final = frozenset(
    {
        "CancelReservation",
        "CertificateSigned",
        "ChangeAvailability",
        "ChangeConfiguration",
        "ClearCache",
        "ClearChargingProfile",
        "DataTransfer",
        "DeleteCertificate",
        "ExtendedTriggerMessage",
        "GetCompositeSchedule",
        "GetConfiguration",
        "GetDiagnostics",
        "GetInstalledCertificateIds",
        "GetLocalListVersion",
        "GetLog",
        "InstallCertificate",
        "RemoteStartTransaction",
        "RemoteStopTransaction",
        "ReserveNow",
        "Reset",
        "SendLocalList",
        "SetChargingProfile",
        "SignedUpdateFirmware",
        "TriggerMessage",
        "UnlockConnector",
        "UpdateFirmware",
    }
)

#: What a central system may send, per subprotocol.
_ACTIONS: Final[dict[Version, frozenset[str]]] = {
    OCPP16: CENTRAL_SYSTEM_ACTIONS_16,
    OCPP201: CSMS_ACTIONS_201,
}

_REGISTRY: Final[web.AppKey[SessionRegistry]] = web.AppKey("registry", SessionRegistry)
_CONFIG: Final = web.AppKey("config", CentralSystemConfig)

#: The only names a request may use for the API (with the port it listens on).
LOOPBACK_HOSTS: Final = ("127.0.0.1", "localhost", "[::1]")
#: The scheme of an Origin header that is ours (the API speaks plain HTTP on the loopback).
_ORIGIN_SCHEME: Final = "http://"


def _allowed_hosts(port: int) -> frozenset[str]:
    hosts = {f"{host}:{port}" for host in LOOPBACK_HOSTS}
    if port == 80:  # the default port may be left out of a Host header
        hosts.update(LOOPBACK_HOSTS)
    return frozenset(hosts)


def _single_header(request: web.Request, name: str) -> str | None:
    """The header's value; "" when it is repeated (never trusted), None when absent."""
    values = request.headers.getall(name, [])
    if not values:
        return None
    return values[0] if len(values) == 1 else ""


def _bearer_token(authorization: str | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _token_matches(presented: str | None, expected: str) -> bool:
    if not presented:
        return False
    # compare_digest: no early exit on the first differing byte (the length may show).
    return hmac.compare_digest(
        presented.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )


def _refusal(request: web.Request, token: str) -> web.Response | None:
    """Why the request may not reach a route (a response), or None when it may."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if not sockname:
        return _error(403, "the connection is closed")
    hosts = _allowed_hosts(int(sockname[1]))
    host = _single_header(request, "Host")
    if host is None or host.lower() not in hosts:
        return _error(
            403, f"the Host header must be 127.0.0.1:{sockname[1]}, localhost or [::1] at that port"
        )
    origin = _single_header(request, "Origin")
    if origin is not None and not (
        origin.lower().startswith(_ORIGIN_SCHEME)
        and origin.lower().removeprefix(_ORIGIN_SCHEME) in hosts
    ):
        return _error(403, "cross-origin requests are refused")
    if not _token_matches(_bearer_token(_single_header(request, "Authorization")), token):
        response = _error(401, "missing or wrong API token (Authorization: Bearer <token>)")
        response.headers["WWW-Authenticate"] = 'Bearer realm="chargenet operator API"'
        return response
    if request.body_exists and request.content_type != "application/json":
        return _error(415, "a request body must be sent as Content-Type: application/json")
    return None


def _guard(token: str) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def guard(
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        refusal = _refusal(request, token)
        return refusal if refusal is not None else await handler(request)

    return guard


class CallOptions(BaseModel):
    """Query parameters of an operator call."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout_s: float = Field(gt=0, le=600)


def _error(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


def _session_view(session: AnySession) -> dict[str, Any]:
    # Keyed by connector id (1.6) or by "evseId/connectorId" (2.0.1).
    statuses: list[tuple[int | str, StatusReport | ConnectorStatus]] = list(
        session.last_status.items()
    )
    return {
        "id": session.id,
        "subprotocol": session.wire_version,
        "connected_at": format_timestamp(session.connected_at),
        "last_status": {
            str(connector_id): {
                "status": report.status,
                "error_code": report.error_code,
                "timestamp": None
                if report.timestamp is None
                else format_timestamp(report.timestamp),
            }
            for connector_id, report in sorted(statuses, key=lambda item: item[0])
        },
    }


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "connected": len(request.app[_REGISTRY])})


async def _charge_points(request: web.Request) -> web.Response:
    registry = request.app[_REGISTRY]
    sessions = sorted(registry, key=lambda session: session.id)
    return web.json_response({"charge_points": [_session_view(session) for session in sessions]})


async def _read_payload(request: web.Request) -> dict[str, Any]:
    body = await request.read()
    if not body.strip():
        return {}
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise ValueError("body must be a JSON object (the OCPP payload)")
    return payload


async def _call(request: web.Request) -> web.Response:
    return await _call_action(
        request, request.match_info["charge_point_id"], request.match_info["action"]
    )


async def _call_action(
    request: web.Request, charge_point_id: str, action: str, version: Version | None = None
) -> web.Response:
    """Send `action`; `version` (the OCTT trigger's path) must be the charge point's."""
    config = request.app[_CONFIG]
    try:
        options = CallOptions.model_validate({"timeout_s": config.call_timeout_s, **request.query})
    except ValidationError as exc:
        first = exc.errors()[0]
        return _error(400, f"query {'.'.join(map(str, first['loc']))}: {first['msg']}")
    allowed = _ACTIONS[version] if version else CENTRAL_SYSTEM_ACTIONS_16 | CSMS_ACTIONS_201
    if action not in allowed:
        return _error(400, f"{action} is not an action the central system sends")
    try:
        payload = await _read_payload(request)
    except ValueError as exc:
        return _error(400, str(exc))
    session = request.app[_REGISTRY].get(charge_point_id)
    if session is None:
        return _error(404, f"charge point {charge_point_id} is not connected")
    if version is not None and session.wire_version != version:
        return _error(409, f"charge point {charge_point_id} speaks {session.wire_version}")
    if action not in _ACTIONS[session.wire_version]:
        return _error(400, f"{action} is not an action a {session.wire_version} CSMS sends")
    try:
        validate_request(session.wire_version, action, payload)
    except OCPPError as exc:
        return _error(400, f"{exc.code}: {exc.description}")
    try:
        reply = await session.call_payload(action, payload, timeout_s=options.timeout_s)
    except TimeoutError:
        return _error(
            504,
            f"charge point {charge_point_id} did not answer {action} "
            f"within {options.timeout_s:g} s",
        )
    except ConnectionClosed:
        return _error(404, f"charge point {charge_point_id} disconnected")
    except OCPPError as exc:
        call_error = {"code": exc.code, "description": exc.description, "details": exc.details}
        return _error(
            502,
            f"charge point {charge_point_id} answered {action} with {exc.code}: {exc.description}",
            call_error=call_error,
        )
    await request.app[_REGISTRY].remember_authorization_key(charge_point_id, action, payload, reply)
    return web.json_response(reply)


def create_app(
    registry: SessionRegistry, config: CentralSystemConfig, store: Store | None = None
) -> web.Application:
    app = web.Application(middlewares=[_guard(config.api_token)])
    app[_REGISTRY] = registry
    app[_CONFIG] = config
    app.router.add_get("/health", _health)
    app.router.add_get("/charge-points", _charge_points)
    app.router.add_post("/charge-points/{charge_point_id}/calls/{action}", _call)
    octt_trigger.add_routes(app, _call_action, _ACTIONS, store, registry.credentials)
    return app


@asynccontextmanager
async def start_operator_api(
    registry: SessionRegistry, config: CentralSystemConfig, port: int, store: Store | None = None
) -> AsyncIterator[str]:
    """Serve the API on config.api_host:port (0: a free port); yields its base URL.

    Requests must carry config.api_token (see the module's docstring)."""
    host = config.api_host
    runner = web.AppRunner(create_app(registry, config, store), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = runner.addresses[0][1]
        url_host = f"[{host}]" if ":" in host else host
        yield f"http://{url_host}:{bound_port}"
    finally:
        await runner.cleanup()
