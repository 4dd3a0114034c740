"""'Analysis complete' notifications: a row per event (the truth, replayable), server-sent events
to every open stream of that user, and an optional signed webhook.

A notification row is written in the same transaction as the result it announces. After the
commit, the process that wrote it wakes its own SSE streams; on Postgres, `pg_notify` (delivered on
commit) wakes the streams held by every other API replica. Streams also re-read the table every
`sse_poll_seconds`, so a lost wake-up only delays an event, never drops it.

Webhooks reach public addresses only (no SSRF into the service's network): the URL's host is
resolved and checked when it is set, and again at each delivery, which connects to the address
it checked (DNS may answer differently the second time) and follows no redirect. Networks in
`webhook_allow` are let through (an on-prem receiver).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
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


Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network
NAT64 = ip_network("64:ff9b::/96")


class WebhookRefused(ValueError):
    """The webhook's host is not a public address (nor an allowed one), or does not resolve."""


def _carried_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 form leads to (mapped, NAT64, 6to4, Teredo): the one to judge."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    return address.teredo[1] if address.teredo is not None else None


def permitted(address: Address, allow: Sequence[Network] = ()) -> bool:
    """Public (not loopback, private, link-local, shared, reserved, multicast), or allowed."""
    if isinstance(address, IPv6Address):
        address = _carried_ipv4(address) or address
    if any(address in network for network in allow):
        return True
    return address.is_global and not address.is_multicast and not address.is_reserved


def resolve_webhook(url: str, allow: Sequence[Network] = ()) -> Address:
    """The address to deliver `url` to, from one resolution: every address the host has must be
    permitted (an IP literal is its own only address). Raises WebhookRefused."""
    target = httpx.URL(url)
    port = target.port or (443 if target.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(target.host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise WebhookRefused(f"the host {target.host} does not resolve") from None
    addresses = list(dict.fromkeys(ip_address(info[4][0]) for info in infos))
    for address in addresses:
        if not permitted(address, allow):
            raise WebhookRefused(
                f"the host {target.host} is {address}, not a public address (see SWINGCOACH_WEBHOOK_ALLOW)"
            )
    return addresses[0]


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookSender:
    """POSTs events to a user's webhook from a small thread pool, with retries and backoff."""

    def __init__(
        self,
        timeout_s: float,
        attempts: int,
        allow: Sequence[Network] = (),
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.attempts = attempts
        self.allow = list(allow)
        self._client = httpx.Client(timeout=timeout_s, follow_redirects=False, transport=transport)
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="webhook")

    def send(self, url: str, secret: str | None, body: dict[str, Any]) -> None:
        self._pool.submit(self._deliver, url, secret, json.dumps(body).encode())

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        """One POST to the address checked for this attempt; Host and TLS (SNI, certificate) keep
        the URL's name."""
        address = resolve_webhook(url, self.allow)
        target = httpx.URL(url)
        return self._client.post(
            target.copy_with(host=str(address)),
            content=body,
            headers=headers | {"Host": target.netloc.decode("ascii")},
            extensions={"sni_hostname": target.host},
        )

    def _deliver(self, url: str, secret: str | None, body: bytes) -> None:
        headers = {"Content-Type": "application/json", "User-Agent": "swingcoach-webhook"}
        if secret:
            headers["X-Swingcoach-Signature"] = sign(secret, body)
        for attempt in range(self.attempts):
            try:
                response = self._post(url, body, headers)
                if response.status_code < 300:
                    return
                error = f"HTTP {response.status_code}"
            except WebhookRefused as refused:
                log.warning("webhook refused", url=url, error=str(refused))
                break  # not a transient failure: retrying reaches the same address
            except httpx.HTTPError as exc:
                error = str(exc) or type(exc).__name__
            log.warning("webhook delivery failed", url=url, attempt=attempt + 1, error=error)
            time.sleep(2**attempt)
        WEBHOOK_FAILURES.inc()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)
        self._client.close()


class Notifier:
    def __init__(self, hub: StreamHub, webhooks: WebhookSender) -> None:
        self.hub = hub
        self.webhooks = webhooks

    def delivered(self, notification: Notification, user: User) -> None:
        """Call after the transaction that recorded `notification` has committed."""
        self.hub.wake(user.id)
        if user.webhook_url:
            self.webhooks.send(user.webhook_url, user.webhook_secret, event_body(notification))
