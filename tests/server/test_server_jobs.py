"""The job machinery on a real database and storage, driven step by step: retries with backoff,
the dead letter, manual retry, the lease as a fencing token, and the reaper."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

import pytest
from sqlalchemy import update

from swingcoach.server.core.config import Settings
from swingcoach.server.crud.jobs import requeue
from swingcoach.server.crud.swings import create_video_swing
from swingcoach.server.db import migrate
from swingcoach.server.jobs.reaper import reap
from swingcoach.server.jobs.tasks import claim, fail_job, lease_heartbeat, process_job, retry_delay
from swingcoach.server.models import Job, JobStatus, Notification, Swing, SwingStatus, User, utcnow
from swingcoach.server.services import Services, build_services
from swingcoach.server.staging import Staged
from swingcoach.server.storage import Readable, Storage


class RecordingQueue:
    """Stands in for the transport only: remembers which job ids were sent."""

    def __init__(self) -> None:
        self.sent: list[uuid.UUID] = []

    def enqueue(self, job_id: uuid.UUID, delay_s: float = 0.0) -> None:
        self.sent.append(job_id)

    def start(self) -> None:
        """Nothing runs in the background here."""

    def stop(self) -> None:
        """Nothing to stop."""


class UnreachableStorage:
    """The real storage, but reading fails while `down` (a network share or S3 outage)."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.down = True

    def put(self, key: str, stream: Readable) -> None:
        self.storage.put(key, stream)

    def local_path(self, key: str) -> AbstractContextManager[Path]:
        if self.down:
            raise ConnectionError("storage unreachable")
        return self.storage.local_path(key)

    def open(self, key: str) -> BinaryIO:
        return self.storage.open(key)

    def delete(self, key: str) -> None:
        self.storage.delete(key)

    def check(self) -> None:
        self.storage.check()


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    settings = Settings(
        data_dir=tmp_path,
        pose_backend="blazepose-lite",
        job_max_attempts=3,
        job_retry_base_seconds=0.2,
        job_lease_seconds=2.0,
        requeue_after_seconds=30,
        video_retention_days=7,
    )
    built = build_services(settings)
    migrate(built.engine)
    built.queue = RecordingQueue()
    yield built
    built.close()


def upload(services: Services, video: Path) -> tuple[Swing, Job]:
    user = User(id=uuid.uuid4(), email=f"{uuid.uuid4().hex[:8]}@example.com", password_hash="unused")
    with services.sessions.begin() as session:
        session.add(user)
    swing_id = uuid.uuid4()
    key = f"videos/{user.id}/{swing_id}/clip.mp4"
    with video.open("rb") as f:
        services.storage.put(key, f)
    swing, job, created = create_video_swing(services, user.id, swing_id, key, "sha", video.stat().st_size)
    assert created
    return swing, job


def load(services: Services, job_id: uuid.UUID) -> Job:
    with services.sessions() as session:
        return session.get_one(Job, job_id)


def make_due(services: Services, job_id: uuid.UUID) -> None:
    with services.sessions.begin() as session:
        session.execute(update(Job).where(Job.id == job_id).values(run_after=utcnow()))


def test_backoff_doubles_and_is_capped() -> None:
    assert [retry_delay(a, 5, 60) for a in (1, 2, 3, 4, 5)] == [5, 10, 20, 40, 60]


def test_failures_retry_with_backoff_then_dead_letter_then_manual_retry(
    services: Services, demo_video: Path
) -> None:
    storage = UnreachableStorage(services.storage)
    services.storage = storage
    swing, job = upload(services, demo_video)

    assert process_job(services, job.id) == pytest.approx(0.2)
    first = load(services, job.id)
    assert first.status == JobStatus.retrying and first.attempts == 1 and "storage unreachable" in first.error
    early = process_job(services, job.id)  # redelivered before its backoff: not run, asked back later
    assert early is not None and load(services, job.id).attempts == 1
    make_due(services, job.id)
    assert process_job(services, job.id) == pytest.approx(0.4)
    make_due(services, job.id)
    assert process_job(services, job.id) is None
    dead = load(services, job.id)
    assert dead.status == JobStatus.dead and dead.attempts == 3
    assert dead.error.startswith("gave up after 3 attempts") and dead.finished_at is not None
    assert process_job(services, job.id) is None and load(services, job.id).attempts == 3
    with services.sessions() as session:
        assert session.get_one(Swing, swing.id).status == SwingStatus.failed
        kinds = [n.kind for n in session.query(Notification).filter(Notification.user_id == job.user_id)]
    assert kinds == ["analysis.failed"]

    storage.down = False
    with services.sessions() as session:
        requeue(session, session.get_one(Job, job.id), more_attempts=3)
        session.commit()
    assert process_job(services, job.id) is None
    done = load(services, job.id)
    assert done.status == JobStatus.done and done.attempts == 4 and done.swing_ids == [str(swing.id)]
    with services.sessions() as session:
        assert session.get_one(Swing, swing.id).status == SwingStatus.done


