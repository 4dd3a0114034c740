"""State every API replica must agree on: failed-login counters (rate limits and lockout) and revoked
logins. In Redis when the service has one (scaled out), else in this process (embedded: one process).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as redis

from swingcoach.server.core.config import Settings
from swingcoach.server.core.security import HashingPool

# In-process store: expired keys are swept once it holds this many, so sprayed emails and
# addresses cannot grow it without bound.
SWEEP_AT = 100_000


class Store(Protocol):
    async def hit(self, key: str, ttl: int) -> int:
        """Count one more; the count starts, with its expiry, at the first hit."""
        ...

    async def counts(self, keys: list[str]) -> list[tuple[int, float]]:
        """(count, seconds until it resets) for each key; (0, 0) when unset."""
        ...

    async def flag(self, key: str, ttl: float) -> None: ...

    async def any_flagged(self, keys: list[str]) -> bool: ...

    async def delete(self, key: str) -> None: ...

    async def close(self) -> None: ...


class MemoryStore:
    """Counters and flags with expiry in a dict (used from the event loop only)."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[int, float]] = {}  # key -> (value, monotonic deadline)

    def _get(self, key: str) -> tuple[int, float]:
        value, deadline = self.values.get(key, (0, 0.0))
        left = deadline - time.monotonic()
        return (value, left) if left > 0 else (0, 0.0)

    def _sweep(self) -> None:
        if len(self.values) >= SWEEP_AT:
            now = time.monotonic()
            self.values = {k: v for k, v in self.values.items() if v[1] > now}

    async def hit(self, key: str, ttl: int) -> int:
        value, left = self._get(key)
        self._sweep()
        deadline = time.monotonic() + (left if value else ttl)
        self.values[key] = (value + 1, deadline)
        return value + 1

    async def counts(self, keys: list[str]) -> list[tuple[int, float]]:
        return [self._get(key) for key in keys]

    async def flag(self, key: str, ttl: float) -> None:
        self._sweep()
        self.values[key] = (1, time.monotonic() + ttl)

    async def any_flagged(self, keys: list[str]) -> bool:
        return any(self._get(key)[0] for key in keys)

    async def delete(self, key: str) -> None:
        self.values.pop(key, None)

    async def close(self) -> None:
        self.values.clear()


class RedisStore:
    def __init__(self, url: str) -> None:
        self.redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    async def hit(self, key: str, ttl: int) -> int:
        # SET NX EX then INCR in one transaction: the expiry is set by the first hit only.
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(key, 0, ex=ttl, nx=True)
            pipe.incr(key)
            _, count = await pipe.execute()
        return int(count)

    async def counts(self, keys: list[str]) -> list[tuple[int, float]]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.get(key)
                pipe.pttl(key)
            replies = await pipe.execute()
        return [
            (int(value), max(0, ttl) / 1000) if value is not None else (0, 0.0)
            for value, ttl in zip(replies[::2], replies[1::2], strict=True)
        ]

    async def flag(self, key: str, ttl: float) -> None:
        await self.redis.set(key, 1, px=max(1, int(ttl * 1000)))

    async def any_flagged(self, keys: list[str]) -> bool:
        return bool(await self.redis.exists(*keys))

    async def delete(self, key: str) -> None:
        await self.redis.delete(key)

    async def close(self) -> None:
        await self.redis.aclose()


def open_store(settings: Settings) -> Store:
    url = settings.resolved_redis_url
    return RedisStore(url) if url is not None else MemoryStore()


@dataclass
class LoginLimiter:
    """Failed logins counted per account and per client address over a fixed window; at the limit
    every login of that account (the right password too) or from that address is refused until the
    window ends. Checked before any password is hashed, so refusals cost no CPU."""

    store: Store
    prefix: str
    account_failures: int
    ip_failures: int
    window_seconds: int

    def _keys(self, email: str, ip: str) -> list[str]:
        account = hashlib.sha256(email.encode()).hexdigest()[:32]  # no emails in Redis
        return [f"{self.prefix}:login:account:{account}", f"{self.prefix}:login:ip:{ip}"]

    async def retry_after(self, email: str, ip: str) -> int | None:
        """Seconds until this login may be tried again, or None when it may be tried now."""
        (account, account_left), (by_ip, ip_left) = await self.store.counts(self._keys(email, ip))
        waits = [account_left] if account >= self.account_failures else []
        waits += [ip_left] if by_ip >= self.ip_failures else []
        return max(1, round(max(waits) + 0.5)) if waits else None

    async def failed(self, email: str, ip: str) -> None:
        for key in self._keys(email, ip):
            await self.store.hit(key, self.window_seconds)

    async def succeeded(self, email: str, ip: str) -> None:
        await self.store.delete(self._keys(email, ip)[0])


@dataclass
class Revocations:
    """Logins (sessions) and whole accounts whose access tokens are refused before they expire.
    A flag lives as long as an access token can, so the store stays small; the check is one
    dictionary lookup, or one Redis round trip, per request, never a database query."""

    store: Store
    prefix: str
    ttl_seconds: float

    def _session_key(self, session_id: uuid.UUID) -> str:
        return f"{self.prefix}:revoked:session:{session_id}"

    def _user_key(self, user_id: uuid.UUID) -> str:
        return f"{self.prefix}:revoked:user:{user_id}"

    async def revoke_session(self, session_id: uuid.UUID) -> None:
        await self.store.flag(self._session_key(session_id), self.ttl_seconds)

    async def revoke_user(self, user_id: uuid.UUID) -> None:
        await self.store.flag(self._user_key(user_id), self.ttl_seconds)

    async def revoked(self, user_id: uuid.UUID, session_id: uuid.UUID) -> bool:
        return await self.store.any_flagged([self._session_key(session_id), self._user_key(user_id)])


@dataclass
class Guard:
    """The account protections of one API process (app.state.guard)."""

    store: Store
    limiter: LoginLimiter
    revocations: Revocations
    hashing: HashingPool
    refusal_delay_s: float  # how long a refused login waits for its answer

    async def close(self) -> None:
        self.hashing.close()
        await self.store.close()

    @classmethod
    def build(cls, settings: Settings) -> Guard:
        store = open_store(settings)
        prefix = settings.redis_prefix
        limiter = LoginLimiter(
            store,
            prefix,
            settings.login_account_failures,
            settings.login_ip_failures,
            settings.login_window_seconds,
        )
        # Revoked for as long as a token issued just before could still be used.
        revocations = Revocations(store, prefix, settings.access_token_minutes * 60 + 60)
        hashing = HashingPool(settings.password_hash_threads, settings.password_hash_queue)
        return cls(store, limiter, revocations, hashing, settings.login_refusal_delay_seconds)
