"""The data contracts shared by the CLI, the device (edge) client and the server.

- `SwingPayload`: what a device sends for one swing (keypoints, not video).
- `Report`: what an analysis produces (`report.json`), versioned by `REPORT_SCHEMA_VERSION`.
"""

from __future__ import annotations

import base64
import binascii
import itertools
from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from swingcoach.pose.base import PoseSequence
from swingcoach.pose.skeleton import NUM_KEYPOINTS
from swingcoach.swing.events.base import EVENT_NAMES, SwingEvents

REPORT_SCHEMA_VERSION = "2.0"
PAYLOAD_SCHEMA_VERSION = "1.0"
MAX_PAYLOAD_FRAMES = 3600  # 15 s at 240 fps
# Every number a client sends is bounded: frame indices fit a 32-bit column (2^31 frames is over
# 100 days at 240 fps), and no swing was recorded before phones filmed them.
MAX_FRAME_INDEX = 2**31 - 1
EARLIEST_RECORDING = datetime(2000, 1, 1, tzinfo=UTC)
FrameIndex = Annotated[int, Field(ge=0, le=MAX_FRAME_INDEX)]

Handedness = Literal["right", "left"]
View = Literal["face-on", "down-the-line", "other"]

# Free text the service stores: Postgres refuses NUL in text and JSONB, so it is refused when the
# request is read (a 422 that says so) and the schema says it with a pattern.
NO_NUL_PATTERN = r"^[^\x00]*$"


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("must not contain NUL (\\x00) characters")
    return text


NO_NUL = Field(json_schema_extra={"pattern": NO_NUL_PATTERN})
Text = Annotated[str, AfterValidator(_no_nul), NO_NUL]
# A model or device name; its length is checked before the NUL check, so a long one is told so plainly.
Name = Annotated[
    Annotated[str, Field(max_length=200), AfterValidator(_no_nul), NO_NUL] | None, Field(default=None)
]


class EventFrames(BaseModel):
    """The 8 GolfDB events as frame indices, in swing order."""

    model_config = ConfigDict(extra="forbid")

    address: FrameIndex
    toe_up: FrameIndex
    mid_backswing: FrameIndex
    top: FrameIndex
    mid_downswing: FrameIndex
    impact: FrameIndex
    mid_follow_through: FrameIndex
    finish: FrameIndex

    @model_validator(mode="after")
    def _in_order(self) -> EventFrames:
        frames = [getattr(self, name) for name in EVENT_NAMES]
        if any(b < a for a, b in itertools.pairwise(frames)):
            raise ValueError(f"event frames must be in swing order {EVENT_NAMES}, got {frames}")
        return self

    @classmethod
    def from_events(cls, events: SwingEvents) -> EventFrames:
        return cls(**events.as_dict())

    def to_events(self) -> SwingEvents:
        return SwingEvents(tuple(getattr(self, name) for name in EVENT_NAMES))


class ModelVersions(BaseModel):
    pose: Name
    events: Name
    lift: Name
    analysis: Name


# ---------------------------------------------------------------------------------------------
# Device -> server
# ---------------------------------------------------------------------------------------------

