"""The FastAPI application: `create_app(settings)`.

Routes: the API under /v1, and /healthz, /readyz, /metrics at the root. The web app
(`swingcoach.web`) mounts its pages and static files onto the app this returns; it owns every other
path, so it is mounted after these routes.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from swingcoach import __version__
from swingcoach.server.api.main import api_router
from swingcoach.server.api.routes import ops
from swingcoach.server.api.schemas import ERROR_DESCRIPTIONS, ErrorBody
from swingcoach.server.core.config import Settings
from swingcoach.server.core.logging import configure_logging, get_logger
from swingcoach.server.core.ratelimit import Guard
from swingcoach.server.db import migrate
from swingcoach.server.jobs.reaper import Reaper
from swingcoach.server.middleware import MULTIPART_OVERHEAD, BodySizeLimit, RequestContext, SecurityHeaders
from swingcoach.server.models import Job, JobStatus
from swingcoach.server.notify import PostgresListener
from swingcoach.server.services import build_services
from swingcoach.web import mount_web

log = get_logger(__name__)
VIDEO_UPLOAD_PATH = "/v1/swings/video"
CLIP_CHUNK_PATH = re.compile(r"/v1/swings/[^/]+/clip")  # PUT: one chunk of a resumable upload
PRIVATE_UMASK = 0o077  # files 0600, folders 0700


class JobGauges(Collector):
    """Queue depth and dead letters, read from the job table at scrape time (the truth)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def collect(self) -> Iterable[Metric]:
        gauge = GaugeMetricFamily(
            "swingcoach_jobs", "Jobs by status (queued + retrying = queue depth)", labels=["status"]
        )
        shown = (JobStatus.queued, JobStatus.retrying, JobStatus.running, JobStatus.dead)
        with self.sessions() as session:
            counts = dict(
                session.execute(
                    select(Job.status, func.count()).where(Job.status.in_(shown)).group_by(Job.status)
                ).all()
            )
        for status in shown:
            gauge.add_metric([str(status)], counts.get(status, 0))
        yield gauge


def _summarize(errors: list[dict[str, Any]]) -> str:
    """Pydantic errors as one readable line: 'body.fps: Input should be greater than 0; ...'."""
    parts = []
    for error in errors[:3]:
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return "; ".join(parts) + more


async def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
    # Only location, message and type: inputs can be megabytes of keypoints.
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in error.errors()
    ]
    return JSONResponse({"detail": _summarize(errors), "errors": errors}, status_code=422)


async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
    log.exception("unhandled error", path=request.url.path)
    return JSONResponse(
        {"detail": "internal server error; the request id is in X-Request-ID"}, status_code=500
    )


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> set[str]:
    """Every method the path answers to, over all the routes that share it (Starlette names only
    the first matching route's methods): each method is tried against the routes."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Mount):  # matches any method; the static files answer GET and HEAD
            if isinstance(route.app, StaticFiles) and route.matches(request.scope)[0] is not Match.NONE:
                methods |= {"GET", "HEAD"}
            continue
        methods |= {m for m in HTTP_METHODS if route.matches({**request.scope, "method": m})[0] is Match.FULL}
    return methods


async def http_error(request: Request, error: StarletteHTTPException) -> Response:
    if error.status_code == 405 and (methods := _allowed_methods(request)):
        headers = dict(error.headers or {}) | {"Allow": ", ".join(sorted(methods))}
        error = StarletteHTTPException(405, error.detail, headers)
    return await http_exception_handler(request, error)


def _shared_errors(path: str, operation: dict[str, Any]) -> list[int]:
    """The error statuses an operation answers because of its shape, whatever the route."""
    body = operation.get("requestBody")
    statuses = []
    if body is not None:
        statuses.append(400)  # a body that does not parse (not UTF-8, a broken form)
    if operation.get("security"):
        statuses.append(401)
    if "{" in path:
        statuses.append(404)
    if body is not None:
        statuses += [413, 422]
    elif operation.get("parameters"):
        statuses.append(422)
    return statuses


def document_errors(app: FastAPI) -> None:
    """Make the OpenAPI document say what the service answers: ErrorBody (not FastAPI's
    HTTPValidationError) for every 422, and the shared error statuses on every operation."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(body.pop("$defs", {}), ErrorBody=body)
        content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        for path, item in schema["paths"].items():
            for operation in item.values():
                responses = operation["responses"]
                for status in _shared_errors(path, operation):
                    if status == 422 or str(status) not in responses:
                        responses[str(status)] = {
                            "description": ERROR_DESCRIPTIONS[status],
                            "content": content,
                        }
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_json)
    # The database, stored clips and the key hold emails, hashes and secrets: only this user's.
    os.umask(PRIVATE_UMASK)
    settings.signing_key  # noqa: B018 - read (and, without SECRET_KEY, warned about) at start

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = build_services(settings)
        app.state.guard = Guard.build(settings)
        if settings.resolved_redis_url is None and services.engine.dialect.name != "sqlite":
            log.warning(
                "no REDIS_URL: login limits and logouts hold in this process only; "
                "with several API replicas set REDIS_URL"
            )
        if settings.migrate_on_start:
            migrate(services.engine)
        services.notifier.hub.attach(asyncio.get_running_loop())
        listener = None
        if services.engine.dialect.name == "postgresql":
            listener = PostgresListener(settings.resolved_database_url, services.notifier.hub)
            listener.start()
        gauges = JobGauges(services.sessions)
        REGISTRY.register(gauges)
        services.queue.start()
        reaper = Reaper(services, settings.reaper_interval_seconds)
        reaper.start()
        app.state.services = services
        log.info(
            "service started",
            database=services.engine.dialect.name,
            storage=type(services.storage).__name__,
            queue=type(services.queue).__name__,
            models=services.analyzer.served_versions().model_dump(exclude_none=True),
        )
        try:
            yield
        finally:
            reaper.stop()
            if listener is not None:
                listener.stop()
            REGISTRY.unregister(gauges)
            await app.state.guard.close()
            services.close()

    # Production publishes no API description (the routes are no secret, but no map either).
    public_docs = settings.env != "production"
    app = FastAPI(
        title="swingcoach",
        version=__version__,
        summary="Golf swing analysis: keypoint payloads analysed in milliseconds, videos by workers.",
        lifespan=lifespan,
        docs_url="/docs" if public_docs else None,
        redoc_url="/redoc" if public_docs else None,
        openapi_url="/openapi.json" if public_docs else None,
    )
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, unexpected_error)
    app.add_middleware(
        BodySizeLimit,
        default_limit=settings.max_json_bytes,
        limits={VIDEO_UPLOAD_PATH: settings.max_video_bytes + MULTIPART_OVERHEAD},
        patterns=[(CLIP_CHUNK_PATH, settings.max_chunk_bytes)],
    )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestContext)
    app.include_router(api_router, prefix="/v1")
    app.include_router(ops.router)
    mount_web(app)
    document_errors(app)
    return app
