"""Failed-login rate limiting (sans-I/O: the clock is passed in).

Failures are counted in two token buckets: one per (source address, charge point id) pair,
which stops a misconfigured or guessing client without touching the other charge points
behind the same address (a NAT, a cellular gateway), and one per source address (an IPv6
address counts by its /64), which bounds how many ids one source can try. Each failure takes
a token; a bucket gains one back every `refill_s`, up to its burst. While either bucket is
empty an attempt is refused at once with a retry delay, before any password is hashed.
Successful logins take nothing and clear the pair's count.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "LoginThrottle",
    "ThrottlePolicy",
    "address_key",
]


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    #: Failures in a row one address may have for one id before it must wait.
    pair_burst: int = 5
    #: One pair failure forgiven every this many seconds.
    pair_refill_s: float = 10.0
    #: Failures one address may have over all ids before it must wait.
    address_burst: int = 20
    #: One address failure forgiven every this many seconds.
    address_refill_s: float = 2.0
    #: Buckets kept at most per kind; the full (idle) ones are dropped first.
    max_tracked: int = 100_000


def address_key(host: str) -> str:
    """The unit an address is counted by: the address itself, or its /64 for IPv6."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class _Buckets:
    """Token buckets by key: (tokens, last update). A missing key is a full bucket."""

    def __init__(self, burst: int, refill_s: float, max_tracked: int) -> None:
        self._burst = burst
        self._refill_s = refill_s
        self._max_tracked = max_tracked
        self._state: dict[object, tuple[float, float]] = {}

    def _tokens(self, key: object, now: float) -> float:
        state = self._state.get(key)
        if state is None:
            return float(self._burst)
        tokens, at = state
        return min(float(self._burst), tokens + (now - at) / self._refill_s)

    def wait_s(self, key: object, now: float) -> float:
        """0 when an attempt may go ahead, else how long until it may."""
        tokens = self._tokens(key, now)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) * self._refill_s

    def take(self, key: object, now: float) -> None:
        tokens = self._tokens(key, now)
        self._state.pop(key, None)  # re-inserted last: the dict stays oldest-first
        self._state[key] = (max(0.0, tokens - 1.0), now)
        if len(self._state) > self._max_tracked:
            self._prune(now)

    def forget(self, key: object) -> None:
        self._state.pop(key, None)

    def _prune(self, now: float) -> None:
        for key in [k for k in self._state if self._tokens(k, now) >= self._burst]:
            del self._state[key]
        while len(self._state) > self._max_tracked:
            del self._state[next(iter(self._state))]

    def __len__(self) -> int:
        return len(self._state)


class LoginThrottle:
    def __init__(
        self, policy: ThrottlePolicy | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.policy = policy or ThrottlePolicy()
        self._clock = clock
        self._pairs = _Buckets(
            self.policy.pair_burst, self.policy.pair_refill_s, self.policy.max_tracked
        )
        self._addresses = _Buckets(
            self.policy.address_burst, self.policy.address_refill_s, self.policy.max_tracked
        )

    def retry_after_s(self, address: str, charge_point_id: str) -> float:
        """0 when a login attempt may be checked now, else the seconds to wait."""
        now = self._clock()
        source = address_key(address)
        return max(
            self._pairs.wait_s((source, charge_point_id), now), self._addresses.wait_s(source, now)
        )

    def failed(self, address: str, charge_point_id: str) -> None:
        now = self._clock()
        source = address_key(address)
        self._pairs.take((source, charge_point_id), now)
        self._addresses.take(source, now)

    def succeeded(self, address: str, charge_point_id: str) -> None:
        self._pairs.forget((address_key(address), charge_point_id))

    @property
    def tracked(self) -> int:
        return len(self._pairs) + len(self._addresses)
