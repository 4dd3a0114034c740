"""Jobs as users see them."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from swingcoach.server.models import Job, JobStatus, Swing, SwingStatus, utcnow

RETRYABLE = (JobStatus.dead, JobStatus.failed)


def get_job(session: Session, user_id: uuid.UUID, job_id: uuid.UUID) -> Job | None:
    job = session.get(Job, job_id)
    return job if job is not None and job.user_id == user_id else None


def list_jobs(session: Session, user_id: uuid.UUID, status: JobStatus | None, limit: int) -> list[Job]:
    query = select(Job).where(Job.user_id == user_id)
    if status is not None:
        query = query.where(Job.status == status)
    return list(session.scalars(query.order_by(Job.created_at.desc()).limit(limit)))


def latest_job(session: Session, swing_id: uuid.UUID) -> Job | None:
    return session.scalar(
        select(Job).where(Job.swing_id == swing_id).order_by(Job.created_at.desc()).limit(1)
    )


def requeue(session: Session, job: Job, more_attempts: int) -> None:
    """Give a dead-lettered or failed job a fresh set of attempts. `attempts` keeps counting up, so
    it stays a valid fencing token."""
    if job.status not in RETRYABLE:
        raise ValueError(f"only {' or '.join(RETRYABLE)} jobs can be retried; this one is {job.status}")
    now = utcnow()
    job.status = JobStatus.queued
    job.max_attempts = job.attempts + more_attempts
    job.run_after = now
    job.enqueued_at = now
    job.error = None
    job.finished_at = None
    swing = session.get(Swing, job.swing_id)
    if swing is not None:
        swing.status, swing.error = SwingStatus.processing, None
