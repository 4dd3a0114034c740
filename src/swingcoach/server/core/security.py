"""Password hashes (argon2id) and signed, expiring access tokens (JWT, HS256)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane): ~20 ms a login instead of ~180 ms for the
# library default, so a login burst does not starve the swing endpoints.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
ALGORITHM = "HS256"
# Verifying a made-up hash for unknown emails takes as long as a real check: no user enumeration.
_DUMMY_HASH = _hasher.hash("not a password")


class TokenError(ValueError):
    """The token is missing, malformed, forged or expired (the message says which)."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def create_access_token(user_id: uuid.UUID, key: str, minutes: int) -> tuple[str, datetime]:
    expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=minutes)
    token = jwt.encode({"sub": str(user_id), "exp": expires_at}, key, algorithm=ALGORITHM)
    return token, expires_at


def read_access_token(token: str, key: str) -> uuid.UUID:
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]})
        return uuid.UUID(claims["sub"])
    except jwt.ExpiredSignatureError:
        raise TokenError("the access token has expired; log in again") from None
    except (jwt.InvalidTokenError, ValueError):
        raise TokenError("the access token is invalid") from None
