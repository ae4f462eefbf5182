"""The central system's settings (the `serve` command line builds one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from central_system.api_token import new_api_token
from central_system.certificates import CertificateSigning
from central_system.defaults import (
    DEFAULT_API_PORT,
    DEFAULT_HANDSHAKE_TIMEOUT_S,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_FRAME_BYTES,
    DEFAULT_PORT,
)
from central_system.grid import GridSites
from central_system.handshake import Credentials
from central_system.login_throttle import ThrottlePolicy
from central_system.passwords import ScryptCost
from central_system.records import IdTag
from central_system.registration import BootPolicy
from central_system.tls import TlsSettings
from ocppj import SUPPORTED_VERSIONS, Version

__all__ = [
    "CentralSystemConfig",
]


@dataclass(frozen=True, slots=True)
class CentralSystemConfig:
    db_path: Path
    host: str = "127.0.0.1"
    #: 0 picks a free port.
    port: int = DEFAULT_PORT
    #: The operator HTTP API; None: no API. 0 picks a free port.
    api_port: int | None = DEFAULT_API_PORT
    #: The API stays on the loopback whatever `host` is (it checks Host and Origin for that).
    api_host: str = "127.0.0.1"
    #: Every operator API request must carry it (`Authorization: Bearer ...`); kept out of repr.
    api_token: str = field(default_factory=new_api_token, repr=False)
    #: The websocket subprotocols served, in order of preference (both by default).
    subprotocols: tuple[Version, ...] = SUPPORTED_VERSIONS
    boot_policy: BootPolicy = field(default_factory=BootPolicy)
    id_tags: tuple[IdTag, ...] = ()
    accept_unknown_tags: bool = False
    #: Charge point ids allowed to connect; None: any id.
    allowed_ids: frozenset[str] | None = None
    #: Provisioned basic auth passwords, hashed (security profile 1).
    credentials: Credentials = field(default_factory=Credentials)
    #: The KDF cost of the keys hashed at run time (rotated AuthorizationKeys).
    password_cost: ScryptCost = field(default_factory=ScryptCost)
    #: How failed logins are rate-limited.
    login_throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    #: Security profiles 2 and 3; None: plain ws://.
    tls: TlsSettings | None = None
    #: How long a connected charge point has to answer the ping that decides whether an
    #: unproven newcomer with its id may replace it.
    takeover_probe_timeout_s: float = 5.0
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
    #: SignCertificate: signed by a test CA (default) or Rejected; see `certificates`.
    certificate_signing: CertificateSigning = field(default_factory=CertificateSigning)
    #: The sites whose grid limit this central system shares out (central_system.grid).
    grid_sites: GridSites | None = None

    @property
    def websocket_max_size(self) -> int:
        # Up to twice max_frame_bytes a frame reaches the parser and is answered with its id;
        # beyond, websockets closes with 1009 before buffering it (memory stays bounded).
        return 2 * self.max_frame_bytes
