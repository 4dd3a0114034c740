"""Everything a request or a job needs, built once per process from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from celery import Celery
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from swingcoach.server.analyze import Analyzer
from swingcoach.server.core.config import Settings
from swingcoach.server.db import create_db_engine, session_factory
from swingcoach.server.jobs.celery_app import celery_sender, make_celery
from swingcoach.server.jobs.queue import CeleryQueue, JobQueue, LocalQueue
from swingcoach.server.jobs.tasks import process_job
from swingcoach.server.live_views import LiveViewRelay
from swingcoach.server.notify import Notifier, StreamHub, WebhookSender
from swingcoach.server.staging import UploadStaging
from swingcoach.server.storage import Storage, open_storage


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    storage: Storage
    analyzer: Analyzer
    notifier: Notifier
    staging: UploadStaging
    queue: JobQueue = field(init=False)
    live_views: LiveViewRelay = field(default_factory=LiveViewRelay)

    def close(self) -> None:
        self.queue.stop()
        self.notifier.webhooks.close()
        self.engine.dispose()


def build_services(settings: Settings, celery: Celery | None = None) -> Services:
    """Embedded (no broker): in-process worker threads. With a broker: jobs go to Celery workers."""
    engine = create_db_engine(settings.resolved_database_url)
    services = Services(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        storage=open_storage(settings.resolved_storage_url, settings.s3_endpoint_url),
        analyzer=Analyzer(
            settings.pose_backend,
            settings.event_detector,
            settings.inference_threads,
            settings.payload_analysis_concurrency,
            settings.payload_queue_limit,
        ),
        notifier=Notifier(
            StreamHub(),
            WebhookSender(
                settings.webhook_timeout_seconds, settings.webhook_attempts, settings.webhook_allow
            ),
        ),
        staging=UploadStaging(settings.resolved_upload_staging_dir),
    )
    if settings.embedded_queue:
        services.queue = LocalQueue(lambda job_id: process_job(services, job_id), settings.embedded_workers)
    else:
        services.queue = CeleryQueue(celery_sender(celery or make_celery(settings)))
    return services
