"""What makes the backend under test initiate a call: the OCTT trigger convention over HTTP.

A case the central system initiates (RemoteStart, Reset, ReserveNow, ...) needs something to
tell the backend "send this now". The OCA's compliance tool and the open suites built on it
use a small HTTP convention, which `HttpTrigger` speaks:

    POST {trigger}/api/octt/1.6/{station_id}/{kebab-action}   body: the OCPP payload
    POST {trigger}/api/octt/2.0.1/{station_id}/{kebab-action} the same for a 2.0.1 station
    POST {trigger}/api/octt/create-token                      {"idTag", "status", ...}
    POST {trigger}/api/octt/set-basic-auth-password           {"stationId", "password"}

Any 2xx is success; anything else fails the step with the status and the first line of the
body. The built-in central system serves the convention on its operator API (bearer token).
A `Trigger` is anything with these three coroutines: the check's own tests drive their
mutant central systems through one in process.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final, Protocol
from urllib.parse import quote

from ocppj.casing import kebab_action
from ocppj.versions import OCPP16, OCPP201

__all__ = [
    "HttpTrigger",
    "Trigger",
    "TriggerFailed",
]

#: The version segment of the convention's paths (1.6's, the default).
OCPP_VERSION_SEGMENT: Final = "1.6"
#: The segment per OCPP version.
VERSION_SEGMENTS: Final = {OCPP16: OCPP_VERSION_SEGMENT, OCPP201: "2.0.1"}
#: Longest body text quoted in a failure.
MAX_QUOTED_CHARS: Final = 200


class TriggerFailed(Exception):
    """The trigger did not make the backend act: why, in one line."""


class Trigger(Protocol):
    #: How to describe the trigger in a verdict ("the trigger at http://...").
    description: str

    async def send(self, charge_point_id: str, action: str, payload: Mapping[str, Any]) -> None:
        """Make the backend send `action` with `payload` to `charge_point_id`."""

    async def create_token(
        self,
        id_tag: str,
        status: str,
        *,
        parent_id_tag: str | None = None,
        expiry_date: str | None = None,
    ) -> None:
        """Make the backend know `id_tag` with `status` (and parent, expiry)."""

    async def set_password(self, charge_point_id: str, password: str) -> None:
        """Make the backend take `password` as the basic-auth password of the charge point."""


class HttpTrigger:
    """The OCTT trigger convention at `base_url`, with a bearer token if given; its action
    paths name `ocpp_version` (1.6 or 2.0.1)."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout_s: float,
        ocpp_version: str = OCPP16,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.description = f"the trigger at {self.base_url}"
        self._token = token
        self._timeout_s = timeout_s
        self._segment = VERSION_SEGMENTS[ocpp_version]

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    async def _post(self, path: str, body: Mapping[str, Any]) -> None:
        import aiohttp  # imported when a run uses it: `chargenet` starts fast

        url = f"{self.base_url}{path}"
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout_s)) as http,
                http.post(url, json=dict(body), headers=self._headers()) as response,
            ):
                text = await response.text(errors="replace")
                if 200 <= response.status < 300:
                    return
        except TimeoutError:
            raise TriggerFailed(f"POST {url}: no answer within {self._timeout_s:g} s") from None
        except aiohttp.ClientError as exc:
            raise TriggerFailed(f"POST {url}: {exc}") from None
        raise TriggerFailed(f"POST {url}: HTTP {response.status} {_first_line(text)}")

    async def send(self, charge_point_id: str, action: str, payload: Mapping[str, Any]) -> None:
        station = quote(charge_point_id, safe="")
        path = f"/api/octt/{self._segment}/{station}/{kebab_action(action)}"
        await self._post(path, payload)

    async def create_token(
        self,
        id_tag: str,
        status: str,
        *,
        parent_id_tag: str | None = None,
        expiry_date: str | None = None,
    ) -> None:
        body: dict[str, Any] = {"idTag": id_tag, "status": status}
        if parent_id_tag is not None:
            body["parentIdTag"] = parent_id_tag
        if expiry_date is not None:
            body["expiryDate"] = expiry_date
        await self._post("/api/octt/create-token", body)

    async def set_password(self, charge_point_id: str, password: str) -> None:
        await self._post(
            "/api/octt/set-basic-auth-password",
            {"stationId": charge_point_id, "password": password},
        )

    async def preflight(self) -> None:
        """Reach the trigger once before any check: unreachable or refusing our token is the
        user's to fix (a `TriggerFailed` naming why). Any other answer is fine."""
        import aiohttp

        url = f"{self.base_url}/api/octt/{self._segment}"
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout_s)) as http,
                http.get(url, headers=self._headers()) as response,
            ):
                text = await response.text(errors="replace")
        except TimeoutError:
            raise TriggerFailed(f"{url}: no answer within {self._timeout_s:g} s") from None
        except aiohttp.ClientError as exc:
            raise TriggerFailed(f"{url}: {exc}") from None
        if response.status in (401, 403):
            refusal = f"HTTP {response.status} {_first_line(text)}"
            raise TriggerFailed(f"{url} refused the token: {refusal}")


def _first_line(text: str) -> str:
    try:
        decoded = json.loads(text)
    except ValueError:
        decoded = None
    if isinstance(decoded, dict) and isinstance(decoded.get("error"), str):
        text = decoded["error"]
    lines = text.strip().splitlines()
    return lines[0][:MAX_QUOTED_CHARS] if lines else ""
