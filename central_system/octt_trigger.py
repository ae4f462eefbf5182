"""The OCTT trigger convention on the operator API: what compliance suites call to make a
central system act (the same guard as every operator route: loopback, bearer token, JSON).

POST /api/octt/1.6/{station_id}/{kebab-action}   body: the OCPP payload
     the same as POST /charge-points/{station_id}/calls/{Action}: 200 the charge point's
     reply; 400, 404, 502, 504 as there; an action not sent by a central system is 404
POST /api/octt/2.0.1/{station_id}/{kebab-action}  the same for a 2.0.1 charging station
     (`request-start-transaction`, `get-variables`, ...); 409 when the station is connected
     over the other version
POST /api/octt/create-token      {"idTag", "status"="Accepted", "expiryDate"?, "parentIdTag"?}
     or, as 2.0.1 writes it, {"idToken": {"idToken", "type"}, "status", "expiryDate"?,
     "groupIdToken"?: {"idToken", "type"}}
     200 {"idTag", "status"} (and "type" for an idToken): the tag is provisioned (created or
     replaced), as --id-tags does. A tag is text of 1 to 36 printable ASCII characters (2.0.1's
     idToken; 1.6's idTag is 20 at most, so a 1.6 charge point presents only the shorter
     ones); a token's type is one of 2.0.1's IdTokenEnumType but NoAuthorization (accepted
     without asking); Authorize matches a tag by its text, whatever the type. The parent of a
     tag of 20 characters or fewer is 20 at most: a 1.6 answer carries it
POST /api/octt/set-basic-auth-password   {"stationId", "password"}
     200 {"stationId"}: the password is the charge point's from now on (hashed and stored, as
     an accepted AuthorizationKey is); its previous one is refused
GET  /api/octt/1.6, /api/octt/2.0.1   200 {"actions": [...]}: the kebab actions it serves
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Final, Self

from aiohttp import web
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError, model_validator

from central_system.credentials import CredentialBook
from central_system.records import IdTag, IdTagStatus
from central_system.store import Store
from ocppj import Version
from ocppj.casing import kebab_action

__all__ = [
    "add_routes",
]

#: What 2.0.1 allows for an idToken (string[36]; 1.6's idTag, CiString20Type, is a shorter one)
#: and for a charge point id (the id rules).
_ID_TAG = Annotated[str, StringConstraints(min_length=1, max_length=36, pattern=r"^[ -~]+$")]
_ID_TAG_16_LENGTH: Final = 20
_STATION_ID = Annotated[str, StringConstraints(min_length=1, max_length=48, pattern=r"^[!-~]+$")]
#: The AuthorizationKey's bounds: 16 to 20 bytes, as 32 to 40 hex digits, or as text (any
#: printable ASCII of 8 to 40 characters: a backend's own basic-auth passwords).
_PASSWORD = Annotated[str, StringConstraints(min_length=8, max_length=40, pattern=r"^[ -~]+$")]

Call = Callable[[web.Request, str, str, Version], Awaitable[web.Response]]

#: The version segment of a trigger path, per subprotocol.
_PATH_VERSIONS: Final[dict[Version, str]] = {"ocpp1.6": "1.6", "ocpp2.0.1": "2.0.1"}


class _TokenType(StrEnum):
    """2.0.1's IdTokenEnumType, but NoAuthorization (nothing to provision)."""

    CENTRAL = "Central"
    EMAID = "eMAID"
    ISO14443 = "ISO14443"
    ISO15693 = "ISO15693"
    KEY_CODE = "KeyCode"
    LOCAL = "Local"
    MAC_ADDRESS = "MacAddress"


class _IdToken(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    idToken: _ID_TAG
    type: _TokenType


class _CreateToken(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    idTag: _ID_TAG | None = None
    idToken: _IdToken | None = None
    status: IdTagStatus = IdTagStatus.ACCEPTED
    expiryDate: datetime | None = None
    parentIdTag: _ID_TAG | None = None
    groupIdToken: _IdToken | None = None

    @model_validator(mode="after")
    def _one_of_each(self) -> Self:
        if (self.idTag is None) == (self.idToken is None):
            raise ValueError("give idTag (1.6) or idToken (2.0.1), one of them")
        if self.parentIdTag is not None and self.groupIdToken is not None:
            raise ValueError("give parentIdTag (1.6) or groupIdToken (2.0.1), not both")
        parent = self.parent
        if parent is not None and len(self.tag) <= _ID_TAG_16_LENGTH < len(parent):
            raise ValueError(
                f"a 1.6 charge point may present {self.tag!r}, and its answer's parentIdTag "
                f"is {_ID_TAG_16_LENGTH} characters at most"
            )
        return self

    @property
    def tag(self) -> str:
        if self.idToken is not None:
            return self.idToken.idToken
        assert self.idTag is not None
        return self.idTag

    @property
    def parent(self) -> str | None:
        return self.groupIdToken.idToken if self.groupIdToken is not None else self.parentIdTag


class _SetPassword(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    stationId: _STATION_ID
    password: _PASSWORD


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _body(request: web.Request, model: type[BaseModel]) -> BaseModel | web.Response:
    try:
        return model.model_validate_json(await request.read() or b"{}")
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"])) or "body"
        return _error(400, f"{where}: {first['msg']}")


def add_routes(
    app: web.Application,
    call: Call,
    actions: Mapping[Version, frozenset[str]],
    store: Store | None,
    credentials: CredentialBook | None,
) -> None:
    """Serve the convention on `app`; `call(request, station_id, Action, version)` is the
    operator API's own call route."""
    for version, names in actions.items():
        _add_action_routes(app, call, version, names)

    async def create_token(request: web.Request) -> web.Response:
        body = await _body(request, _CreateToken)
        if isinstance(body, web.Response):
            return body
        assert isinstance(body, _CreateToken)
        if store is None:
            return _error(503, "no store to provision tags in")
        store.provision_id_tags([IdTag(body.tag, body.status, body.expiryDate, body.parent)])
        reply = {"idTag": body.tag, "status": body.status.value}
        if body.idToken is not None:
            reply["type"] = body.idToken.type.value
        return web.json_response(reply)

    async def set_password(request: web.Request) -> web.Response:
        body = await _body(request, _SetPassword)
        if isinstance(body, web.Response):
            return body
        assert isinstance(body, _SetPassword)
        if credentials is None:
            return _error(503, "no credentials to set")
        await credentials.rotate(body.stationId, body.password)
        return web.json_response({"stationId": body.stationId})

    app.router.add_post("/api/octt/create-token", create_token)
    app.router.add_post("/api/octt/set-basic-auth-password", set_password)


def _add_action_routes(
    app: web.Application, call: Call, version: Version, actions: frozenset[str]
) -> None:
    by_kebab: Final = {kebab_action(action): action for action in actions}

    async def action(request: web.Request) -> web.Response:
        name = by_kebab.get(request.match_info["action"])
        if name is None:
            unknown = request.match_info["action"]
            return _error(404, f"{unknown}: not an action the central system sends")
        return await call(request, request.match_info["station_id"], name, version)

    async def index(_request: web.Request) -> web.Response:
        return web.json_response({"actions": sorted(by_kebab)})

    prefix = f"/api/octt/{_PATH_VERSIONS[version]}"
    app.router.add_get(prefix, index)
    app.router.add_post(prefix + "/{station_id}/{action}", action)
