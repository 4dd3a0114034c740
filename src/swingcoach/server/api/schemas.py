"""Request and response bodies of the HTTP API. The swing payload and the analysis report are the
shared contracts in `swingcoach.schemas`; these wrap them."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from swingcoach.schemas import Club, ModelVersions, SwingReport, Text
from swingcoach.server.catalog import drill_ids
from swingcoach.server.core.security import password_problem

# No space or control character (spelled out: Python's \s and JSON Schema's disagree on some).
_EMAIL_CHAR = r"[^@\s\x00-\x1f\x7f-\x9f\ufeff]"
EMAIL_PATTERN = rf"^{_EMAIL_CHAR}+@{_EMAIL_CHAR}+\.{_EMAIL_CHAR}+$"
# The largest id or offset the databases hold (BIGINT): larger ones are refused, not overflowed.
MAX_INT64 = 2**63 - 1
# Datetimes in queries: years a swing can have. Wider ones overflow on the way to UTC (year 9999
# at -23:59) or compare differently on SQLite and Postgres (year 1 at +01:00).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)  # exclusive


def _iso_8601(value: Any) -> Any:
    # Lax parsing would read "0.5" as a Unix time: only date-time text is a date-time here.
    if isinstance(value, str) and re.match(r"\d{4}-\d\d-\d\d[Tt ]", value) is None:
        raise ValueError("must be an ISO 8601 date-time, e.g. 2025-05-01T09:30:00Z")
    return value


def _in_range(value: datetime) -> datetime:
    # The year as written (what the schema's pattern states), checked before converting: the
    # conversion itself can overflow.
    if not EARLIEST.year <= value.year < LATEST.year:
        raise ValueError(f"must be in the years {EARLIEST.year} to {LATEST.year - 1}")
    return value.astimezone(UTC)


Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_8601),
    AfterValidator(_in_range),
    Field(
        description=f"ISO 8601 with a timezone, from {EARLIEST.date()} to {LATEST.date()}.",
        # The years, for clients and fuzzers; the validator also checks the instant in UTC.
        json_schema_extra={
            "pattern": r"^(19[7-9]\d|2[01]\d\d)-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"
        },
    ),
]
Score = Annotated[float, Field(ge=0, le=100)]
EventId = Annotated[int, Field(ge=0, le=MAX_INT64)]


# An optional query or header parameter: absent, never `null` (a query has no null, "null" is
# text), so the schema leaves null out.
Omitted = SkipJsonSchema[None]


def normalize_email(email: str) -> str:
    if re.fullmatch(EMAIL_PATTERN, email) is None:
        raise ValueError("is not an email address")
    return email.strip().lower()


# The pattern is checked in the validator, after the NUL check, so each refusal says why.
Email = Annotated[
    Text, Field(max_length=320, json_schema_extra={"pattern": EMAIL_PATTERN}), AfterValidator(normalize_email)
]


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Text = Field(min_length=8, max_length=256)


class ViewerIn(BaseModel):
    """An account to let watch a live stream."""

    model_config = ConfigDict(extra="forbid")

    email: Email


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

    refresh_token: Text | None = Field(
        default=None, max_length=200, description="Omit to use the http-only cookie the login set."
    )


class Password(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Text = Field(max_length=256, description="The account's password, asked again.")


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl | None = Field(description="POSTed an event per analysis; null removes the webhook.")
    secret: Text | None = Field(
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
    club: Club | None = Field(description="The club the swing was made with, as sent (null: not recorded).")
    error: str | None
    has_video: Annotated[bool, BeforeValidator(lambda key: key is not None)] = Field(
        validation_alias="video_key",
        description="A clip is stored: GET /v1/swings/{id}/video plays it (whatever the source).",
    )
    video_bytes: int | None = Field(description="The stored clip's size (null without a clip).")

    @model_validator(mode="after")
    def _no_size_without_clip(self) -> SwingSummary:
        if not self.has_video:
            self.video_bytes = None  # the size of a clip deleted after its retention
        return self


MAX_DRAWINGS = 50
Coordinate = Annotated[float, Field(ge=-100_000, le=100_000, allow_inf_nan=False)]
Point = tuple[Coordinate, Coordinate]
DrawnOn = Field(default=None, ge=0, le=100_000, description="The frame it was drawn on.")


class TwoPointDrawing(BaseModel):
    """A line or spine (its two ends), a circle (centre and a point on it) or a head box (two
    corners), in video pixels."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["line", "circle", "spine", "head"]
    points: list[Point] = Field(min_length=2, max_length=2)
    frame: int | None = DrawnOn


