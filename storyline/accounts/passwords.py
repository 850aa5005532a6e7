"""Password hashing with argon2id (argon2-cffi, RFC 9106 low-memory profile). A hash is a
PHC string (``$argon2id$v=19$m=...``); hashes made with older parameters are upgraded on
the next successful sign-in (``needs_rehash``)."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 8
MAX_LENGTH = 1024


class PasswordError(ValueError):
    """A password that cannot be used (too short, too long)."""


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4 (argon2-cffi's defaults)


def check_new(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordError(f"the password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise PasswordError(f"the password must have at most {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    check_new(password)
    return hasher().hash(password)


def verify(password_hash: str, password: str) -> bool:
    if len(password) > MAX_LENGTH:
        return False
    try:
        return hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so that a wrong name takes
    as long as a wrong password."""
    return hasher().hash("storyline-no-such-user")
