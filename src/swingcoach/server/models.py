"""Database tables (SQLAlchemy 2). The schema itself is owned by the Alembic migrations in
`server/migrations/`; a test checks that the two agree."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every database (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")

# Stable constraint names, so migrations can refer to them on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar = {datetime: UTCDateTime, dict[str, Any]: JSONType, list[str]: JSONType}


class SwingSource(StrEnum):
    device = "device"  # keypoints from the device, analysed in the request
    video = "video"  # a clip uploaded for the worker


class SwingStatus(StrEnum):
    processing = "processing"
    done = "done"
    failed = "failed"


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    retrying = "retrying"  # failed, waiting for its backoff to pass
    done = "done"
    failed = "failed"  # the input cannot be analysed (no video, no person, no swing); not retried
    dead = "dead"  # dead letter: failed job_max_attempts times
    cancelled = "cancelled"  # its swing was deleted meanwhile


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    webhook_url: Mapped[str | None] = mapped_column(String(2000))
    webhook_secret: Mapped[str | None] = mapped_column(String(200))


class Swing(Base):
    """One swing. Its id is made by the client (the idempotency key) or by the server for uploads."""

    __tablename__ = "swings"
    __table_args__ = (Index("ix_swings_user_swung_at", "user_id", "swung_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    source: Mapped[SwingSource] = mapped_column(String(16))
    status: Mapped[SwingStatus] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    swung_at: Mapped[datetime] = mapped_column(default=utcnow)  # the device's time, else received_at
    # Fingerprint of the payload or video bytes: a resend with other content is a conflict.
    content_sha256: Mapped[str] = mapped_column(String(64))
    # Device path: the SwingPayload JSON as received. Video path: the keypoints the worker found.
    payload: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    video_key: Mapped[str | None] = mapped_column(String(500))
    # Fingerprint of the clip's bytes; for an upload the same as content_sha256, for a keypoint swing
    # the clip attached to it later.
    video_sha256: Mapped[str | None] = mapped_column(String(64))
    video_bytes: Mapped[int | None] = mapped_column(BigInteger)  # the clip's size, for the storage quota
    fps: Mapped[float | None]
    frames: Mapped[int | None]
    width: Mapped[int | None]
    height: Mapped[int | None]
    device: Mapped[str | None] = mapped_column(String(200))
    models: Mapped[dict[str, Any]] = mapped_column(default=dict)
    report: Mapped[dict[str, Any] | None] = deferred(mapped_column(JSONType))
    score: Mapped[float | None]
    tempo_ratio: Mapped[float | None]
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)  # name -> value, for statistics
    faults: Mapped[list[str]] = mapped_column(default=list)  # "metric:low|high", for statistics
    # predicted flight and its driving features (name -> value), for statistics
    flight: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    favorite: Mapped[bool] = mapped_column(default=False)
    keep: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(String(2000))
    # The golfer's drawings on the frame (api.schemas.Drawing), in video pixels.
    drawings: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    drill: Mapped[str | None] = mapped_column(String(64))  # the catalog drill its clip shows
    # The golfer's club, as the payload or the upload said (None: swings stored before it was kept).
    club: Mapped[str | None] = mapped_column(String(16))


class Job(Base):
    """The truth about a piece of background work; queue messages carry only its id."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_run_after", "status", "run_after"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    swing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("swings.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[JobStatus] = mapped_column(String(16))
    # Incremented by every claim; a worker may only finish the attempt it claimed (a fencing token).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    enqueued_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    swing_ids: Mapped[list[str]] = mapped_column(default=list)  # every swing the job produced


class Notification(Base):
    """'Analysis complete' events, kept so a reconnecting client (SSE Last-Event-ID) misses none."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RefreshToken(Base):
    """One refresh token of a login. Only its SHA-256 is stored; a rotation marks it used and adds
    the next one to the same family. A used token shown again means it was stolen: the family
    (the login, whose id is the access tokens' `sid`) is revoked."""

    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class PostureSession(Base):
    """One yoga or exercise session: its keypoints as sent and the server's analysis of them."""

    __tablename__ = "posture_sessions"
    __table_args__ = (Index("ix_posture_sessions_user_recorded_at", "user_id", "recorded_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # made by the client
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    sport: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    content_sha256: Mapped[str] = mapped_column(String(64))
    payload: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    fps: Mapped[float]
    frames: Mapped[int]
    device: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(200))
    report: Mapped[dict[str, Any]] = mapped_column(JSONType)


class StreamShare(Base):
    """A viewer the owner of a live stream lets watch it."""

    __tablename__ = "stream_shares"

    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    stream: Mapped[str] = mapped_column(String(64), primary_key=True)
    viewer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
