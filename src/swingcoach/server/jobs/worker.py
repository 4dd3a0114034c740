"""The Celery worker entry point, configured from the environment like the API:

    celery -A swingcoach.server.jobs.worker worker --pool solo --queues swingcoach.jobs

One process per container (`--pool solo`), scaled by running more containers: each then serves its
own /metrics on SWINGCOACH_WORKER_METRICS_PORT, and a SIGKILLed worker takes only its own job down.
"""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

from celery import Task
from celery.signals import setup_logging, worker_init
from prometheus_client import start_http_server

from swingcoach.server.core.config import Settings
from swingcoach.server.core.logging import configure_logging
from swingcoach.server.jobs.celery_app import INFRASTRUCTURE_RETRY_S, TASK_NAME, make_celery
from swingcoach.server.jobs.tasks import process_job
from swingcoach.server.services import Services, build_services

settings = Settings()
app = make_celery(settings)


@cache
def current_services() -> Services:
    """Built on the first job, in the worker process itself (after any fork)."""
    return build_services(settings, celery=app)


@app.task(bind=True, name=TASK_NAME, max_retries=None)
def process_job_task(self: Task, job_id: str) -> None:
    try:
        delay = process_job(current_services(), uuid.UUID(job_id))
    except Exception as error:
        raise self.retry(countdown=INFRASTRUCTURE_RETRY_S, exc=error) from error
    if delay is not None:
        raise self.retry(countdown=delay)


@setup_logging.connect
def _logging(**_: Any) -> None:
    configure_logging(settings.log_level, settings.log_json)


@worker_init.connect
def _metrics(**_: Any) -> None:
    if settings.worker_metrics_port is not None:
        start_http_server(settings.worker_metrics_port)
