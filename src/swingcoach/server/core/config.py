"""Every setting of the service, in one place (12-factor: environment variables or a `.env` file).

With no environment at all the service runs embedded: a SQLite file and a local storage folder under
`data_dir`, and an in-process worker thread. `DATABASE_URL`, `STORAGE_URL` and `BROKER_URL` move each
part onto its own server without any code change.
"""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, IPvAnyNetwork, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from swingcoach.server.core.logging import get_logger
from swingcoach.swing.events import DEFAULT_DETECTOR
from swingcoach.video.source import VideoLimits

MiB = 1024 * 1024
GiB = 1024 * MiB
MIN_KEY_BYTES = 32


def _env(name: str) -> AliasChoices:
    """`SWINGCOACH_<NAME>` or the bare conventional name (DATABASE_URL, ...)."""
    return AliasChoices(f"SWINGCOACH_{name}", name)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SWINGCOACH_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path("swingcoach-data"), description="Embedded mode: SQLite file, stored files, secret key."
    )
    database_url: str | None = Field(
        default=None,
        validation_alias=_env("DATABASE_URL"),
        description="sqlite:///file.db or postgresql+psycopg://user@host/db; default: SQLite in data_dir",
    )
    storage_url: str | None = Field(
        default=None,
        validation_alias=_env("STORAGE_URL"),
        description="A local folder, or s3://bucket/prefix (boto3; endpoint from S3_ENDPOINT_URL).",
    )
    s3_endpoint_url: str | None = Field(default=None, validation_alias=_env("S3_ENDPOINT_URL"))
    broker_url: str | None = Field(
        default=None,
        validation_alias=_env("BROKER_URL"),
        description="amqp://... or redis://... : jobs go to Celery workers; unset: in-process worker.",
    )
    queue_name: str = "swingcoach.jobs"
    secret_key: SecretStr | None = Field(
        default=None,
        validation_alias=_env("SECRET_KEY"),
        description="Signs access tokens (>= 32 bytes). Unset: development only, a random key in data_dir.",
    )

    # --- accounts, tokens and abuse limits (docs/server.md "Accounts, tokens and abuse limits") ---
    env: Literal["development", "production"] = Field(
        default="development",
        description="production: a strong SECRET_KEY is required, /docs off, /metrics needs METRICS_TOKEN.",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        validation_alias=_env("METRICS_TOKEN"),
        description="/metrics needs 'Authorization: Bearer <token>' when set (production: unset = off).",
    )
    redis_url: str | None = Field(
        default=None,
        validation_alias=_env("REDIS_URL"),
        description="Login limits and token revocations shared by every replica; default: the broker "
        "when it is redis://, else in-process (one replica).",
    )
    redis_prefix: str = Field(default="swingcoach", description="Prefix of every Redis key of the service.")
    access_token_minutes: int = Field(default=15, gt=0, description="Lifetime of an access token (JWT).")
    refresh_token_days: float = Field(default=30.0, gt=0, description="Lifetime of a login (refresh token).")
    login_account_failures: int = Field(
        default=5, ge=1, description="Wrong passwords for one account per window before it is locked."
    )
    login_ip_failures: int = Field(
        default=50, ge=1, description="Failed logins from one client address per window before it is refused."
    )
    login_window_seconds: int = Field(
        default=15 * 60, gt=0, description="Window (and lockout) of both limits."
    )
    login_refusal_delay_seconds: float = Field(
        default=1.0,
        ge=0,
        le=30,
        description="A login refused by the limits (or a full hashing queue) is answered after this long: "
        "a client that retries at once gets one answer a second, not a core of the server.",
    )
    password_hash_threads: int = Field(
        default=1, ge=1, le=16, description="Threads hashing passwords: logins never take every core."
    )
    password_hash_queue: int = Field(
        default=32, ge=1, description="Logins waiting for a hashing thread beyond which 429 is answered."
    )
    max_json_bytes: int = Field(default=4 * MiB, gt=0, description="Largest JSON body (a swing payload).")
    max_video_bytes: int = Field(default=200 * MiB, gt=0, description="Largest video upload.")
    # Video limits: checked on the upload's header before it is stored, and by the worker on every
    # decoded frame. A swing clip is ~7 s; 60 s leaves room for a few swings in one clip; 3600
    # frames is 15 s of 240 fps slow motion (or 60 s at 60 fps); 4K phone video is allowed (one
    # decoded 4K frame is ~25 MB, an 8192x8192 one ~200 MB).
    max_video_seconds: float = Field(default=60.0, gt=0, description="Longest video upload.")
    max_video_frames: int = Field(default=3600, gt=0, description="Most frames in a video upload.")
    max_video_pixels: int = Field(
        default=3840 * 2160, gt=0, description="Largest frame (width x height) of a video upload."
    )
    video_decode_threads: int = Field(
        default=2, ge=1, le=16, description="Decoder threads per video: each holds a frame in memory."
    )
    storage_quota_bytes: int = Field(
        default=2 * GiB, gt=0, description="Stored video clips per user, all together."
    )
    # Resumable clip uploads (PUT /v1/swings/{id}/clip): chunks wait in a staging folder until the
    # clip is whole. API processes that serve one client's chunks must share it (one host: a volume).
    upload_staging_dir: Path | None = Field(
        default=None, description="Chunks of unfinished clip uploads; default: data_dir/upload-staging."
    )
    max_chunk_bytes: int = Field(
        default=8 * MiB, gt=0, description="Largest chunk of a resumable clip upload (one request)."
    )
    upload_staging_hours: float = Field(
        default=24.0, gt=0, description="An unfinished upload with no chunk for this long is deleted."
    )

    pose_backend: str = Field(default="blazepose-full", description="Pose model of the video path.")
    event_detector: str = Field(
        default=DEFAULT_DETECTOR, description="Swing event detector (swingcoach events)."
    )
    inference_threads: int = Field(default=1, ge=1, le=16)
    payload_analysis_concurrency: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Keypoint payloads analysed at once per process (they take turns).",
    )
    payload_queue_limit: int = Field(
        default=256, ge=1, description="Payloads waiting for analysis per process beyond which: 503."
    )

    embedded_workers: int = Field(default=1, ge=0, le=16, description="In-process job threads (no broker).")
    job_max_attempts: int = Field(default=4, ge=1, description="After this many failed attempts: dead.")
    job_lease_seconds: float = Field(
        default=60.0, gt=0, description="A running job not renewed in time is stuck."
    )
    job_retry_base_seconds: float = Field(default=5.0, gt=0)
    job_retry_max_seconds: float = Field(default=300.0, gt=0)
    reaper_interval_seconds: float = Field(default=15.0, gt=0)
    requeue_after_seconds: float = Field(
        default=120.0, gt=0, description="A queued job with no progress for this long is sent again."
    )
    video_retention_days: float | None = Field(
        default=None, gt=0, description="Delete uploaded videos of swings not marked `keep` after this."
    )
    dead_clip_days: float = Field(
        default=7.0,
        gt=0,
        description="Clips of dead-lettered jobs (transient errors) are kept this long for a retry.",
    )

    sse_poll_seconds: float = Field(default=10.0, gt=0, description="SSE falls back to reading the DB.")
    webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    webhook_attempts: int = Field(default=3, ge=1)
    webhook_allow: Annotated[list[IPvAnyNetwork], NoDecode] = Field(
        default_factory=list,
        description="Networks webhooks may reach although not public (comma-separated CIDR, e.g. "
        "10.0.0.0/8,::1/128): an on-prem receiver. Every other non-public address is refused.",
    )

    migrate_on_start: bool = True
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True
    worker_metrics_port: int | None = Field(
        default=None, description="Celery workers serve /metrics on this port when set."
    )

    @field_validator("webhook_allow", mode="before")
    @classmethod
    def _split_networks(cls, value: Any) -> Any:
        return (
            [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else value
        )

    @model_validator(mode="after")
    def _retry_bounds_ordered(self) -> Settings:
        if self.job_retry_max_seconds < self.job_retry_base_seconds:
            raise ValueError("job_retry_max_seconds must be >= job_retry_base_seconds")
        return self

    @model_validator(mode="after")
    def _strong_shared_key(self) -> Settings:
        if self.secret_key is not None and len(self.secret_key.get_secret_value().encode()) < MIN_KEY_BYTES:
            raise ValueError(
                f"SECRET_KEY is shorter than {MIN_KEY_BYTES} bytes; make one with `openssl rand -hex 32`"
            )
        if self.secret_key is None and self.env == "production":
            raise ValueError(
                "SWINGCOACH_ENV=production needs SECRET_KEY (>= 32 bytes, the same for every replica "
                "and worker); make one with `openssl rand -hex 32`"
            )
        return self

    @cached_property
    def resolved_redis_url(self) -> str | None:
        if self.redis_url is not None:
            return self.redis_url
        broker = self.broker_url or ""
        return broker if broker.startswith(("redis://", "rediss://")) else None

    @cached_property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir.resolve() / 'swingcoach.db'}"

    @cached_property
    def resolved_storage_url(self) -> str:
        return self.storage_url or str(self.data_dir.resolve() / "storage")

    @cached_property
    def resolved_upload_staging_dir(self) -> Path:
        return (self.upload_staging_dir or self.data_dir / "upload-staging").resolve()

    @property
    def video_limits(self) -> VideoLimits:
        return VideoLimits(
            self.max_video_seconds, self.max_video_frames, self.max_video_pixels, self.video_decode_threads
        )

    @property
    def embedded_queue(self) -> bool:
        return self.broker_url is None

    @property
    def heartbeat_seconds(self) -> float:
        return self.job_lease_seconds / 3

    @cached_property
    def signing_key(self) -> str:
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Created 0600 from the start: never readable by others, not even for a moment.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(48))
        get_logger(__name__).warning(
            "no SECRET_KEY set: tokens are signed with the key in data_dir; each process writes its own "
            "key, so replicas and workers on other machines refuse each other's tokens (development only)",
            path=str(path),
        )
        return path.read_text().strip()
