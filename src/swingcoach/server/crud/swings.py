"""Swings: the device path (analysed here, in the request), video uploads (a job), and the
golfer's own library. Creating a swing is idempotent on its id, also under concurrent resends:
the primary key decides, and the loser of the race answers with the winner's row."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import Select, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from swingcoach.analysis.ballflight import DEFAULT_CLUB
from swingcoach.schemas import Club, ModelVersions, SwingPayload, SwingReport
from swingcoach.server.analyze import swing_summary
from swingcoach.server.core.logging import get_logger
from swingcoach.server.core.metrics import SWINGS_CREATED
from swingcoach.server.jobs.tasks import VIDEO_JOB
from swingcoach.server.models import (
    Job,
    JobStatus,
    PostureSession,
    Swing,
    SwingSource,
    SwingStatus,
    User,
    utcnow,
)
from swingcoach.server.notify import ANALYSIS_COMPLETE, record_notification
from swingcoach.server.services import Services

# A device clock may run a little fast; further in the future is a broken clock.
MAX_CLOCK_SKEW = timedelta(hours=1)
MiB = 1024 * 1024
log = get_logger(__name__)


Resendable = TypeVar("Resendable", Swing, PostureSession)


class SwingConflict(ValueError):
    """The swing id is taken by different content (or by another account)."""


class UnknownAccount(LookupError):
    """The swing names an account that is not in the database."""


class QuotaExceeded(ValueError):
    """Storing the clip would take the user's stored clips past the storage quota."""


@dataclass(frozen=True)
class ClipUsage:
    bytes: int
    clips: int


def clip_usage(session: Session, user_id: uuid.UUID) -> ClipUsage:
    """The user's stored clips and their bytes, each clip once (the swings of one upload share it):
    what the storage quota counts."""
    clips = (
        select(Swing.video_key, Swing.video_bytes)
        .where(Swing.user_id == user_id, Swing.video_key.is_not(None))
        .distinct()
        .subquery()
    )
    used, count = session.execute(select(func.coalesce(func.sum(clips.c.video_bytes), 0), func.count())).one()
    return ClipUsage(int(used or 0), int(count or 0))


def check_quota(session: Session, user_id: uuid.UUID, size: int, quota: int, unfinished: int = 0) -> None:
    """QuotaExceeded unless `size` fits beside the stored clips and `unfinished` bytes of other
    uploads still being sent."""
    used = clip_usage(session, user_id).bytes
    if used + unfinished + size > quota:
        pending = f", {unfinished / MiB:.1f} MiB in unfinished uploads" if unfinished else ""
        raise QuotaExceeded(
            f"this clip ({size / MiB:.1f} MiB) does not fit your storage quota of {quota / MiB:g} MiB "
            f"({used / MiB:.1f} MiB used{pending}); delete swings you no longer need"
            + (" or cancel an unfinished upload" if unfinished else "")
        )


def ensure_quota(
    services: Services, user_id: uuid.UUID, swing_id: uuid.UUID, size: int, unfinished: int = 0
) -> None:
    """Before storing an upload: QuotaExceeded when it cannot fit. A swing that already has its clip
    is a resend (or a conflict): nothing new is kept, so it is let through to be answered."""
    with services.sessions() as session:
        swing = session.get(Swing, swing_id)
        if swing is not None and swing.user_id == user_id and swing.video_sha256 is not None:
            return
        check_quota(session, user_id, size, services.settings.storage_quota_bytes, unfinished)


def _reserve(services: Services, session: Session, user_id: uuid.UUID, size: int) -> None:
    """Check the quota again in the transaction that records the clip, holding the user's row, so
    concurrent uploads of one user cannot all fit into the same free space (Postgres)."""
    if session.get(User, user_id, with_for_update=True) is None:
        raise UnknownAccount(user_id)
    check_quota(session, user_id, size, services.settings.storage_quota_bytes)


@dataclass(frozen=True)
class SwingFilter:
    since: datetime | None = None
    until: datetime | None = None
    favorite: bool | None = None
    min_score: float | None = None
    max_score: float | None = None
    status: SwingStatus | None = None
    club: Club | None = None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def get_own(session: Session, user_id: uuid.UUID, swing_id: uuid.UUID) -> Swing | None:
    """The user's swing, or None: another account's swing does not exist as far as the user can tell."""
    swing = session.get(Swing, swing_id)
    return swing if swing is not None and swing.user_id == user_id else None