def test_the_lease_fences_out_a_worker_that_lost_it(services: Services, demo_video: Path) -> None:
    _, job = upload(services, demo_video)
    first = claim(services.sessions, job.id, lease_s=0.5)
    assert first == 1
    assert claim(services.sessions, job.id, lease_s=0.5) is None, "held by the first worker"
    time.sleep(0.6)
    second = claim(services.sessions, job.id, lease_s=30)
    assert second == 2, "the lease ran out: another worker takes over"
    assert not fail_job(services, load(services, job.id), JobStatus.failed, "late", attempt=first)
    assert load(services, job.id).status == JobStatus.running and load(services, job.id).attempts == 2


def test_a_live_worker_keeps_its_lease(services: Services, demo_video: Path) -> None:
    _, job = upload(services, demo_video)
    attempt = claim(services.sessions, job.id, lease_s=0.6)
    assert attempt == 1
    with lease_heartbeat(services.sessions, job.id, attempt, lease_s=0.6, every_s=0.15):
        time.sleep(1.5)
        assert claim(services.sessions, job.id, lease_s=0.6) is None, "renewed, so not stuck"
    time.sleep(0.7)
    assert claim(services.sessions, job.id, lease_s=0.6) == 2


def test_the_reaper_requeues_stuck_and_lost_jobs_and_buries_exhausted_ones(
    services: Services, demo_video: Path
) -> None:
    queue = services.queue
    assert isinstance(queue, RecordingQueue)
    _, stuck = upload(services, demo_video)
    _, lost = upload(services, demo_video)
    _, fresh = upload(services, demo_video)  # queued just now: its message is in flight
    exhausted_swing, exhausted = upload(services, demo_video)
    past = utcnow() - timedelta(minutes=5)
    with services.sessions.begin() as session:
        session.execute(
            update(Job)
            .where(Job.id == stuck.id)
            .values(status=JobStatus.running, attempts=1, lease_until=past)
        )
        session.execute(update(Job).where(Job.id == lost.id).values(enqueued_at=past, run_after=past))
        session.execute(
            update(Job)
            .where(Job.id == exhausted.id)
            .values(status=JobStatus.running, attempts=3, lease_until=past)
        )
    requeued = reap(services)
    assert sorted(requeued) == sorted([str(stuck.id), str(lost.id)])
    assert fresh.id not in queue.sent and sorted(queue.sent) == sorted([stuck.id, lost.id])
    assert load(services, stuck.id).status == JobStatus.queued
    buried = load(services, exhausted.id)
    assert buried.status == JobStatus.dead and "worker was lost" in buried.error
    with services.sessions() as session:
        assert session.get_one(Swing, exhausted_swing.id).status == SwingStatus.failed
    assert reap(services) == [], "a second pass finds nothing new"
    assert process_job(services, stuck.id) is None
    assert load(services, stuck.id).status == JobStatus.done and load(services, stuck.id).attempts == 2


def test_videos_past_retention_are_deleted_unless_kept(services: Services, demo_video: Path) -> None:
    old_swing, _ = upload(services, demo_video)
    kept_swing, _ = upload(services, demo_video)
    new_swing, _ = upload(services, demo_video)
    long_ago = utcnow() - timedelta(days=30)
    with services.sessions.begin() as session:
        for swing_id, keep in ((old_swing.id, False), (kept_swing.id, True)):
            session.execute(
                update(Swing)
                .where(Swing.id == swing_id)
                .values(received_at=long_ago, status=SwingStatus.done, keep=keep)
            )
        session.execute(update(Swing).where(Swing.id == new_swing.id).values(status=SwingStatus.done))
    reap(services)
    root = Path(services.settings.resolved_storage_url)
    with services.sessions() as session:
        stored = {s.id: s.video_key for s in session.query(Swing)}
    assert stored[old_swing.id] is None and not (root / old_swing.video_key).exists()
    assert stored[kept_swing.id] == kept_swing.video_key and (root / kept_swing.video_key).exists()
    assert stored[new_swing.id] == new_swing.video_key and (root / new_swing.video_key).exists()


def test_the_reaper_deletes_uploads_that_stopped_receiving_chunks(services: Services) -> None:
    """Staging of a resumable clip upload with no chunk for `upload_staging_hours` (24) goes; a
    recent one, or one receiving a chunk right now, stays."""
    staging, user_id = services.staging, uuid.uuid4()
    stale, fresh = uuid.uuid4(), uuid.uuid4()
    for swing_id in (stale, fresh):
        upload = staging.lock(user_id, swing_id, create=True)
        assert upload is not None
        try:
            upload.append(0, 100, b"x" * 10)
        finally:
            upload.close()
    folder = services.settings.resolved_upload_staging_dir / str(user_id)
    long_ago = time.time() - 25 * 3600
    os.utime(folder / f"{stale}.part", (long_ago, long_ago))
    orphan = folder / f"{uuid.uuid4()}.json"  # a total whose part is gone
    orphan.write_text('{"total": 5}')
    os.utime(orphan, (long_ago, long_ago))

    writing = staging.lock(user_id, stale, create=False)
    assert writing is not None
    try:
        reap(services)
        assert staging.state(user_id, stale) == Staged(10, 100), "a chunk is arriving: left alone"
    finally:
        writing.close()
    reap(services)
    assert staging.state(user_id, stale) is None and not (folder / f"{stale}.json").exists()
    assert not orphan.exists()
    assert staging.state(user_id, fresh) == Staged(10, 100)
    os.utime(folder / f"{fresh}.part", (long_ago, long_ago))
    reap(services)
    assert not folder.exists(), "the user's folder goes with their last upload"
