"""The websocket under one simulated charge point: URL, subprotocol, basic auth, TLS, back-off.

A charge point connects to the central system's URL with its id put where `{id}` is (a URL
template, `ws://host/ws/ocpp/{id}/`), or appended as one more path segment, offering one OCPP
subprotocol.
Security profile 1 is HTTP basic auth with the charge point id as the username; profile 2 is
`wss://` with the server certificate verified against the given CA (or the system's); profile 3
adds a client certificate (`ssl_context(ca_file, cert_file, key_file)`), the fleet's one or
each charge point's own (`ssl_context_for`). A
failure the user can fix becomes a `BackendError` whose message names the cause in one line;
one worth retrying even at start-up (a backend starting up or overloaded) is marked
`transient`. The bounds on every wait of a charge point are `TransportConfig` fields.

Buffers are kept small on purpose: thousands of connections share one process, OCPP frames are
a few hundred bytes and one CALL is outstanding per connection.
"""

from __future__ import annotations

import base64
import os
import random
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidMessage, InvalidStatus, InvalidURI
from websockets.typing import Subprotocol

from ocppj import OCPP16
from simulator.errors import UserError

__all__ = [
    "CREDENTIALS",
    "ID_PLACEHOLDER",
    "SERVER_CERTIFICATE",
    "BackendError",
    "Backoff",
    "TransportConfig",
    "open_connection",
    "security_profile",
    "ssl_context",
]

ID_PLACEHOLDER = "{id}"
"""Where a URL template puts the charge point id."""


class BackendError(UserError):
    """The central system cannot be used: unreachable, refused the handshake or the
    credentials, speaks no common subprotocol, or stayed away longer than allowed.

    `transient` marks a failure worth retrying even before a charge point ever connected
    (a handshake that timed out, HTTP 5xx, 408 or 429, a connection reset during the
    handshake): a backend that is starting up or overloaded. The others (a bad URL, an
    unknown host, nothing listening, a 4xx such as 401, no common subprotocol, TLS
    verification) are a user's mistake and end the run at once at start-up.

    `refused` names a refusal a station reports as a security event: `CREDENTIALS` (HTTP
    401, or the TLS handshake refused our client certificate) or `SERVER_CERTIFICATE` (the
    central system's certificate did not verify)."""

    def __init__(
        self, message: str, *, transient: bool = False, refused: str | None = None
    ) -> None:
        super().__init__(message)
        self.transient = transient
        self.refused = refused


CREDENTIALS = "credentials"
SERVER_CERTIFICATE = "server certificate"


@dataclass(frozen=True, slots=True)
class TransportConfig:
    url: str
    """The central system's websocket URL, or a template with `{id}` (see `url_for`)."""
    subprotocol: str = OCPP16
    password: str | None = None
    """Security profile 1: HTTP basic auth, username = charge point id."""
    ssl_context: ssl.SSLContext | None = None
    """For wss:// URLs; None verifies against the system's CAs."""
    client_certificate: bool = False
    """`ssl_context` presents a client certificate (security profile 3)."""
    ssl_context_for: Callable[[str], ssl.SSLContext] | None = None
    """Each charge point's own TLS context, by id, instead of `ssl_context` for the handshake
    (a client certificate per charge point: a central system that binds the certificate's
    subject to the id); `ssl_context` still says what the fleet trusts."""
    open_timeout_s: float = 10.0
    """A websocket handshake not complete within this is a failed attempt (retried)."""
    response_timeout_s: float = 30.0
    """A CALL without a reply for this long: the connection is dropped and the CALL resent."""
    call_attempts: int = 3
    """Give up on the run when this many sends in a row get no reply within
    response_timeout_s (one CALL, resent on new connections; the boot, sent again on each)."""
    close_timeout_s: float = 2.0
    backoff_initial_s: float = 0.25
    backoff_max_s: float = 30.0
    offline_limit_s: float = 120.0
    """Give up on the run when a charge point has had no working connection for this long
    (no handshake succeeds, or each connection closes before the reply to what it must
    deliver), or when its boot is not accepted for this long."""
    refusal_limit: int = 10
    """Give up on the run when this many messages in a row are refused for good (CALLERROR,
    or a reply that fails its schema; a transaction message after its retries) with none
    accepted between them; 0: never."""
    ping_interval_s: float | None = None
    """websockets keepalive pings (None: rely on OCPP heartbeats, and save a task per CP)."""
    max_queue_frames: int = 8
    write_limit_bytes: int = 16 * 1024
    max_frame_bytes: int = 1024 * 1024

    def url_for(self, charge_point_id: str) -> str:
        """The URL of one charge point: its percent-encoded id where the template says `{id}`,
        else one more path segment, `<path without trailing />/<id>`; a query string stays."""
        quoted = quote(charge_point_id, safe="")
        if ID_PLACEHOLDER in self.url:
            return self.url.replace(ID_PLACEHOLDER, quoted)
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/" + quoted))


