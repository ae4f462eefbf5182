"""The `call` command's HTTP client for the operator API (stdlib only: it runs once and exits)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

__all__ = [
    "CallFailed",
    "call_charge_point",
]


class CallFailed(Exception):
    """An operator call that did not return a reply; the message is one line."""

    def __init__(self, message: str, http_status: int | None) -> None:
        super().__init__(message)
        #: The API's HTTP status (None: the API could not be reached).
        self.http_status = http_status


def call_charge_point(
    api_url: str,
    charge_point_id: str,
    action: str,
    payload: dict[str, Any],
    *,
    api_token: str,
    timeout_s: float | None = None,
) -> dict[str, Any]:
    """POST the call to the operator API with its token; return the charge point's reply."""
    path = "/charge-points/{}/calls/{}".format(
        urllib.parse.quote(charge_point_id, safe=""), urllib.parse.quote(action, safe="")
    )
    query = "" if timeout_s is None else "?" + urllib.parse.urlencode({"timeout_s": timeout_s})
    request = urllib.request.Request(
        api_url.rstrip("/") + path + query,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {api_token}"},
        method="POST",
    )
    # The API answers 504 itself after timeout_s; leave room for that answer to arrive.
    http_timeout_s = (timeout_s if timeout_s is not None else 30.0) + 30.0
    try:
        with urllib.request.urlopen(request, timeout=http_timeout_s) as response:
            reply: dict[str, Any] = json.load(response)
            return reply
    except urllib.error.HTTPError as exc:
        raise CallFailed(_error_message(exc), exc.code) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CallFailed(f"cannot reach the operator API at {api_url}: {reason}", None) from None


def _error_message(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read())
        message = body["error"]
    except (ValueError, KeyError, TypeError, OSError):
        message = f"HTTP {exc.code} {exc.reason}"
    return str(message)
