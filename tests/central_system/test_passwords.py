"""Password hashes: scrypt with a salt of their own, verified in constant time."""

from __future__ import annotations

import pytest

from central_system.passwords import PasswordHash, ScryptCost, hash_password, verify_password


def test_a_password_verifies_against_its_hash_and_nothing_else_does() -> None:
    stored = hash_password("correct horse")
    assert verify_password("correct horse", stored)
    assert not verify_password("correct hors", stored)
    assert not verify_password("", stored)


def test_two_hashes_of_one_password_differ_by_their_salt() -> None:
    first, second = hash_password("same"), hash_password("same")
    assert first.salt != second.salt
    assert first.digest != second.digest
    assert verify_password("same", first)
    assert verify_password("same", second)


def test_the_encoded_hash_keeps_its_cost_and_holds_no_password() -> None:
    cheap = ScryptCost(n=2**10, r=8, p=1)
    stored = hash_password("hunter2-hunter2", cheap)
    text = stored.encode()
    assert text.startswith("scrypt$1024$8$1$")
    assert "hunter2" not in text
    decoded = PasswordHash.decode(text)
    assert decoded == stored
    assert verify_password("hunter2-hunter2", decoded)


@pytest.mark.parametrize("text", ["", "plain", "scrypt$1$2$3$!!$AA==", "bcrypt$1$2$3$AA==$AA=="])
def test_anything_but_an_encoded_scrypt_hash_does_not_decode(text: str) -> None:
    with pytest.raises(ValueError, match="not an encoded scrypt hash"):
        PasswordHash.decode(text)
