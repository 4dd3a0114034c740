"""The reaper: finds work that fell through the cracks and puts it back on the queue.

- a running job whose lease expired (its worker died or hung): queued again, or dead when it has
  used all its attempts;
- a queued or retrying job with no message for `requeue_after_seconds` (the broker lost it, or the
  server stopped between the commit and the publish): published again;
- housekeeping: uploaded videos past their retention (unless the swing is kept), clips of failed
  uploads (normally deleted when the job fails; this catches a process that died first) and of
  jobs dead for `dead_clip_days`, old notifications, and unfinished clip uploads that received no
  chunk for `upload_staging_hours`.

Every change is a conditional UPDATE, so several API replicas can reap at once; a message sent
twice is harmless because processing is idempotent.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import aliased

from swingcoach.server.core.logging import get_logger
from swingcoach.server.jobs.tasks import drop_clip, fail_job
from swingcoach.server.models import Job, JobStatus, Notification, Swing, SwingStatus, utcnow

if TYPE_CHECKING:
    from swingcoach.server.services import Services

NOTIFICATION_RETENTION = timedelta(days=30)
log = get_logger(__name__)


def reap(services: Services) -> list[str]:
    """One pass; returns the ids of the jobs sent again."""
    settings, sessions = services.settings, services.sessions
    now = utcnow()
    quiet = now - timedelta(seconds=settings.requeue_after_seconds)
    with sessions() as session:
        expired = list(
            session.scalars(select(Job).where(Job.status == JobStatus.running, Job.lease_until < now))
        )
    for job in expired:
        if job.attempts >= job.max_attempts:
            reason = "the worker was lost during the attempt"
            fail_job(services, job, JobStatus.dead, f"gave up after {job.attempts} attempts: {reason}", None)
    lost = (
        update(Job)
        .where(
            or_(
                (Job.status == JobStatus.running)
                & (Job.lease_until < now)
                & (Job.attempts < Job.max_attempts),
                Job.status.in_([JobStatus.queued, JobStatus.retrying])
                & (Job.run_after <= now)
                & or_(Job.enqueued_at.is_(None), Job.enqueued_at < quiet),
            )
        )
        .values(status=JobStatus.queued, lease_until=None, enqueued_at=now)
        .returning(Job.id)
        .execution_options(synchronize_session=False)
    )
    with sessions.begin() as session:
        requeued = list(session.scalars(lost))
    for job_id in requeued:
        log.warning("job re-queued by the reaper", job_id=str(job_id))
        services.queue.enqueue(job_id)
    _housekeeping(services)
    return [str(job_id) for job_id in requeued]


def _housekeeping(services: Services) -> None:
    now = utcnow()
    with services.sessions.begin() as session:
        session.execute(delete(Notification).where(Notification.created_at < now - NOTIFICATION_RETENTION))
    stale = services.staging.sweep(services.settings.upload_staging_hours * 3600)
    if stale:
        log.info("stale clip uploads deleted", uploads=stale)
    dead_before = now - timedelta(days=services.settings.dead_clip_days)
    unusable_job = (Job.status == JobStatus.failed) | (
        (Job.status == JobStatus.dead) & (Job.finished_at < dead_before)
    )
    failed = select(Swing.id, Swing.video_key).where(
        Swing.video_key.is_not(None),
        Swing.status == SwingStatus.failed,
        exists().where(Job.swing_id == Swing.id, unusable_job),
    )
    with services.sessions() as session:
        unusable = list(session.execute(failed.limit(500)))
    for swing_id, key in unusable:
        drop_clip(services, key)
        log.info("clip of a failed upload deleted", swing_id=str(swing_id))
    days = services.settings.video_retention_days
    if days is None:
        return
    kept = aliased(Swing)
    old = select(Swing.id, Swing.video_key).where(
        Swing.video_key.is_not(None),
        Swing.keep.is_(False),
        # Several swings can come from one video: keep it while any of them is kept.
        ~exists().where(kept.video_key == Swing.video_key, kept.keep.is_(True)),
        Swing.status != SwingStatus.processing,
        Swing.received_at < now - timedelta(days=days),
    )
    with services.sessions() as session:
        expired = list(session.execute(old.limit(500)))
    for swing_id, key in expired:
        drop_clip(services, key)
        log.info("uploaded video deleted after retention", swing_id=str(swing_id))


class Reaper:
    """Runs `reap` every `interval_s` on a background thread (first pass at once: crash recovery)."""

    def __init__(self, services: Services, interval_s: float) -> None:
        self.services = services
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reaper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            try:
                reap(self.services)
            except Exception:  # the database may be briefly away; the next pass tries again
                log.exception("reaper pass failed")
            if self._stop.wait(self.interval_s):
                return
