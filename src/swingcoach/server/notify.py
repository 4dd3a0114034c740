"""'Analysis complete' notifications: a row per event (the truth, replayable), server-sent events
to every open stream of that user, and an optional signed webhook.

A notification row is written in the same transaction as the result it announces. After the
commit, the process that wrote it wakes its own SSE streams; on Postgres, `pg_notify` (delivered on
commit) wakes the streams held by every other API replica. Streams also re-read the table every
`sse_poll_seconds`, so a lost wake-up only delays an event, never drops it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

import httpx
import psycopg
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from swingcoach.server.core.logging import get_logger
from swingcoach.server.core.metrics import WEBHOOK_FAILURES
from swingcoach.server.models import Notification, User

CHANNEL = "swingcoach_events"
ANALYSIS_COMPLETE = "analysis.complete"
ANALYSIS_FAILED = "analysis.failed"
log = get_logger(__name__)


def record_notification(session: Session, user: User, kind: str, data: dict[str, Any]) -> Notification:
    """Add the event to the caller's transaction; deliver it with `Notifier.delivered` after commit."""
    notification = Notification(user_id=user.id, kind=kind, data=data)
    session.add(notification)
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, :user)"), {"channel": CHANNEL, "user": str(user.id)})
    return notification


def notifications_after(
    session: Session, user_id: uuid.UUID, after_id: int, limit: int = 100
) -> list[Notification]:
    query = (
        select(Notification)
        .where(Notification.user_id == user_id, Notification.id > after_id)
        .order_by(Notification.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def event_body(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.id,
        "event": notification.kind,
        "created_at": notification.created_at.isoformat(),
        **notification.data,
    }


class StreamHub:
    """Wakes the SSE streams of this process (thread-safe: workers call `wake` from their threads)."""

    def __init__(self) -> None:
        self._streams: dict[uuid.UUID, set[asyncio.Event]] = defaultdict(set)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def wake(self, user_id: uuid.UUID) -> None:
        if self._loop is None or self._loop.is_closed():
            return
        with self._lock:
            events = list(self._streams.get(user_id, ()))
        for event in events:
            self._loop.call_soon_threadsafe(event.set)

    @asynccontextmanager
    async def subscribe(self, user_id: uuid.UUID) -> AsyncIterator[asyncio.Event]:
        event = asyncio.Event()
        with self._lock:
            self._streams[user_id].add(event)
        try:
            yield event
        finally:
            with self._lock:
                self._streams[user_id].discard(event)
                if not self._streams[user_id]:
                    del self._streams[user_id]


class PostgresListener:
    """Forwards `pg_notify` wake-ups from other processes to this process's streams."""

    def __init__(self, database_url: str, hub: StreamHub) -> None:
        self.conninfo = (
            make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        self.hub = hub
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    while not self._stop.is_set():
                        for message in connection.notifies(timeout=1.0):
                            self.hub.wake(uuid.UUID(message.payload))
            except (psycopg.Error, ValueError) as error:
                log.warning("notification listener reconnecting", error=str(error))
                self._stop.wait(2.0)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookSender:
    """POSTs events to a user's webhook from a small thread pool, with retries and backoff."""

    def __init__(self, timeout_s: float, attempts: int) -> None:
        self.timeout_s = timeout_s
        self.attempts = attempts
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="webhook")

    def send(self, url: str, secret: str | None, body: dict[str, Any]) -> None:
        self._pool.submit(self._deliver, url, secret, json.dumps(body).encode())

    def _deliver(self, url: str, secret: str | None, body: bytes) -> None:
        headers = {"Content-Type": "application/json", "User-Agent": "swingcoach-webhook"}
        if secret:
            headers["X-Swingcoach-Signature"] = sign(secret, body)
        for attempt in range(self.attempts):
            try:
                response = httpx.post(url, content=body, headers=headers, timeout=self.timeout_s)
                if response.status_code < 300:
                    return
                error = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                error = str(exc) or type(exc).__name__
            log.warning("webhook delivery failed", url=url, attempt=attempt + 1, error=error)
            time.sleep(2**attempt)
        WEBHOOK_FAILURES.inc()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)


class Notifier:
    def __init__(self, hub: StreamHub, webhooks: WebhookSender) -> None:
        self.hub = hub
        self.webhooks = webhooks

    def delivered(self, notification: Notification, user: User) -> None:
        """Call after the transaction that recorded `notification` has committed."""
        self.hub.wake(user.id)
        if user.webhook_url:
            self.webhooks.send(user.webhook_url, user.webhook_secret, event_body(notification))
