"""Operations: served model versions, liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy import text

from swingcoach.schemas import PAYLOAD_SCHEMA_VERSION, REPORT_SCHEMA_VERSION
from swingcoach.server.api.deps import ServicesDep, metrics_access
from swingcoach.server.api.schemas import ERROR_DESCRIPTIONS, ServedModels
from swingcoach.server.services import Services

models_router = APIRouter(tags=["models"])
router = APIRouter(tags=["operations"])
BROKER_TIMEOUT_S = 2.0


@models_router.get("/models", response_model=ServedModels)
def models(services: ServicesDep) -> ServedModels:
    """The model versions every new analysis records (device swings add the device's pose model)."""
    settings = services.settings
    return ServedModels(
        models=services.analyzer.served_versions(),
        pose_backend=settings.pose_backend,
        event_detector=settings.event_detector,
        payload_schema_version=PAYLOAD_SCHEMA_VERSION,
        report_schema_version=REPORT_SCHEMA_VERSION,
    )


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: the process serves requests."""
    return {"status": "ok"}


def _check(services: Services) -> dict[str, str]:
    checks: dict[str, str] = {}
    try:
        with services.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"error: {error}"
    try:
        services.storage.check()
        checks["storage"] = "ok"
    except Exception as error:
        checks["storage"] = f"error: {error}"
    broker = services.settings.broker_url
    if broker is not None:
        from kombu import Connection

        try:
            with Connection(broker, connect_timeout=BROKER_TIMEOUT_S) as connection:
                connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_S)
            checks["broker"] = "ok"
        except Exception as error:
            checks["broker"] = f"error: {error}"
    return checks


@router.get("/readyz", responses={503: {"description": ERROR_DESCRIPTIONS[503]}})
async def readyz(services: ServicesDep) -> JSONResponse:
    """Readiness: the database, the storage and (when used) the broker answer."""
    checks = await run_in_threadpool(_check, services)
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", **checks}, status_code=200 if ready else 503
    )


@router.get("/metrics", include_in_schema=False, dependencies=[Depends(metrics_access)])
def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
