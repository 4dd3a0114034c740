"""Sends the outbox to the server: oldest first, one at a time, exponential backoff with jitter.

- 2xx: delivered (a resend of a swing the server already has answers 200: still one swing).
- 5xx, 408, 425, 429, timeouts, refused connections: the server is unwell, not the swing; the row
  stays pending and the sender waits base x 2^n seconds (capped, times a random 0.5-1 so that many
  devices coming back after an outage do not all retry at the same instant), then tries again.
- 401: the token is refused; with an account, log in again once, else wait like an outage.
- Other 4xx: the server rejects this swing for good; the row is marked failed with its message.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from swingcoach.edge.outbox import Outbox, OutboxItem
from swingcoach.errors import SwingcoachError

log = logging.getLogger(__name__)
RETRYABLE_STATUS = {408, 425, 429}
MAX_MESSAGE = 500


class AuthError(SwingcoachError):
    """No usable credentials: the server refuses the token and the account (if any)."""

    exit_code = 2


class Backoff:
    def __init__(self, base_s: float, cap_s: float, rng: random.Random | None = None) -> None:
        self.base_s, self.cap_s = base_s, cap_s
        self.failures = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        delay = min(self.cap_s, self.base_s * 2 ** min(self.failures, 32))
        self.failures += 1
        return delay * self._rng.uniform(0.5, 1.0)

    def reset(self) -> None:
        self.failures = 0


def server_message(response: httpx.Response) -> str:
    """The server's own explanation (FastAPI's `detail`), else the start of the body."""
    try:
        detail = response.json().get("detail", response.text)
    except (ValueError, AttributeError):
        detail = response.text
    return f"{response.status_code}: {detail}"[:MAX_MESSAGE]


class ServerClient:
    """The swing API with a bearer token, taken as given or obtained by logging in."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        email: str | None = None,
        password: str | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        if token is None and not (email and password):
            raise AuthError("uploading needs a token (--token / SWINGCOACH_TOKEN) or --email and --password")
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout_s)
        self._token = token
        self._account = (email, password) if email and password else None

    def close(self) -> None:
        self._http.close()

    def _login(self) -> None:
        if self._account is None:
            raise AuthError("the server refused the token (401) and no account was given to log in with")
        email, password = self._account
        response = self._http.post("/v1/auth/login", json={"email": email, "password": password})
        if response.status_code >= 500:
            response.raise_for_status()  # an outage, retried like any other
        if response.status_code != 200:
            raise AuthError(f"login as {email} failed: {server_message(response)}")
        try:
            self._token = response.json()["access_token"]
        except (ValueError, KeyError):
            raise AuthError(f"login answered without a token: {response.text[:MAX_MESSAGE]}") from None

    def _authorized(self, send_once: Callable[[dict[str, str]], httpx.Response]) -> httpx.Response:
        """`send_once(auth headers)`; a 401 logs in again (with the account, if given) and retries once."""
        if self._token is None:
            self._login()
        response = send_once({"Authorization": f"Bearer {self._token}"})
        if response.status_code == 401:
            self._login()
            response = send_once({"Authorization": f"Bearer {self._token}"})
            if response.status_code == 401:
                raise AuthError(f"the server refuses a fresh token: {server_message(response)}")
        return response

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        return self._authorized(
            lambda auth: self._http.request(method, path, headers={**(headers or {}), **auth}, **kwargs)
        )

    def send(self, item: OutboxItem) -> httpx.Response:
        if item.kind == "payload":
            return self.request(
                "POST", "/v1/swings", content=item.body, headers={"Content-Type": "application/json"}
            )

        def upload(auth: dict[str, str]) -> httpx.Response:
            with Path(item.body).open("rb") as clip:  # opened again for a retry
                return self._http.post(
                    "/v1/swings/video",
                    files={"file": (f"{item.swing_id}.mp4", clip, "video/mp4")},
                    data={"swing_id": item.swing_id},
                    headers=auth,
                )

        return self._authorized(upload)


class Sender:
    """Works through the outbox on a background thread (`start`/`stop`) or until it is empty (`drain`)."""

    def __init__(self, outbox: Outbox, client: ServerClient, backoff: Backoff) -> None:
        self.outbox = outbox
        self.client = client
        self.backoff = backoff
        self.wake = threading.Event()  # set when a swing is queued
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def deliver(self, item: OutboxItem) -> bool:
        """One attempt; True when the server gave a final answer (delivered or rejected)."""
        try:
            response = self.client.send(item)
        except httpx.HTTPError as error:  # refused, reset, timed out, or a 5xx during login
            self.outbox.attempt_failed(item, None, f"{type(error).__name__}: {error}"[:MAX_MESSAGE])
            return False
        except FileNotFoundError:
            self.outbox.failed(item, None, f"the clip is gone: {item.body}")
            return True
        status = response.status_code
        if 200 <= status < 300:
            self.outbox.delivered(item, status)
            return True
        if status >= 500 or status in RETRYABLE_STATUS:
            self.outbox.attempt_failed(item, status, server_message(response))
            return False
        self.outbox.failed(item, status, server_message(response))
        log.warning(
            "swing %s (%s) rejected by the server: %s", item.swing_id, item.kind, server_message(response)
        )
        return True

    def _run(self, until_empty: bool, deadline: float | None) -> None:
        while not self._stop.is_set() and (deadline is None or time.monotonic() < deadline):
            self.wake.clear()
            item = self.outbox.next_pending()
            if item is None:
                if until_empty:
                    return
                self.wake.wait()
                continue
            try:
                final = self.deliver(item)
            except AuthError as error:
                if until_empty:
                    raise
                log.error("upload paused: %s", error)
                final = False
            except Exception:  # on the device's background thread: keep the swing queued, keep going
                if until_empty:
                    raise
                log.exception("upload of swing %s failed unexpectedly", item.swing_id)
                final = False
            if final:
                self.backoff.reset()
                continue
            delay = self.backoff.next_delay()
            if deadline is not None:
                delay = min(delay, max(0.0, deadline - time.monotonic()))
            log.info("server unavailable; next try in %.1f s", delay)
            self._stop.wait(delay)

    def drain(self, timeout_s: float | None = None) -> None:
        """Send until nothing is pending (rejected rows do not count) or the timeout passes."""
        self._run(until_empty=True, deadline=None if timeout_s is None else time.monotonic() + timeout_s)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, args=(False, None), name="sender", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the background thread (an upload in flight gets `timeout_s` to finish) and disconnect."""
        self._stop.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        self.client.close()
