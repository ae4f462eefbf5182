"""The connected charge points, by id, and who may take over an id that is connected.

Identity policy: a connection that proved it is this charge point (its own per-id password or
rotated key, or a client certificate bound to the id) replaces the connected one at once,
which is what a charge point rebooting after a network loss needs (its old TCP connection may
be half-dead). Any other connection (no authentication, or a shared password) for a connected
id is let in only if the connected one fails a liveness probe: a websocket ping not answered
within `probe_timeout_s`. A live charge point therefore keeps its id; a dead one is replaced,
and so is one that has not sent a single message yet.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from websockets.exceptions import ConnectionClosed

from central_system.credentials import AUTHORIZATION_KEY, CredentialBook
from central_system.session import ChargePointSession
from central_system.v201.passwords import accepted_password

if TYPE_CHECKING:  # imported by the server when a 2.0.1 station connects, not before
    from central_system.v201.session import ChargingStationSession

__all__ = [
    "Admission",
    "AnySession",
    "SessionRegistry",
]

#: A connected charge point, over 1.6 or 2.0.1.
AnySession: TypeAlias = "ChargePointSession | ChargingStationSession"


@dataclass(frozen=True, slots=True)
class Admission:
    """A handshake let in: whether it proved the id, and the session it may replace."""

    proves_identity: bool
    replaces: AnySession | None = None


async def _answers_ping(session: AnySession, timeout_s: float) -> bool:
    try:
        pong = await session.connection.ping()
        async with asyncio.timeout(timeout_s):
            await pong
    except (ConnectionClosed, TimeoutError):
        return False
    return True


class SessionRegistry:
    def __init__(self, credentials: CredentialBook | None = None) -> None:
        self._sessions: dict[str, AnySession] = {}
        #: Passwords and rotated keys (None: a registry without authentication, for tests).
        self.credentials = credentials

    async def admit(
        self, charge_point_id: str, *, proves_identity: bool, probe_timeout_s: float
    ) -> Admission | None:
        """May a new connection for `charge_point_id` go ahead? None: the id is held by a
        live connection and the newcomer did not prove it is this charge point."""
        current = self._sessions.get(charge_point_id)
        # A connection that has sent nothing yet (a station's short subprotocol probe, say
        # ocpp1.6 before its ocpp2.0.1 session) has no session worth keeping.
        if current is None or proves_identity or current.messages_received == 0:
            return Admission(proves_identity, current)
        if await _answers_ping(current, probe_timeout_s):
            return None
        return Admission(proves_identity, current)

    def add(self, session: AnySession, admission: Admission) -> bool:
        """Register an admitted session; False if, since its admission, another connection
        took the id that it may not replace. A replaced session is told to close."""
        current = self._sessions.get(session.id)
        if (
            current is not None
            and current is not admission.replaces
            and not admission.proves_identity
        ):
            return False
        self._sessions[session.id] = session
        if current is not None:
            current.replace()
        return True

    def discard(self, session: AnySession) -> None:
        """Forget `session`, unless a newer session already holds its id."""
        if self._sessions.get(session.id) is session:
            del self._sessions[session.id]

    def get(self, charge_point_id: str) -> AnySession | None:
        return self._sessions.get(charge_point_id)

    def __iter__(self) -> Iterator[AnySession]:
        return iter(list(self._sessions.values()))

    def __len__(self) -> int:
        return len(self._sessions)

    async def remember_authorization_key(
        self, charge_point_id: str, action: str, payload: dict[str, Any], reply: dict[str, Any]
    ) -> None:
        """Call after every answered operator call: when a charge point accepted
        ChangeConfiguration AuthorizationKey (1.6) or SetVariables
        SecurityCtrlr.BasicAuthPassword (2.0.1), its new key becomes its password (hashed,
        stored) and the old one is refused."""
        if self.credentials is None:
            return
        if action == "SetVariables":
            password = accepted_password(payload, reply)
            if password is not None:
                await self.credentials.rotate(charge_point_id, password)
            return
        if (
            action == "ChangeConfiguration"
            and payload.get("key") == AUTHORIZATION_KEY
            and isinstance(payload.get("value"), str)
            and reply.get("status") == "Accepted"
        ):
            await self.credentials.rotate(charge_point_id, payload["value"])
