"""Request and response bodies of the HTTP API. The swing payload and the analysis report are the
shared contracts in `swingcoach.schemas`; these wrap them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator, model_validator

from swingcoach.schemas import ModelVersions, SwingReport
from swingcoach.server.core.security import password_problem

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320, pattern=EMAIL_PATTERN)
    password: str = Field(min_length=8, max_length=256)

    @field_validator("email")
    @classmethod
    def _normalize_email(cls, email: str) -> str:
        return email.strip().lower()


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    created_at: datetime
    webhook_url: str | None = None


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    refresh_token: str = Field(
        description="For POST /v1/auth/refresh (browsers get it as an http-only cookie instead)."
    )
    refresh_expires_at: datetime


# --- accounts, tokens (docs/server.md "Accounts, tokens and abuse limits") ---
class NewAccount(Credentials):
    @field_validator("password")
    @classmethod
    def _not_common(cls, password: str) -> str:
        problem = password_problem(password)
        if problem is not None:
            raise ValueError(problem)
        return password


class Registered(BaseModel):
    detail: str = Field(description="The same answer whether or not the email already had an account.")


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str | None = Field(
        default=None, max_length=200, description="Omit to use the http-only cookie the login set."
    )


class Password(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(max_length=256, description="The account's password, asked again.")


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl | None = Field(description="POSTed an event per analysis; null removes the webhook.")
    secret: str | None = Field(
        default=None, min_length=16, max_length=200, description="Signs bodies: X-Swingcoach-Signature."
    )


class WebhookOut(BaseModel):
    url: str | None
    signed: bool


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    swing_id: uuid.UUID
    kind: str
    status: str = Field(description="queued, running, retrying, done, failed, dead (dead letter), cancelled")
    attempts: int
    max_attempts: int
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    run_after: datetime
    swing_ids: list[uuid.UUID] = Field(description="Every swing the job produced (a video may hold several).")


class SwingSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    source: str
    status: str = Field(description="processing, done or failed")
    swung_at: datetime
    received_at: datetime
    score: float | None
    tempo_ratio: float | None
    faults: list[str] = Field(description="metric:low|high for each metric well outside its range")
    favorite: bool
    keep: bool
    note: str | None
    error: str | None


class SwingDetail(SwingSummary):
    fps: float | None
    frames: int | None
    width: int | None
    height: int | None
    device: str | None
    models: ModelVersions
    report: SwingReport | None
    job: JobOut | None = None


class SwingPage(BaseModel):
    items: list[SwingSummary]
    total: int
    limit: int
    offset: int


class SwingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    favorite: bool | None = None
    keep: bool | None = Field(default=None, description="Keep the uploaded video past the retention period.")
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _not_empty(self) -> SwingUpdate:
        if not self.model_fields_set:
            raise ValueError("give at least one of favorite, keep, note")
        for flag in ("favorite", "keep"):
            if flag in self.model_fields_set and getattr(self, flag) is None:
                raise ValueError(f"{flag} must be true or false")
        return self


class UploadAccepted(BaseModel):
    swing_id: uuid.UUID
    job_id: uuid.UUID
    status: str


class ServedModels(BaseModel):
    models: ModelVersions = Field(description="What every analysis made now records.")
    pose_backend: str = Field(description="Pose model of the video path.")
    event_detector: str
    payload_schema_version: str
    report_schema_version: str


class MetricStat(BaseModel):
    label: str
    unit: str
    range: tuple[float, float]
    mean: float


class FaultCount(BaseModel):
    fault: str
    label: str
    count: int
    share: float = Field(description="Fraction of the swings in the period with this fault.")


class PeriodSummary(BaseModel):
    """What a period's swings add up to: shared by the whole range and each of its buckets."""

    start: datetime
    end: datetime
    swings: int
    score_mean: float | None
    score_best: float | None
    tempo_ratio_mean: float | None


class StatsBucket(PeriodSummary):
    metrics: dict[str, float] = Field(description="Mean of each metric measured in the bucket.")
    top_faults: list[FaultCount]


class Stats(PeriodSummary):
    range: Literal["day", "week", "month"]
    bucket: Literal["hour", "day"]
    timezone: str
    metrics: dict[str, MetricStat]
    top_faults: list[FaultCount]
    buckets: list[StatsBucket]


class Recommendation(BaseModel):
    id: str
    kind: Literal["drill", "equipment"]
    title: str
    description: str
    url: str | None
    reason: str
    faults: list[str]
    relevance: float = Field(description="Share of the recent swings with a fault this addresses.")


class Recommendations(BaseModel):
    swings_considered: int
    items: list[Recommendation]
    note: str | None = None


class ErrorBody(BaseModel):
    detail: str
    errors: list[dict[str, Any]] | None = None
