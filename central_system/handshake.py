"""Who may open a websocket: the charge point id from the path, the allow-list, basic auth."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit


def charge_point_id_from_path(path: str) -> str | None:
    """The last segment of the request path ("/ocpp/CP%201?x" -> "CP 1"); None if empty."""
    segment = urlsplit(path).path.rsplit("/", 1)[-1]
    charge_point_id = unquote(segment)
    return charge_point_id or None


@dataclass(frozen=True, slots=True)
class Credentials:
    """Security profile 1 (HTTP basic auth; the username is the charge point id).

    With neither a shared password nor per-id passwords, no authentication is asked for.
    """

    shared_password: str | None = None
    passwords: Mapping[str, str] = field(default_factory=dict)

    @property
    def required(self) -> bool:
        return self.shared_password is not None or bool(self.passwords)

    def password_for(self, charge_point_id: str) -> str | None:
        if self.shared_password is not None:
            return self.shared_password
        return self.passwords.get(charge_point_id)


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
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


def is_authorized(
    credentials: Credentials, charge_point_id: str, authorization: str | None
) -> bool:
    """Whether an Authorization header lets `charge_point_id` in."""
    if not credentials.required:
        return True
    expected = credentials.password_for(charge_point_id)
    given = _basic_credentials(authorization)
    if expected is None or given is None or given[0] != charge_point_id:
        return False
    return hmac.compare_digest(given[1].encode(), expected.encode())
