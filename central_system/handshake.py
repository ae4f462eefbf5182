"""Who may open a websocket: the charge point id from the path, and the basic auth settings.

Charge point ids (the last path segment, percent-decoded as strict UTF-8) follow the OCPP 1.6
identity rules as this central system enforces them: 1 to 48 characters (the security
whitepaper's and 2.0.1's limit for a charge point identity), each printable ASCII (0x20-0x7E;
a space or "/" arrives percent-encoded). Anything else (NUL, newline, non-ASCII, an invalid
UTF-8 escape) is refused at the handshake, so two distinct wire ids never collapse into one.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import unquote

from central_system.passwords import PasswordHash, ScryptCost, hash_password

__all__ = [
    "MAX_CHARGE_POINT_ID_LENGTH",
    "Credentials",
    "InvalidChargePointId",
    "basic_credentials",
    "charge_point_id_from_path",
    "check_charge_point_id",
]

MAX_CHARGE_POINT_ID_LENGTH: Final = 48


class InvalidChargePointId(ValueError):
    """A charge point id breaks the identity rules; the message says which, in one line."""


def check_charge_point_id(charge_point_id: str) -> str:
    """Return the id if it follows the rules, else raise InvalidChargePointId."""
    if not charge_point_id:
        raise InvalidChargePointId("the charge point id is empty")
    if len(charge_point_id) > MAX_CHARGE_POINT_ID_LENGTH:
        raise InvalidChargePointId(
            f"the charge point id has {len(charge_point_id)} characters "
            f"(at most {MAX_CHARGE_POINT_ID_LENGTH})"
        )
    for character in charge_point_id:
        if not " " <= character <= "~":
            raise InvalidChargePointId(
                f"the charge point id contains {character!r} (only printable ASCII)"
            )
    return charge_point_id


def charge_point_id_from_path(path: str) -> str | None:
    """The last segment of the request path ("/ocpp/CP%201?x" -> "CP 1"); None if empty.

    Raises InvalidChargePointId for a segment that is not a valid id once decoded."""
    segment = path.split("?", 1)[0].split("#", 1)[0].rsplit("/", 1)[-1]
    if not segment:
        return None
    try:
        charge_point_id = unquote(segment, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise InvalidChargePointId(
            "the charge point id is not valid UTF-8 once percent-decoded"
        ) from None
    return check_charge_point_id(charge_point_id)


@dataclass(frozen=True, slots=True)
class Credentials:
    """Security profile 1 (HTTP basic auth; the username is the charge point id).

    A per-id password wins over the shared one. With neither, no authentication is asked for
    (keys rotated through AuthorizationKey, kept in the store, add to this). Per-id passwords
    arrive as text (`unhashed`): the central system hashes them in the background once it
    listens, so a file of thousands costs no start-up time, and drops the text.
    """

    shared: PasswordHash | None = None
    per_id: Mapping[str, PasswordHash] = field(default_factory=dict)
    unhashed: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_passwords(
        cls,
        shared_password: str | None = None,
        passwords: Mapping[str, str] | None = None,
        *,
        cost: ScryptCost | None = None,
    ) -> Credentials:
        shared = None if shared_password is None else hash_password(shared_password, cost)
        return cls(shared, {}, dict(passwords or {}))

    @property
    def required(self) -> bool:
        return self.shared is not None or bool(self.per_id) or bool(self.unhashed)


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """(username, password) from an `Authorization: Basic ...` header; None if absent or
    malformed."""
    if authorization is None:
        return None
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, colon, password = decoded.partition(":")
    return (username, password) if colon else None