def find_resend_of(
    services: Services, model: type[Resendable], noun: str, user_id: uuid.UUID, row_id: uuid.UUID, digest: str
) -> Resendable | None:
    """The stored row a resend returns, None for a new one; SwingConflict when the client-made id is
    another account's (nothing of theirs is read or changed) or was received with other content."""
    with services.sessions() as session:
        row = session.get(model, row_id)
    if row is None:
        return None
    if row.user_id != user_id:
        raise SwingConflict(f"{noun}_id {row_id} is already in use; make a new id for a new {noun}")
    if row.content_sha256 != digest:
        raise SwingConflict(
            f"{noun} {row_id} was already received with different content; a resend must be identical"
        )
    return row


def find_resend(
    services: Services, user_id: uuid.UUID, swing_id: uuid.UUID, content_sha256: str
) -> Swing | None:
    return find_resend_of(services, Swing, "swing", user_id, swing_id, content_sha256)


def swung_at(recorded_at: datetime | None, now: datetime) -> datetime:
    if recorded_at is None:
        return now
    recorded = recorded_at if recorded_at.tzinfo is not None else recorded_at.replace(tzinfo=UTC)
    if recorded > now + MAX_CLOCK_SKEW:
        raise ValueError(f"recorded_at {recorded.isoformat()} is in the future; check the device clock")
    return recorded


def device_content(payload: SwingPayload) -> tuple[bytes, str]:
    """The payload as stored and its fingerprint (a resend with other content is a conflict)."""
    blob = payload.model_dump_json().encode()
    return blob, sha256(blob)


def store_device_swing(
    services: Services,
    user_id: uuid.UUID,
    payload: SwingPayload,
    content: tuple[bytes, str],
    report: SwingReport,
    versions: ModelVersions,
) -> tuple[Swing, bool]:
    """Store an analysed device payload; (swing, created). A concurrent resend that stored it first
    wins: its swing is returned."""
    blob, content_sha256 = content
    now = utcnow()
    swing = Swing(
        id=payload.swing_id,
        user_id=user_id,
        source=SwingSource.device,
        status=SwingStatus.done,
        received_at=now,
        swung_at=swung_at(payload.recorded_at, now),
        content_sha256=content_sha256,
        payload=blob,
        fps=payload.fps,
        frames=payload.frames,
        width=payload.width,
        height=payload.height,
        device=payload.device,
        club=payload.club,
        models=versions.model_dump(),
        report=report.model_dump(mode="json"),
        **swing_summary(report),
    )
    try:
        with services.sessions.begin() as session:
            session.add(swing)
            session.flush()  # a concurrent duplicate fails here, before anything else is written
            user = session.get_one(User, user_id)
            data = {"swing_id": str(swing.id), "job_id": None, "status": "done", "swing_ids": [str(swing.id)]}
            notification = record_notification(
                session, user, ANALYSIS_COMPLETE, data | {"score": report.score}
            )
    except IntegrityError:
        winner = find_resend(services, user_id, payload.swing_id, content_sha256)
        if winner is None:
            raise UnknownAccount(user_id) from None
        return winner, False
    services.notifier.delivered(notification, user)
    SWINGS_CREATED.labels(SwingSource.device).inc()
    return swing, True


def _latest_job(services: Services, swing: Swing) -> Job:
    with services.sessions() as session:
        job = session.scalar(select(Job).where(Job.swing_id == swing.id).order_by(Job.created_at.desc()))
    if job is None:
        raise SwingConflict(f"swing {swing.id} has no analysis job")
    return job


def _new_job(services: Services, user_id: uuid.UUID, swing_id: uuid.UUID, now: datetime) -> Job:
    return Job(
        id=uuid.uuid4(),
        user_id=user_id,
        swing_id=swing_id,
        kind=VIDEO_JOB,
        status=JobStatus.queued,
        attempts=0,
        max_attempts=services.settings.job_max_attempts,
        run_after=now,
        enqueued_at=now,
        created_at=now,
        swing_ids=[],
    )