# Keypoints travel as base64 of little-endian int16 (frames x 17 x 3): a 3 s swing at 30 fps with
# 3D is ~25 kB of JSON. 2D: x, y in half pixels (+-16383 px) and confidence x 10000; 3D: millimetres.
# A frame where nobody was found is all MISSING.
KEYPOINT_SCALE = np.array([2.0, 2.0, 10000.0])
WORLD_SCALE = np.array([1000.0, 1000.0, 1000.0])
MISSING = -32768
_VALUES_PER_FRAME = NUM_KEYPOINTS * 3
MAX_POINTS_TEXT = 4 * -(-MAX_PAYLOAD_FRAMES * _VALUES_PER_FRAME * 2 // 3)  # base64 of the most frames
MAX_CONFIDENCE = round(KEYPOINT_SCALE[2])  # confidence 1


def pack_points(points: np.ndarray, scale: np.ndarray) -> str:
    """(T, 17, 3) float with NaN rows -> base64 int16 text."""
    scaled = np.round(np.nan_to_num(points, nan=0.0) * scale)
    packed = np.clip(scaled, MISSING + 1, 32767).astype("<i2")
    packed[np.isnan(points).any(axis=(1, 2))] = MISSING
    return base64.b64encode(packed.tobytes()).decode("ascii")


def unpack_points(text: str, frames: int, scale: np.ndarray) -> np.ndarray:
    """base64 int16 text -> (frames, 17, 3) float32 with NaN rows where nobody was found."""
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError("is not valid base64") from None
    if len(raw) != frames * _VALUES_PER_FRAME * 2:
        raise ValueError(
            f"holds {len(raw)} bytes; {frames} frames of 17 x 3 int16 need {frames * _VALUES_PER_FRAME * 2}"
        )
    packed = np.frombuffer(raw, dtype="<i2").reshape(frames, NUM_KEYPOINTS, 3)
    points = (packed / scale).astype(np.float32)
    points[(packed == MISSING).all(axis=(1, 2))] = np.nan
    return points


def plausible_recording_time(recorded_at: datetime | None) -> datetime | None:
    # The year first: converting year 1 at +01:00 to UTC overflows.
    if recorded_at is not None and (
        recorded_at.year < EARLIEST_RECORDING.year
        or (recorded_at if recorded_at.tzinfo else recorded_at.replace(tzinfo=UTC)) < EARLIEST_RECORDING
    ):
        raise ValueError(f"recorded_at must be from {EARLIEST_RECORDING.year} on; check the device clock")
    return recorded_at


def check_keypoints(text: str, frames: int) -> None:
    """Packed keypoints that decode to `frames` rows, hold a person and confidences in [0, 1]."""
    try:
        keypoints = unpack_points(text, frames, KEYPOINT_SCALE)
    except ValueError as error:
        raise ValueError(f"keypoints {error}") from None
    if np.isnan(keypoints).all():
        raise ValueError("keypoints: no frame holds a person")
    confidence = np.round(keypoints[..., 2] * KEYPOINT_SCALE[2])  # NaN rows compare False
    if ((confidence < 0) | (confidence > MAX_CONFIDENCE)).any():
        raise ValueError("the keypoints are not a person: a confidence is outside [0, 1]")


class SwingPayload(BaseModel):
    """One swing from a device: COCO-17 keypoints per frame, kilobytes instead of a video.

    `swing_id` is made on the device and is the idempotency key: sending it again is harmless.
    """

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal["1.0"] = PAYLOAD_SCHEMA_VERSION
    swing_id: UUID
    recorded_at: datetime | None = Field(default=None, description="from 2000 on; naive is UTC")
    fps: float = Field(ge=1, le=1000)
    width: int = Field(gt=0, le=16384)
    height: int = Field(gt=0, le=16384)
    frames: int = Field(ge=3, le=MAX_PAYLOAD_FRAMES)
    frame_offset: FrameIndex = Field(default=0, description="source frame index of the first row")
    handedness: Handedness | None = None
    club: Club = Field(default="driver", description="the golfer's club, for the ball flight and comparison")
    view: View | None = None
    keypoints: str = Field(
        max_length=MAX_POINTS_TEXT,
        description="base64 int16 (frames, 17, 3): x, y in half pixels, confidence x 1e4 (0 to 1e4)",
    )
    world: str | None = Field(
        default=None, max_length=MAX_POINTS_TEXT, description="base64 int16 (frames, 17, 3): metric 3D in mm"
    )
    events: EventFrames | None = Field(default=None, description="device-side events, rows of this payload")
    device: Name
    models: ModelVersions = Field(default_factory=ModelVersions)

    _plausible_time = field_validator("recorded_at")(plausible_recording_time)

    @model_validator(mode="after")
    def _consistent(self) -> SwingPayload:
        check_keypoints(self.keypoints, self.frames)
        if self.world is not None:
            try:
                unpack_points(self.world, self.frames, WORLD_SCALE)
            except ValueError as error:
                raise ValueError(f"world {error}") from None
        if self.events is not None and self.events.finish >= self.frames:
            raise ValueError("events must index rows of this payload")
        return self

    @classmethod
    def from_sequence(cls, swing_id: UUID, sequence: PoseSequence, **fields: object) -> SwingPayload:
        return cls(
            swing_id=swing_id,
            fps=sequence.fps,
            width=sequence.width,
            height=sequence.height,
            frames=len(sequence),
            frame_offset=int(sequence.frame_indices[0]) if len(sequence) else 0,
            keypoints=pack_points(sequence.keypoints, KEYPOINT_SCALE),
            world=None if sequence.world is None else pack_points(sequence.world, WORLD_SCALE),
            **fields,
        )

    def to_sequence(self) -> PoseSequence:
        return PoseSequence(
            keypoints=unpack_points(self.keypoints, self.frames, KEYPOINT_SCALE),
            fps=self.fps,
            width=self.width,
            height=self.height,
            world=None if self.world is None else unpack_points(self.world, self.frames, WORLD_SCALE),
            frame_indices=np.arange(self.frames) + self.frame_offset,
        )


MAX_POSTURE_FRAMES = 9000  # 5 minutes at 30 fps
MAX_POSTURE_TEXT = 4 * -(-MAX_POSTURE_FRAMES * _VALUES_PER_FRAME * 2 // 3)


class PosturePayload(BaseModel):
    """One yoga or exercise session from a device or the browser: keypoints, analysed by the server
    with the same code as `swingcoach analyze --sport`. `session_id` is the idempotency key."""

    model_config = ConfigDict(extra="forbid")

    session_id: UUID
    sport: Literal["yoga", "exercise"]
    recorded_at: datetime | None = Field(default=None, description="from 2000 on; naive is UTC")
    fps: float = Field(ge=1, le=240)
    width: int = Field(gt=0, le=16384)
    height: int = Field(gt=0, le=16384)
    frames: int = Field(ge=3, le=MAX_POSTURE_FRAMES)
    keypoints: str = Field(max_length=MAX_POSTURE_TEXT, description="as in a swing payload")
    device: Name

    _plausible_time = field_validator("recorded_at")(plausible_recording_time)

    @model_validator(mode="after")
    def _consistent(self) -> PosturePayload:
        check_keypoints(self.keypoints, self.frames)
        return self

    def to_sequence(self) -> PoseSequence:
        keypoints = unpack_points(self.keypoints, self.frames, KEYPOINT_SCALE)
        return PoseSequence(keypoints=keypoints, fps=self.fps, width=self.width, height=self.height)


# ---------------------------------------------------------------------------------------------
# Analysis report
# ---------------------------------------------------------------------------------------------

# "unreliable": measured, but at frames whose tracking failed its checks; shown, never scored.
MetricStatus = Literal["ok", "low", "high", "unavailable", "unreliable"]
MetricSource = Literal["timing", "2d", "3d"]


class MetricResult(BaseModel):
    label: str
    value: float | None
    unit: str
    event: str
    range: tuple[float, float]
    score: float | None = Field(default=None, ge=0, le=100)
    status: MetricStatus
    note: str | None = None
    source: MetricSource | None = Field(
        default=None, description="how it was measured: timing, the 2D image plane, or the lifted 3D"
    )


class Advice(BaseModel):
    metric: str
    text: str
    score: float


Club = Literal["driver", "3-wood", "4-iron", "5-iron", "6-iron", "7-iron", "8-iron", "9-iron"]


class BallFlightAdvice(BaseModel):
    feature: str = Field(description="the CaddieSet feature, '<event>-<NAME>'")
    value: float
    target: float = Field(description="where CaddieSet's straight, long swings of the club reach")
    carry_gain_m: float
    text: str
    fault: str | None = Field(default=None, description="'<metric>:<low|high>' whose drills apply")


class FlightUncertainty(BaseModel):
    """The model's mean absolute error on golfers it never saw (leave one golfer out), this view."""

    carry: float
    distance: float
    direction_deg: float
    spin_axis_deg: float


class BallFlight(BaseModel):
    """What the posture predicts for the ball, from the CaddieSet model (docs/ballflight.md)."""

    model: str
    club: Club
    unit: Literal["m"] = Field(default="m", description="carry and distance: CaddieSet's metres")
    carry: float
    distance: float
    direction_deg: float
    side_spin_rpm: float
    spin_axis_deg: float
    curve: Literal["hook", "draw", "straight", "fade", "slice"]
    uncertainty: FlightUncertainty
    in_domain: bool = Field(description="whether the camera view and the posture are within CaddieSet's")
    domain_note: str | None = Field(default=None, description="why not, when not")
    supported: bool = Field(description="whether the data supports advice from this view")
    note: str
    features: dict[str, float | None]
    advice: list[BallFlightAdvice] = Field(default_factory=list)


class PoseDifference(BaseModel):
    event: str
    angle: str
    value: float = Field(description="the golfer's angle, degrees")
    reference: float = Field(description="the tour swings' median, degrees")
    text: str


class ProComparison(BaseModel):
    """The swing against tour swings of the same view and club (analysis/pros.py)."""

    reference: str
    swings: int
    percentiles: dict[str, float] = Field(description="per metric: % of the tour swings below the golfer")
    differences: list[PoseDifference]
    poses: list[list[list[float]]] = Field(
        description="the golfer's pose at the 8 events: hip centre at 0, in heights, y down"
    )
    reference_poses: list[list[list[float]]] = Field(description="the tour swings' median pose, the same way")


class PhaseSpan(BaseModel):
    phase: str
    start_frame: int
    end_frame: int


class TrackingReport(BaseModel):
    """How well the golfer was tracked from address to finish (analysis.quality)."""

    score: float = Field(ge=0, le=1, description="share of well-tracked frames from address to finish")
    acceptable: bool
    problems: dict[str, float] = Field(description="check -> share of the swing's frames that failed it")
    bad_events: list[str] = Field(description="events whose frames failed a check")


class SwingTimes(BaseModel):
    """Sub-frame times of the timing events, seconds on the source clock; None when not seen."""

    takeaway_s: float | None
    top_s: float
    impact_s: float


class SwingReport(BaseModel):
    index: int
    start_frame: int
    end_frame: int
    start_time_s: float
    end_time_s: float
    handedness: Handedness
    handedness_score: float
    view: View
    camera_azimuth: float | None = Field(
        default=None,
        description="degrees between the target line and the image plane: 0 face on, 90 down the line",
    )
    measured_as: Literal["face-on", "down-the-line"] | None = Field(
        default=None, description="the standard view whose definitions measured the swing"
    )
    events: EventFrames
    times: SwingTimes | None = None
    phases: list[PhaseSpan]
    metrics: dict[str, MetricResult]
    score: float | None = Field(ge=0, le=100, description="None when the tracking is too poor to score")
    scored_metrics: int | None = Field(default=None, description="how many metrics the score is based on")
    tracking: TrackingReport | None = None
    warnings: list[str] = Field(default_factory=list)
    advice: list[Advice]
    ball_flight: BallFlight | None = None
    comparison: ProComparison | None = None


class SourceInfo(BaseModel):
    path: str
    fps: float
    width: int
    height: int
    frame_count: int
    duration_s: float
    rotation: int = 0
    turned: int = Field(
        default=0,
        description="degrees clockwise the picture was turned beyond the file's own rotation: by --rotate, "
        "or chosen when no upright golfer was seen the file's way up",
    )


class Report(BaseModel):
    """`report.json`: frames are indices into the source video."""

    schema_version: Literal["2.0"] = REPORT_SCHEMA_VERSION
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    source: SourceInfo
    models: ModelVersions
    swings: list[SwingReport]
