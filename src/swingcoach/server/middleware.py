"""ASGI middleware: body-size limits, and the per-request id, access log and latency metric.

Plain ASGI (not BaseHTTPMiddleware) so streamed uploads and server-sent events pass untouched.
The size limit is ours rather than FastAPI's `max_body_size` because that one answers a bare
text/plain "Content Too Large"; clients here get JSON that names the limit.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Sequence

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.contextvars import bind_contextvars, clear_contextvars

from swingcoach.server.core.logging import get_logger
from swingcoach.server.core.metrics import REQUEST_SECONDS

log = get_logger("swingcoach.access")
UUID_SEGMENT = re.compile(
    r"/[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}(?=/|$)"
)
# Room for the multipart envelope and form fields around the video itself.
MULTIPART_OVERHEAD = 64 * 1024


def too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"the request body is larger than the {limit / 1024 / 1024:g} MiB allowed here")


class BodySizeLimit:
    """Refuses bodies over the limit: at once when Content-Length says so, else while streaming."""

    def __init__(
        self,
        app: ASGIApp,
        default_limit: int,
        limits: dict[str, int],
        patterns: Sequence[tuple[re.Pattern[str], int]] = (),
    ) -> None:
        self.app = app
        self.default_limit = default_limit
        self.limits = limits
        self.patterns = patterns

    def limit(self, path: str) -> int:
        if path in self.limits:
            return self.limits[path]
        return next(
            (limit for pattern, limit in self.patterns if pattern.fullmatch(path)), self.default_limit
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _reject(send, limit)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised inside the route's body parsing: it becomes a 413 response.
                    raise too_large(limit)
            return message

        await self.app(scope, limited_receive, send)


async def _reject(send: Send, limit: int) -> None:
    body = json.dumps({"detail": too_large(limit).detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestContext:
    """Request id (X-Request-ID, made up when absent), one JSON access-log line per request with
    the user, swing, job and model versions the route recorded, and the latency histogram."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1")[:64] or uuid.uuid4().hex
        clear_contextvars()
        bind_contextvars(request_id=request_id)
        scope.setdefault("state", {})
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            # Ids in the path become {id}: one series per endpoint, not per swing.
            template = UUID_SEGMENT.sub("/{id}", scope["path"]) if "route" in scope else "unmatched"
            REQUEST_SECONDS.labels(scope["method"], template, str(status)).observe(elapsed)
            state = scope["state"]
            fields = {key: state[key] for key in ("user_id", "swing_id", "job_id", "models") if key in state}
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round(elapsed * 1000, 2),
                **fields,
            )


# --- security headers (docs/server.md "Accounts, tokens and abuse limits") ---
# The pages load only their own modules, styles, images and models; wasm needs 'wasm-unsafe-eval'
# (compiling it is "eval" to CSP), onnxruntime-web starts its threads as workers, clips and
# thumbnails kept in the browser are blob: URLs. No inline script or style anywhere.
PAGE_CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; "
    "style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's /docs and /redoc pages load Swagger UI / ReDoc from a CDN with an inline bootstrap
# (development only: production serves no docs).
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https:; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


class SecurityHeaders:
    """CSP, nosniff, no framing and no Referer on every response; API answers (tokens, the
    user's data) are never stored by a cache."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        csp = DOCS_CSP if path.startswith(DOCS_PATHS) else PAGE_CSP
        extra = [*SECURITY_HEADERS, (b"content-security-policy", csp.encode())]
        if path.startswith("/v1/"):
            extra.append((b"cache-control", b"no-store"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in extra}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message["headers"] = [*kept, *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