def _attach_clip(
    services: Services,
    user_id: uuid.UUID,
    swing_id: uuid.UUID,
    video_key: str,
    content_sha256: str,
    size: int,
) -> tuple[Swing, Job, bool] | None:
    """The clip of a swing that already exists: a resend of the same upload, or the clip of a keypoint
    swing (the browser's "also upload the clip"), which attaches to it and re-analyses it. None when
    the swing does not exist (yet)."""
    now = utcnow()
    with services.sessions.begin() as session:
        swing = session.get(Swing, swing_id, with_for_update=True)
        if swing is None:
            return None
        if swing.user_id != user_id:
            raise SwingConflict(f"swing_id {swing_id} is already in use; make a new id for a new swing")
        if swing.video_sha256 == content_sha256:
            resend = True
        elif swing.source == SwingSource.device and swing.video_key is None:
            _reserve(services, session, user_id, size)
            swing.video_key, swing.video_sha256, swing.video_bytes = video_key, content_sha256, size
            job = _new_job(services, user_id, swing_id, now)
            session.add(job)
            session.flush()
            resend = False
        else:
            raise SwingConflict(
                f"swing {swing_id} was already received with a different video; a resend must be identical"
            )
    if resend:
        return swing, _latest_job(services, swing), False
    log.info("clip attached to a keypoint swing", swing_id=str(swing_id), job_id=str(job.id))
    return swing, job, True


def create_video_swing(
    services: Services,
    user_id: uuid.UUID,
    swing_id: uuid.UUID,
    video_key: str,
    content_sha256: str,
    size: int,
    club: Club = DEFAULT_CLUB,
) -> tuple[Swing, Job, bool]:
    """Record an uploaded video and its analysis job in one transaction; (swing, job, created). A
    resend of the same video under the same id returns the first upload's swing and job; a clip for a
    keypoint swing of the same account attaches to it (one physical swing stays one swing, with the
    club its payload said; `club` is a new swing's). Raises
    QuotaExceeded when the clip (`size` bytes) does not fit the user's storage quota."""
    attached = _attach_clip(services, user_id, swing_id, video_key, content_sha256, size)
    if attached is not None:
        return attached
    now = utcnow()
    swing = Swing(
        id=swing_id,
        user_id=user_id,
        source=SwingSource.video,
        status=SwingStatus.processing,
        received_at=now,
        swung_at=now,
        content_sha256=content_sha256,
        video_key=video_key,
        video_sha256=content_sha256,
        video_bytes=size,
        club=club,
        models={},
        metrics={},
        faults=[],
    )
    job = _new_job(services, user_id, swing_id, now)
    try:
        with services.sessions.begin() as session:
            _reserve(services, session, user_id, size)
            session.add(swing)
            session.flush()
            session.add(job)
    except IntegrityError:
        # A concurrent upload or payload took the id first.
        attached = _attach_clip(services, user_id, swing_id, video_key, content_sha256, size)
        if attached is None:
            raise UnknownAccount(user_id) from None
        return attached
    SWINGS_CREATED.labels(SwingSource.video).inc()
    return swing, job, True


def filtered(user_id: uuid.UUID, where: SwingFilter) -> Select[tuple[Swing]]:
    query = select(Swing).where(Swing.user_id == user_id)
    if where.since is not None:
        query = query.where(Swing.swung_at >= where.since)
    if where.until is not None:
        query = query.where(Swing.swung_at < where.until)
    if where.favorite is not None:
        query = query.where(Swing.favorite.is_(where.favorite))
    if where.min_score is not None:
        query = query.where(Swing.score >= where.min_score)
    if where.max_score is not None:
        query = query.where(Swing.score <= where.max_score)
    if where.status is not None:
        query = query.where(Swing.status == where.status)
    if where.club is not None:
        query = query.where(Swing.club == where.club)
    return query


def list_swings(
    session: Session, user_id: uuid.UUID, where: SwingFilter, limit: int, offset: int
) -> tuple[list[Swing], int]:
    query = filtered(user_id, where)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(query.order_by(Swing.swung_at.desc(), Swing.id).limit(limit).offset(offset))
    return list(page), total


def delete_swing(services: Services, swing: Swing) -> None:
    """Delete the swing and its jobs; the uploaded video goes once no swing refers to it, and an
    unfinished upload of its clip goes too."""
    with services.sessions.begin() as session:
        session.execute(delete(Swing).where(Swing.id == swing.id))
        still_used = swing.video_key is not None and session.scalar(
            select(func.count()).where(Swing.video_key == swing.video_key)
        )
    try:
        services.staging.discard(swing.user_id, swing.id)
    except OSError as error:  # the reaper deletes it once it is stale
        log.warning("could not delete a staged upload", swing_id=str(swing.id), error=str(error))
    if swing.video_key is not None and not still_used:
        try:
            services.storage.delete(swing.video_key)
        except Exception as error:  # an orphan file is harmless; the swing is gone either way
            log.warning("could not delete stored video", key=swing.video_key, error=str(error))
