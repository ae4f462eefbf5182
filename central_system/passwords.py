"""Password hashing for HTTP basic auth: scrypt, a random salt per hash, constant-time checks.

Only hashes are kept (in memory and in the store); the encoded form
`scrypt$<n>$<r>$<p>$<salt b64>$<digest b64>` carries its own cost, so a later change of the
default cost still verifies the hashes stored before it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Final

__all__ = [
    "DIGEST_BYTES",
    "SALT_BYTES",
    "PasswordHash",
    "ScryptCost",
    "hash_password",
    "verify_password",
]

SALT_BYTES: Final = 16
DIGEST_BYTES: Final = 32


@dataclass(frozen=True, slots=True)
class ScryptCost:
    """scrypt's work factors; the default (n=2**14, r=8: 16 MiB) is the classic interactive
    login cost, about 70 ms on one core of the development machine."""

    n: int = 2**14
    r: int = 8
    p: int = 1

    @property
    def max_memory_bytes(self) -> int:
        return 128 * self.r * self.n * self.p + 2**20


@dataclass(frozen=True, slots=True)
class PasswordHash:
    salt: bytes
    digest: bytes
    cost: ScryptCost

    def encode(self) -> str:
        salt = base64.b64encode(self.salt).decode("ascii")
        digest = base64.b64encode(self.digest).decode("ascii")
        return f"scrypt${self.cost.n}${self.cost.r}${self.cost.p}${salt}${digest}"

    @classmethod
    def decode(cls, text: str) -> PasswordHash:
        """Raises ValueError for anything but an encoded scrypt hash."""
        parts = text.split("$")
        if len(parts) != 6 or parts[0] != "scrypt":
            raise ValueError("not an encoded scrypt hash")
        try:
            cost = ScryptCost(int(parts[1]), int(parts[2]), int(parts[3]))
            salt = base64.b64decode(parts[4], validate=True)
            digest = base64.b64decode(parts[5], validate=True)
        except (ValueError, binascii.Error):
            raise ValueError("not an encoded scrypt hash") from None
        if not salt or not digest:
            raise ValueError("not an encoded scrypt hash")
        return cls(salt, digest, cost)


def _derive(password: str, salt: bytes, cost: ScryptCost, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8", "surrogatepass"),
        salt=salt,
        n=cost.n,
        r=cost.r,
        p=cost.p,
        maxmem=cost.max_memory_bytes,
        dklen=length,
    )


def hash_password(password: str, cost: ScryptCost | None = None) -> PasswordHash:
    """A new hash with a fresh random salt (slow: this is the KDF)."""
    cost = cost or ScryptCost()
    salt = os.urandom(SALT_BYTES)
    return PasswordHash(salt, _derive(password, salt, cost, DIGEST_BYTES), cost)


def verify_password(password: str, stored: PasswordHash) -> bool:
    """Whether `password` hashes to `stored` (slow; the comparison is constant-time)."""
    return hmac.compare_digest(
        _derive(password, stored.salt, stored.cost, len(stored.digest)), stored.digest
    )
