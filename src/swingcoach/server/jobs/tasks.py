"""Job processing: idempotent, so a message delivered twice (or after a crash) is harmless.

The job row is the truth. A worker *claims* a job with one conditional UPDATE, which increments
`attempts` and takes a lease it keeps renewing while it works. It may only finish the attempt it
claimed: the finishing UPDATE requires the same `attempts` (a fencing token), so if a worker stalls
past its lease and another takes over, only one of them ever commits a result.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, update
from sqlalchemy.orm import Session, sessionmaker

from swingcoach.analysis.ballflight import DEFAULT_CLUB
from swingcoach.errors import SwingcoachError
from swingcoach.schemas import Club, Handedness, ModelVersions, SwingPayload
from swingcoach.server.analyze import VideoSwing, swing_summary
from swingcoach.server.core.logging import get_logger
from swingcoach.server.core.metrics import JOB_OUTCOMES, JOB_SECONDS
from swingcoach.server.models import Job, JobStatus, Swing, SwingSource, SwingStatus, User, utcnow
from swingcoach.server.notify import ANALYSIS_COMPLETE, ANALYSIS_FAILED, record_notification

if TYPE_CHECKING:
    from swingcoach.server.services import Services

VIDEO_JOB = "analyze-video"
FINISHED = (JobStatus.done, JobStatus.failed, JobStatus.dead, JobStatus.cancelled)
log = get_logger(__name__)


def retry_delay(attempt: int, base_s: float, max_s: float) -> float:
    """Exponential backoff: base, 2 x base, 4 x base, ... capped."""
    return min(max_s, base_s * 2 ** max(0, attempt - 1))


def claim(sessions: sessionmaker[Session], job_id: uuid.UUID, lease_s: float) -> int | None:
    """Take the job if it is due (or its last worker's lease ran out); returns the attempt number."""
    now = utcnow()
    statement = (
        update(Job)
        .where(
            Job.id == job_id,
            Job.attempts < Job.max_attempts,
            or_(
                Job.status.in_([JobStatus.queued, JobStatus.retrying]) & (Job.run_after <= now),
                (Job.status == JobStatus.running) & (Job.lease_until < now),
            ),
        )
        .values(
            status=JobStatus.running,
            attempts=Job.attempts + 1,
            lease_until=now + timedelta(seconds=lease_s),
            started_at=now,
        )
        .returning(Job.attempts)
        .execution_options(synchronize_session=False)
    )
    with sessions.begin() as session:
        return session.execute(statement).scalar_one_or_none()


@contextmanager
def lease_heartbeat(
    sessions: sessionmaker[Session], job_id: uuid.UUID, attempt: int, lease_s: float, every_s: float
) -> Iterator[None]:
    """Renew the lease while the body runs, so the reaper leaves a slow but live job alone."""
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(every_s):
            statement = (
                update(Job)
                .where(Job.id == job_id, Job.status == JobStatus.running, Job.attempts == attempt)
                .values(lease_until=utcnow() + timedelta(seconds=lease_s))
                .execution_options(synchronize_session=False)
            )
            try:
                with sessions.begin() as session:
                    if session.execute(statement).rowcount == 0:
                        log.warning("lease lost; another worker owns the job now")
                        return
            except Exception as error:  # a database blip must not kill the heartbeat
                log.warning("lease renewal failed", error=str(error))

    thread = threading.Thread(target=renew, name=f"lease-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _own_attempt(session: Session, job_id: uuid.UUID, attempt: int, **values: object) -> bool:
    """Move the job out of `running` if this worker still owns the attempt; False if it lost it."""
    statement = (
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.running, Job.attempts == attempt)
        .values(lease_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).rowcount == 1


def _store_swing(session: Session, swing: Swing, found: VideoSwing, versions: ModelVersions) -> None:
    payload = found.payload
    swing.status = SwingStatus.done
    swing.payload = payload.model_dump_json().encode()
    swing.report = found.report.model_dump(mode="json")
    swing.models = versions.model_dump()
    swing.fps = payload.fps
    swing.frames = payload.frames
    swing.width = payload.width
    swing.height = payload.height
    swing.error = None
    for column, value in swing_summary(found.report).items():
        setattr(swing, column, value)


def golfer_of(swing: Swing) -> tuple[Club, Handedness | None]:
    """The club and handedness a swing's clip is analysed with: those its keypoints were sent with
    (a clip attached to a device swing is one analysis with it), else the upload's club."""
    sent = None if swing.payload is None else SwingPayload.model_validate_json(swing.payload)
    club = swing.club or (DEFAULT_CLUB if sent is None else sent.club)
    return club, None if sent is None else sent.handedness


def _from_upload(swing: Swing, upload: Swing) -> bool:
    """Whether `swing` is a later swing of the same upload (a re-run of the job stores it again)."""
    return swing.user_id == upload.user_id and swing.video_key == upload.video_key


def _finish_done(
    services: Services, job: Job, attempt: int, found: list[VideoSwing], versions: ModelVersions
) -> None:
    with services.sessions.begin() as session:
        if not _own_attempt(
            session, job.id, attempt, status=JobStatus.done, finished_at=utcnow(), error=None
        ):
            log.warning("job finished elsewhere; result dropped")
            return
        upload = session.get(Swing, job.swing_id)
        if upload is None:
            _own_cancelled(session, job.id)
            return
        swing_ids = []
        for index, item in enumerate(found):
            # Later swings of the same video become swings of their own (same time, same video).
            target = upload if index == 0 else session.get(Swing, item.payload.swing_id)
            if target is not None and target is not upload and not _from_upload(target, upload):
                # The derived id is taken by a swing that is not from this upload (perhaps another
                # account's, made to collide): never overwrite it. The fallback id is derived from the
                # stored file's random name, which nobody else knows, so a re-run finds it again.
                fallback = uuid.uuid5(upload.id, f"{upload.video_key}#swing-{index}")
                target = session.get(Swing, fallback)
                item = dataclasses.replace(
                    item, payload=item.payload.model_copy(update={"swing_id": fallback})
                )
            if target is None:
                target = Swing(
                    id=item.payload.swing_id,
                    user_id=upload.user_id,
                    source=SwingSource.video,
                    swung_at=upload.swung_at,
                    content_sha256=upload.content_sha256,
                    video_key=upload.video_key,
                    video_sha256=upload.video_sha256,
                    video_bytes=upload.video_bytes,
                    club=upload.club,
                )
                session.add(target)
            _store_swing(session, target, item, versions)
            swing_ids.append(str(target.id))
        session.get_one(Job, job.id).swing_ids = swing_ids
        user = session.get_one(User, job.user_id)
        data = {
            "swing_id": str(job.swing_id),
            "job_id": str(job.id),
            "status": "done",
            "swing_ids": swing_ids,
        }
        notification = record_notification(
            session, user, ANALYSIS_COMPLETE, data | {"score": found[0].report.score}
        )
    services.notifier.delivered(notification, user)


def _own_cancelled(session: Session, job_id: uuid.UUID) -> None:
    session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(status=JobStatus.cancelled, error="the swing or its video was deleted")
        .execution_options(synchronize_session=False)
    )


def drop_clip(services: Services, key: str) -> None:
    """Delete a stored clip and every swing's reference to it (the rows stay). The file goes first:
    if the process dies in between, the reference is still there for the next sweep to find."""
    services.storage.delete(key)
    with services.sessions.begin() as session:
        session.execute(
            update(Swing)
            .where(Swing.video_key == key)
            .values(video_key=None)
            .execution_options(synchronize_session=False)
        )


def fail_job(services: Services, job: Job, status: JobStatus, error: str, attempt: int | None) -> bool:
    """Record a final failure (`failed` or `dead`) on the job and its swing, and tell the user. A
    `failed` job's clip cannot be analysed, so it is deleted (the swing keeps its error); a dead
    job's clip is kept a while for a retry (the reaper deletes it after `dead_clip_days`).

    With `attempt`, only if this worker still owns that attempt; without, only if not running.
    """
    with services.sessions.begin() as session:
        values = {"status": status, "finished_at": utcnow(), "error": error}
        if attempt is not None:
            owned = _own_attempt(session, job.id, attempt, **values)
        else:
            # Never a job a live worker holds.
            live = (Job.status == JobStatus.running) & (Job.lease_until > utcnow())
            statement = (
                update(Job)
                .where(Job.id == job.id, Job.status.not_in(FINISHED), ~live)
                .values(lease_until=None, **values)
                .execution_options(synchronize_session=False)
            )
            owned = session.execute(statement).rowcount == 1
        if not owned:
            return False
        swing = session.get(Swing, job.swing_id)
        clip = swing.video_key if swing is not None and status == JobStatus.failed else None
        if swing is not None:
            swing.status, swing.error = SwingStatus.failed, error
        user = session.get_one(User, job.user_id)
        data = {"swing_id": str(job.swing_id), "job_id": str(job.id), "status": str(status), "error": error}
        notification = record_notification(session, user, ANALYSIS_FAILED, data)
    services.notifier.delivered(notification, user)
    if clip is not None:
        try:
            drop_clip(services, clip)
        except Exception as error:  # the reaper's sweep of failed uploads tries again
            log.warning("could not delete the clip of a failed job", key=clip, error=str(error))
    return True


def _schedule_retry(services: Services, job: Job, attempt: int, error: str) -> float | None:
    settings = services.settings
    if attempt >= job.max_attempts:
        fail_job(services, job, JobStatus.dead, f"gave up after {attempt} attempts: {error}", attempt)
        return None
    delay = retry_delay(attempt, settings.job_retry_base_seconds, settings.job_retry_max_seconds)
    now = utcnow()
    with services.sessions.begin() as session:
        values = {"status": JobStatus.retrying, "error": error, "run_after": now + timedelta(seconds=delay)}
        if not _own_attempt(session, job.id, attempt, enqueued_at=now, **values):
            return None
    return delay


def _seconds_until(when: datetime | None) -> float:
    return max(0.5, (when - utcnow()).total_seconds() + 0.5) if when is not None else 0.5


def _not_claimed(services: Services, job_id: uuid.UUID) -> float | None:
    with services.sessions() as session:
        job = session.get(Job, job_id)
    if job is None or job.status in FINISHED:
        return None
    if job.status == JobStatus.running and job.lease_until is not None and job.lease_until > utcnow():
        # Another worker holds it (or held it and died); look again when its lease runs out.
        return _seconds_until(job.lease_until)
    if job.attempts >= job.max_attempts:
        reason = job.error or "the worker was lost during the attempt"
        fail_job(services, job, JobStatus.dead, f"gave up after {job.attempts} attempts: {reason}", None)
        return None
    return _seconds_until(job.run_after)


def process_job(services: Services, job_id: uuid.UUID) -> float | None:
    """Handle one "process job X" message. Returns None when nothing is left for this message to do,
    or the seconds after which the message should be delivered again."""
    settings = services.settings
    attempt = claim(services.sessions, job_id, settings.job_lease_seconds)
    if attempt is None:
        return _not_claimed(services, job_id)
    with services.sessions() as session:
        job = session.get_one(Job, job_id)
        swing = session.get(Swing, job.swing_id)
        golfer = None if swing is None else golfer_of(swing)
    bound = log.bind(
        job_id=str(job_id), swing_id=str(job.swing_id), user_id=str(job.user_id), attempt=attempt
    )
    if swing is None or golfer is None or swing.video_key is None:
        with services.sessions.begin() as session:
            _own_cancelled(session, job_id)
        bound.info("job cancelled: the swing or its video was deleted")
        return None
    bound.info("job started", kind=job.kind)
    started = time.perf_counter()
    outcome = "done"
    local_path = ""
    try:
        heartbeat = lease_heartbeat(
            services.sessions, job_id, attempt, settings.job_lease_seconds, settings.heartbeat_seconds
        )
        with heartbeat, services.storage.local_path(swing.video_key) as path:
            local_path = str(path)
            found, versions = services.analyzer.analyze_video(
                path, job.swing_id, settings.video_limits, *golfer
            )
        _finish_done(services, job, attempt, found, versions)
        bound.info("job done", swings=len(found), models=versions.model_dump(exclude_none=True))
        return None
    except (SwingcoachError, FileNotFoundError) as error:
        # The input itself cannot be analysed: retrying would give the same answer.
        outcome = "failed"
        # The user sees the reason, not where the server keeps files.
        reason = str(error).replace(local_path, "the uploaded video") if local_path else str(error)
        fail_job(services, job, JobStatus.failed, reason, attempt)
        bound.info("job failed", error=str(error))
        return None
    except Exception as error:
        outcome = "error"
        bound.exception("job attempt failed")
        return _schedule_retry(services, job, attempt, f"{type(error).__name__}: {error}")
    finally:
        JOB_SECONDS.labels(job.kind, outcome).observe(time.perf_counter() - started)
        JOB_OUTCOMES.labels(job.kind, outcome).inc()
