"""The connected charge points, by id: a newer connection for an id replaces the older one."""

from __future__ import annotations

from collections.abc import Iterator

from central_system.session import ChargePointSession


class SessionRegistry:
    def __init__(self) -> None:
        self._sessions: dict[str, ChargePointSession] = {}

    def add(self, session: ChargePointSession) -> ChargePointSession | None:
        """Register `session`; return the session it replaced, if any (the caller closes it)."""
        previous = self._sessions.get(session.id)
        self._sessions[session.id] = session
        return previous

    def discard(self, session: ChargePointSession) -> None:
        """Forget `session`, unless a newer session already holds its id."""
        if self._sessions.get(session.id) is session:
            del self._sessions[session.id]

    def get(self, charge_point_id: str) -> ChargePointSession | None:
        return self._sessions.get(charge_point_id)

    def __iter__(self) -> Iterator[ChargePointSession]:
        return iter(list(self._sessions.values()))

    def __len__(self) -> int:
        return len(self._sessions)
