"""The central system's book of charge point passwords: who must log in, with what.

Sources, most specific first: a key the charge point accepted through ChangeConfiguration
AuthorizationKey (kept hashed in the store, so it outlives restarts and supersedes the
provisioned password of that id), a per-id password (`--passwords FILE`), the shared password
(`--password-file FILE` or `CHARGENET_CSMS_PASSWORD`). Without any provisioned password, only
the ids with a rotated key need one.

Checking a password runs scrypt in a small thread pool, after the failed-login throttle has
had its say; a charge point that already logged in during this run with the same password is
recognised by a keyed digest kept in memory (one HMAC, no KDF), so reconnect storms and
login floods cost little.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import hmac
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

from central_system.handshake import Credentials, basic_credentials
from central_system.login_throttle import LoginThrottle
from central_system.passwords import PasswordHash, ScryptCost, hash_password, verify_password
from central_system.store import Store
from central_system.timestamps import utc_now

__all__ = [
    "AUTHORIZATION_KEY",
    "CredentialBook",
    "LoginOutcome",
    "LoginVerdict",
]

LOGGER = logging.getLogger("central_system.credentials")

#: The configuration key whose accepted change rotates a charge point's basic auth password.
AUTHORIZATION_KEY: Final = "AuthorizationKey"
_MAX_REMEMBERED: Final = 100_000


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


class LoginOutcome(enum.Enum):
    ACCEPTED = "accepted"
    REFUSED = "refused"
    THROTTLED = "throttled"


@dataclass(frozen=True, slots=True)
class LoginVerdict:
    outcome: LoginOutcome
    #: The password was this id's own (per-id or rotated), not a shared one.
    proves_identity: bool = False
    #: For THROTTLED: when the next attempt may be checked.
    retry_after_s: float = 0.0


class CredentialBook:
    def __init__(
        self,
        credentials: Credentials,
        store: Store,
        *,
        throttle: LoginThrottle | None = None,
        cost: ScryptCost | None = None,
        kdf_threads: int = 2,
    ) -> None:
        self._provisioned = credentials
        self._store = store
        self._throttle = throttle or LoginThrottle()
        self._cost = cost or ScryptCost()
        self._rotated: dict[str, PasswordHash] = {}
        for charge_point_id, encoded in store.authorization_keys().items():
            try:
                self._rotated[charge_point_id] = PasswordHash.decode(encoded)
            except ValueError:
                LOGGER.error("%r: the stored authorization key is unreadable", charge_point_id)
        self._per_id: dict[str, PasswordHash] = dict(credentials.per_id)
        self._unhashed: dict[str, str] = dict(credentials.unhashed)
        self._pool = ThreadPoolExecutor(max_workers=kdf_threads, thread_name_prefix="kdf")
        # Hashing the provisioned passwords must not queue in front of logins.
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kdf-provision")
        self._memory_key = os.urandom(32)
        self._remembered: dict[str, bytes] = {}
        self._rotations: dict[str, asyncio.Event] = {}
        #: Unknown ids are checked against this, so that they cost as long as a wrong password.
        self._decoy = PasswordHash(os.urandom(16), os.urandom(32), self._cost)
        #: Passwords compared with a stored one, past the throttle (the cost a flood imposes).
        self.verifications = 0
        #: Set once every provisioned password is hashed and its text dropped.
        self.provisioned_hashed = asyncio.Event()

    def close(self) -> None:
        self._background.shutdown(wait=True, cancel_futures=True)
        self._pool.shutdown(wait=True, cancel_futures=True)

    async def hash_provisioned(self) -> None:
        """Replace each provisioned per-id password by its hash, one at a time."""
        loop = asyncio.get_running_loop()
        for charge_point_id, text in list(self._unhashed.items()):
            if charge_point_id not in self._rotated:
                hashed = await loop.run_in_executor(
                    self._background, hash_password, text, self._cost
                )
                self._per_id[charge_point_id] = hashed
            del self._unhashed[charge_point_id]
        self.provisioned_hashed.set()

    @property
    def unhashed_count(self) -> int:
        """Provisioned passwords still held as text (until `provisioned_hashed`)."""
        return len(self._unhashed)

    def _expected(self, charge_point_id: str) -> tuple[PasswordHash | str | None, bool]:
        own = (
            self._rotated.get(charge_point_id)
            or self._per_id.get(charge_point_id)
            or self._unhashed.get(charge_point_id)
        )
        if own is not None:
            return own, True
        return self._provisioned.shared, False

    def required(self, charge_point_id: str) -> bool:
        """Whether `charge_point_id` must log in with a password."""
        return self._provisioned.required or charge_point_id in self._rotated

    def _digest(self, charge_point_id: str, password: str) -> bytes:
        message = _utf8(f"{charge_point_id}\x00{password}")
        return hmac.new(self._memory_key, message, hashlib.sha256).digest()

    def _remembered_match(self, charge_point_id: str, password: str) -> bool:
        known = self._remembered.get(charge_point_id)
        return known is not None and hmac.compare_digest(
            known, self._digest(charge_point_id, password)
        )

    def _remember(self, charge_point_id: str, password: str) -> None:
        if len(self._remembered) >= _MAX_REMEMBERED:
            self._remembered.clear()
        self._remembered[charge_point_id] = self._digest(charge_point_id, password)

    async def check(
        self, charge_point_id: str, authorization: str | None, address: str
    ) -> LoginVerdict:
        """Whether the Authorization header lets `charge_point_id` in from `address`."""
        while (rotation := self._rotations.get(charge_point_id)) is not None:
            await rotation.wait()
        if not self.required(charge_point_id):
            return LoginVerdict(LoginOutcome.ACCEPTED)
        expected, own = self._expected(charge_point_id)
        given = basic_credentials(authorization)
        if given is None or given[0] != charge_point_id:
            # Costs nothing to refuse (no KDF): not counted against the address.
            return LoginVerdict(LoginOutcome.REFUSED)
        password = given[1]
        if expected is not None and self._remembered_match(charge_point_id, password):
            return LoginVerdict(LoginOutcome.ACCEPTED, proves_identity=own)
        wait_s = self._throttle.retry_after_s(address, charge_point_id)
        if wait_s > 0:
            return LoginVerdict(LoginOutcome.THROTTLED, retry_after_s=wait_s)
        self.verifications += 1
        if isinstance(expected, str):  # not hashed yet (start-up): no KDF needed to compare
            matches = hmac.compare_digest(_utf8(password), _utf8(expected))
        else:
            loop = asyncio.get_running_loop()
            matches = await loop.run_in_executor(
                self._pool, verify_password, password, expected or self._decoy
            )
        if matches and expected is not None and self._expected(charge_point_id)[0] is expected:
            self._throttle.succeeded(address, charge_point_id)
            self._remember(charge_point_id, password)
            return LoginVerdict(LoginOutcome.ACCEPTED, proves_identity=own)
        if matches:  # rotated while we hashed: the key it matched is no longer valid
            return LoginVerdict(LoginOutcome.REFUSED)
        self._throttle.failed(address, charge_point_id)
        return LoginVerdict(LoginOutcome.REFUSED)

    async def rotate(self, charge_point_id: str, key: str) -> None:
        """`key` is this charge point's password from now on (hashed, stored, survives a
        restart); its previous one is refused. Logins for the id wait until it is stored."""
        while (pending := self._rotations.get(charge_point_id)) is not None:
            await pending.wait()
        done = asyncio.Event()
        self._rotations[charge_point_id] = done
        try:
            loop = asyncio.get_running_loop()
            new = await loop.run_in_executor(self._pool, hash_password, key, self._cost)
            self._store.store_authorization_key(charge_point_id, new.encode(), utc_now())
            self._rotated[charge_point_id] = new
            self._remembered.pop(charge_point_id, None)
            LOGGER.info("%r: authorization key rotated", charge_point_id)
        finally:
            del self._rotations[charge_point_id]
            done.set()
