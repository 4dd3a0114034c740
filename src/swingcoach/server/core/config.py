"""Every setting of the service, in one place (12-factor: environment variables or a `.env` file).

With no environment at all the service runs embedded: a SQLite file and a local storage folder under
`data_dir`, and an in-process worker thread. `DATABASE_URL`, `STORAGE_URL` and `BROKER_URL` move each
part onto its own server without any code change.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, IPvAnyNetwork, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from swingcoach.swing.events import DEFAULT_DETECTOR

MiB = 1024 * 1024


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
        description="Signs access tokens. Unset: a random key is kept in data_dir (one-machine setups).",
    )

    access_token_minutes: int = Field(default=7 * 24 * 60, gt=0)
    max_json_bytes: int = Field(default=4 * MiB, gt=0, description="Largest JSON body (a swing payload).")
    max_video_bytes: int = Field(default=200 * MiB, gt=0, description="Largest video upload.")

    pose_backend: str = Field(default="mediapipe-full", description="Pose model of the video path.")
    event_detector: str = Field(
        default=DEFAULT_DETECTOR, description="Swing event detector (swingcoach events)."
    )
    inference_threads: int = Field(default=1, ge=1, le=16)

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

    @cached_property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir.resolve() / 'swingcoach.db'}"

    @cached_property
    def resolved_storage_url(self) -> str:
        return self.storage_url or str(self.data_dir.resolve() / "storage")

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
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()
