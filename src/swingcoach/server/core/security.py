"""Passwords (argon2id, a policy against common passwords, hashed on a bounded thread pool), signed
short-lived access tokens (JWT, HS256) that name their login, and opaque refresh tokens."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TypeVar

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane): ~20 ms a login instead of ~180 ms for the
# library default, so a login burst does not starve the swing endpoints.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
ALGORITHM = "HS256"
# Verifying a made-up hash for unknown emails takes as long as a real check: no user enumeration.
_DUMMY_HASH = _hasher.hash("not a password")
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")
T = TypeVar("T")


class TokenError(ValueError):
    """The token is missing, malformed, forged or expired (the message says which)."""


class HashingBusy(RuntimeError):
    """More logins wait for a hashing thread than the queue allows: answer 429 at once."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@cache
def _common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text().splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None. (The length rule is the schema's.)"""
    if password.lower() in _common_passwords() or len(set(password)) == 1:
        return "this password is one of the most common ones and is guessed first; choose another"
    return None


class HashingPool:
    """Password hashing off the event loop, on a few threads, with a bounded queue: a login flood
    takes at most `threads` cores (argon2 releases the GIL) and is refused once the queue is full."""

    def __init__(self, threads: int, queue: int) -> None:
        self.executor = ThreadPoolExecutor(threads, thread_name_prefix="password-hash")
        self.capacity = threads + queue
        self.pending = 0

    async def run(self, work: Callable[..., T], *args: object) -> T:
        if self.pending >= self.capacity:
            raise HashingBusy("too many logins at once; try again in a second")
        self.pending += 1  # only touched in the event loop: no lock needed
        try:
            return await asyncio.get_running_loop().run_in_executor(self.executor, work, *args)
        finally:
            self.pending -= 1

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID  # the login (refresh-token family) the token belongs to
    expires_at: datetime


def create_access_token(
    user_id: uuid.UUID, session_id: uuid.UUID, key: str, minutes: float
) -> tuple[str, datetime]:
    expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=minutes)
    claims = {"sub": str(user_id), "sid": str(session_id), "exp": expires_at}
    return jwt.encode(claims, key, algorithm=ALGORITHM), expires_at


def read_access_token(token: str, key: str) -> AccessClaims:
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], options={"require": ["sub", "sid", "exp"]})
        return AccessClaims(
            uuid.UUID(claims["sub"]), uuid.UUID(claims["sid"]), datetime.fromtimestamp(claims["exp"], UTC)
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("the access token has expired; refresh it or log in again") from None
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise TokenError("the access token is invalid") from None


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database keeps of a refresh token: a stolen table holds no usable token."""
    return hashlib.sha256(token.encode()).hexdigest()
