"""Password hashes: Argon2id (memory-hard), from the maintained argon2-cffi library.

The parameters are RFC 9106's second recommended option (64 MiB, 3 passes); a hash made
with weaker ones is rehashed at the next successful sign-in. Passwords are never stored,
logged or compared as text.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_CHARS = 10


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    try:
        return _hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def weak_reason(password: str, name: str) -> str | None:
    """Why a new password is refused (a strings.toml problem name), or None."""
    if len(password) < MIN_PASSWORD_CHARS:
        return "password_short"
    if name and name.casefold() in password.casefold():
        return "password_has_name"
    return None