class AngleDrawing(BaseModel):
    """An angle: one end, the corner, the other end, in video pixels."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["angle"]
    points: list[Point] = Field(min_length=3, max_length=3)
    frame: int | None = DrawnOn


Drawing = Annotated[TwoPointDrawing | AngleDrawing, Field(discriminator="kind")]


def _known_drill(drill: str) -> str:
    if drill not in drill_ids():
        raise ValueError(f"no drill {drill!r} in the catalog")
    return drill


DrillId = Annotated[
    str,
    AfterValidator(_known_drill),
    Field(json_schema_extra={"enum": sorted(drill_ids())}, description="A drill id of the catalog."),
]


class SwingDetail(SwingSummary):
    drawings: list[Drawing] = Field(default_factory=list)
    drill: str | None = Field(default=None, description="The catalog drill this swing's clip shows.")
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
    # The fields given are changed; favorite and keep are true or false (null is refused), a null
    # note clears it.
    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    favorite: bool = Field(default=None)  # type: ignore[assignment]
    keep: bool = Field(  # type: ignore[assignment]
        default=None, description="Keep the uploaded video past the retention period."
    )
    note: Text | None = Field(default=None, max_length=2000)
    drawings: list[Drawing] = Field(  # type: ignore[assignment]
        default=None, max_length=MAX_DRAWINGS, description="Replaces the swing's drawings."
    )
    drill: DrillId | None = Field(default=None, description="The catalog drill this clip shows; null: none.")

    @model_validator(mode="after")
    def _not_empty(self) -> SwingUpdate:
        if not self.model_fields_set:
            raise ValueError("give at least one of favorite, keep, note, drawings, drill")
        return self


class UploadAccepted(BaseModel):
    swing_id: uuid.UUID
    job_id: uuid.UUID
    status: str


# --- resumable clip uploads (docs/server.md "Resumable clip uploads") ---
class ClipUpload(BaseModel):
    """Where a resumable clip upload stands."""

    swing_id: uuid.UUID
    received: int = Field(description="Bytes the server holds: the next chunk starts here.")
    total: int | None = Field(description="The clip's size, fixed by the first chunk; null before it.")
    complete: bool = Field(description="The clip is stored with the swing and its analysis queued.")
    job_id: uuid.UUID | None = Field(default=None, description="When complete: the analysis job.")
    status: str | None = Field(default=None, description="When complete: the job's status.")


class StorageUsage(BaseModel):
    used_bytes: int = Field(description="The user's stored clips, each once (what the quota counts).")
    quota_bytes: int | None = Field(description="The most the user may store; null: no quota.")
    clips: int = Field(description="Stored clips.")


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
    flight: dict[str, float] = Field(
        default_factory=dict,
        description="Mean predicted carry (m), direction and spin axis (°), and of the CaddieSet features "
        "that drive the prediction most, over the swings with a flight in the model's domain.",
    )


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
    clips: list[uuid.UUID] = Field(
        default_factory=list, description="The golfer's own clips of this drill (GET /v1/swings/{id}/video)."
    )


class Recommendations(BaseModel):
    swings_considered: int
    items: list[Recommendation]
    note: str | None = None


class ErrorItem(BaseModel):
    loc: list[str | int] = Field(description="Where: body, query, header or path, then the field.")
    msg: str
    type: str


class ErrorBody(BaseModel):
    """Every error answer: a readable `detail`; for a 422, `errors` too."""

    detail: str
    errors: list[ErrorItem] | None = None


class ClipConflict(ErrorBody):
    """409 of a chunk that does not continue the upload: resume at `received`."""

    received: int
    total: int | None


# Every error answer of the API, one description per status. The statuses any route may answer
# (401 on authenticated routes, 404 on a path with an id, 413 and 422 on bodies, ...) are added to
# the OpenAPI document from each operation's shape (app.py); a route declares only its own ones
# (409, 415, 429, ...) with `responses=error_responses(...)`.
ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "The body could not be parsed (not UTF-8, a broken form or multipart body).",
    401: "Not authenticated: no token, or an expired, forged or revoked one.",
    403: "Authenticated, but not allowed.",
    404: "Nothing with this id belongs to the signed-in user.",
    405: "The path exists; the method does not (the Allow header lists those that do).",
    409: "Conflicts with what is stored (an id in use, or a state that does not allow it).",
    413: "The body is larger than the service accepts.",
    415: "The body is not of a supported media type.",
    416: "The byte range lies outside the object (Content-Range: bytes */size gives its size).",
    422: "The request is invalid: `detail` sums it up, `errors` lists each problem (loc, msg, type).",
    429: "Too many requests: retry after the Retry-After header's seconds.",
    503: "A dependency (database, storage, broker) does not answer.",
}


class PostureSessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    sport: str
    recorded_at: datetime
    received_at: datetime
    fps: float
    frames: int
    device: str | None
    model: str
    report: dict[str, Any] = Field(
        description="poses [{label, side, hold_s, accuracy, guidance}] or exercise, repetitions [...]"
    )


class ExerciseTotals(BaseModel):
    repetitions: int
    with_form_errors: int
    form_error_rate: float


class PostureTotals(BaseModel):
    sessions: int
    hold_s: dict[str, float] = Field(description="seconds held per pose")
    exercises: dict[str, ExerciseTotals]


class PostureBucket(PostureTotals):
    start: datetime
    end: datetime


class PostureStats(PostureTotals):
    range: str
    timezone: str
    start: datetime
    end: datetime
    buckets: list[PostureBucket]


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[status]} for status in statuses}
