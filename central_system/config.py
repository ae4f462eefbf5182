"""The central system's settings (the `serve` command line builds one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from central_system.defaults import (
    DEFAULT_API_PORT,
    DEFAULT_HANDSHAKE_TIMEOUT_S,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_FRAME_BYTES,
    DEFAULT_PORT,
)
from central_system.handshake import Credentials
from central_system.records import IdTag
from central_system.registration import BootPolicy
from ocppj import OCPP16, Version


@dataclass(frozen=True, slots=True)
class CentralSystemConfig:
    db_path: Path
    host: str = "127.0.0.1"
    #: 0 picks a free port.
    port: int = DEFAULT_PORT
    #: The operator HTTP API; None: no API. 0 picks a free port.
    api_port: int | None = DEFAULT_API_PORT
    #: The API has no authentication: it stays on the loopback whatever `host` is.
    api_host: str = "127.0.0.1"
    subprotocols: tuple[Version, ...] = (OCPP16,)
    boot_policy: BootPolicy = field(default_factory=BootPolicy)
    id_tags: tuple[IdTag, ...] = ()
    accept_unknown_tags: bool = False
    #: Charge point ids allowed to connect; None: any id.
    allowed_ids: frozenset[str] | None = None
    credentials: Credentials = field(default_factory=Credentials)
    #: Frames longer than this are answered with FormationViolation, not parsed.
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES
    #: Open websockets plus handshakes under way (the descriptor limit may lower it).
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    #: From the accepted connection to the end of the upgrade; then it is closed.
    handshake_timeout_s: float = DEFAULT_HANDSHAKE_TIMEOUT_S
    #: How long an operator call waits for the charge point's reply by default.
    call_timeout_s: float = 30.0
    #: websockets' own close handshake timeout (a replaced half-open socket waits this long).
    close_timeout_s: float = 5.0

    @property
    def websocket_max_size(self) -> int:
        # Up to twice max_frame_bytes a frame reaches the parser and is answered with its id;
        # beyond, websockets closes with 1009 before buffering it (memory stays bounded).
        return 2 * self.max_frame_bytes
