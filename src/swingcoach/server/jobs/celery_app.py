"""Celery wiring: the broker only ever carries job ids; `process_job` does the work.

acks_late + reject_on_worker_lost: a message is acknowledged only after the job ran, so a worker
killed mid-job leaves it on the broker for another worker. Retries are scheduled by re-publishing
the same job id with a countdown; the job row counts the attempts and turns `dead` at the limit.
"""

from __future__ import annotations

import uuid

from celery import Celery

from swingcoach.server.core.config import Settings

TASK_NAME = "swingcoach.process_job"
# Seconds before a message is tried again when the database itself was unreachable.
INFRASTRUCTURE_RETRY_S = 5.0


def make_celery(settings: Settings) -> Celery:
    """The Celery app for `settings`, as the API publishes with it; the worker
    (`swingcoach.server.jobs.worker`) registers the task that runs the jobs."""
    app = Celery("swingcoach", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue=settings.queue_name,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        # Redis only: an unacknowledged message is handed out again after this long.
        broker_transport_options={"visibility_timeout": max(3600, 2 * settings.job_lease_seconds)},
    )
    return app


def celery_sender(app: Celery):  # type: ignore[no-untyped-def]
    def send(job_id: uuid.UUID, delay_s: float) -> None:
        app.send_task(TASK_NAME, args=[str(job_id)], countdown=delay_s or None)

    return send