def ssl_context(
    ca_file: Path | None, cert_file: Path | None = None, key_file: Path | None = None
) -> ssl.SSLContext | None:
    """Verify the central system's certificate against `ca_file` (or the system's CAs), and
    present the client certificate `cert_file` (its unencrypted key in `key_file`, or in the
    same file) when given: security profile 3."""
    if ca_file is None and cert_file is None:
        return None
    context = ssl.create_default_context(cafile=None if ca_file is None else os.fspath(ca_file))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert_file is not None:
        context.load_cert_chain(cert_file, key_file)
    return context


def security_profile(config: TransportConfig) -> int:
    """The OCPP security profile the settings amount to: 3 with a client certificate on
    wss://, 2 on wss://, 1 with a basic auth password on ws://, 0 (none) otherwise."""
    if urlsplit(config.url).scheme == "wss":
        return 3 if config.client_certificate else 2
    return 0 if config.password is None else 1


_BUSY = frozenset({408, 429})  # request timeout, too many requests: the 4xx worth retrying


def _basic_auth(username: str, password: str) -> str:
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


async def open_connection(charge_point_id: str, config: TransportConfig) -> ClientConnection:
    """Open the websocket of one charge point; raise BackendError naming the cause."""
    url = config.url_for(charge_point_id)
    where = f"the central system at {config.url}"
    headers = {}
    if config.password is not None:
        headers["Authorization"] = _basic_auth(charge_point_id, config.password)
    secure = urlsplit(config.url).scheme == "wss"
    context = config.ssl_context
    if secure and config.ssl_context_for is not None:
        context = config.ssl_context_for(charge_point_id)
    try:
        ws = await connect(
            url,
            subprotocols=[Subprotocol(config.subprotocol)],
            additional_headers=headers,
            ssl=(context or True) if secure else None,
            open_timeout=config.open_timeout_s,
            ping_interval=config.ping_interval_s,
            close_timeout=config.close_timeout_s,
            compression=None,  # OCPP frames are small: deflate costs more than it saves
            max_queue=config.max_queue_frames,
            write_limit=config.write_limit_bytes,
            max_size=config.max_frame_bytes,
            proxy=None,
            user_agent_header=None,
        )
    except InvalidURI:
        raise BackendError(f"{config.url} is not a ws:// or wss:// URL") from None
    except InvalidStatus as e:
        status = e.response.status_code
        if status == 401:
            raise BackendError(
                f"{where} refused the credentials of charge point {charge_point_id} (HTTP 401)",
                refused=CREDENTIALS,
            ) from None
        raise BackendError(
            f"{where} refused the handshake of charge point {charge_point_id} "
            f"(HTTP {status} {e.response.reason_phrase})",
            transient=status >= 500 or status in _BUSY,
        ) from None
    except ssl.SSLCertVerificationError as e:
        raise BackendError(
            f"TLS with {where} failed: {e.reason or e}", refused=SERVER_CERTIFICATE
        ) from None
    except ssl.SSLError as e:
        # the server's alert about our certificate (or its absence): it refused it
        reason = str(e.reason or "").upper()
        refused = CREDENTIALS if "ALERT" in reason and "CERTIFICATE" in reason else None
        raise BackendError(f"TLS with {where} failed: {e.reason or e}", refused=refused) from None
    except TimeoutError:
        raise BackendError(
            f"{where} did not complete the handshake within {config.open_timeout_s:g} s",
            transient=True,
        ) from None
    except ConnectionRefusedError:
        raise BackendError(f"cannot reach {where}: connection refused") from None
    except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError) as e:
        raise BackendError(f"cannot reach {where}: {e.strerror or e}", transient=True) from None
    except OSError as e:
        raise BackendError(f"cannot reach {where}: {e.strerror or e}") from None
    except InvalidMessage as e:
        # the server closed or garbled the connection during the handshake: busy, retry;
        # a TLS 1.3 server that wants a client certificate we lack looks the same from here
        hint = ""
        if secure and not config.client_certificate:
            hint = " (so does one that asks for a client certificate: security profile 3)"
        raise BackendError(
            f"{where} broke off the websocket handshake: {e}{hint}", transient=True
        ) from None
    except InvalidHandshake as e:
        raise BackendError(f"{where} refused the websocket handshake: {e}") from None
    if ws.subprotocol != config.subprotocol:
        await ws.close()
        raise BackendError(f"{where} did not accept the subprotocol {config.subprotocol}")
    return ws


class Backoff:
    """Exponential back-off with equal jitter: the n-th delay is uniform in [d/2, d] with
    d = min(max, initial * 2^n), so a fleet that lost its backend does not return at once."""

    __slots__ = ("_attempt", "_initial_s", "_max_s", "_rng")

    def __init__(self, initial_s: float, max_s: float, rng: random.Random) -> None:
        self._initial_s = initial_s
        self._max_s = max_s
        self._rng = rng
        self._attempt = 0

    def next_delay_s(self) -> float:
        d = min(self._max_s, self._initial_s * 2.0**self._attempt)
        self._attempt = min(self._attempt + 1, 32)
        return d / 2.0 + self._rng.random() * d / 2.0

    def reset(self) -> None:
        self._attempt = 0
