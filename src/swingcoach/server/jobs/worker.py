"""The Celery worker entry point, configured from the environment like the API:

    celery -A swingcoach.server.jobs.worker worker --pool solo --queues swingcoach.jobs

One process per container (`--pool solo`), scaled by running more containers: each then serves its
own /metrics on SWINGCOACH_WORKER_METRICS_PORT, and a SIGKILLed worker takes only its own job down.
"""

from __future__ import annotations

from typing import Any

from celery.signals import setup_logging, worker_init
from prometheus_client import start_http_server

from swingcoach.server.core.config import Settings
from swingcoach.server.core.logging import configure_logging
from swingcoach.server.jobs.celery_app import make_celery

settings = Settings()
app = make_celery(settings)


@setup_logging.connect
def _logging(**_: Any) -> None:
    configure_logging(settings.log_level, settings.log_json)


@worker_init.connect
def _metrics(**_: Any) -> None:
    if settings.worker_metrics_port is not None:
        start_http_server(settings.worker_metrics_port)
