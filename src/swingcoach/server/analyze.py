"""The two analysis paths the service runs, on the same core functions as the CLI.

- Device path: keypoints arrive in the payload; events, metrics and score take milliseconds, so
  they run inside the request.
- Video path: a worker decodes the upload and runs the pose model on every frame first.
"""

from __future__ import annotations

import queue
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import numpy as np

from swingcoach.analysis.ballflight import DEFAULT_CLUB, BallFlightModel
from swingcoach.analysis.body import shipped_lifter
from swingcoach.analysis.quality import FrameChecks, frame_checks
from swingcoach.analysis.score import ADVICE_BELOW_SCORE
from swingcoach.analysis.swing import analyze_swing
from swingcoach.errors import InputError
from swingcoach.pipeline import analyze_video, model_versions
from swingcoach.pose import create_backend
from swingcoach.pose.base import PoseBackend, PoseSequence
from swingcoach.schemas import Club, Handedness, ModelVersions, SwingPayload, SwingReport
from swingcoach.server.core.metrics import ANALYSIS_SECONDS
from swingcoach.swing.events import LearnedEventDetector, create_event_detector
from swingcoach.video.source import FileSource, VideoLimits

# The device path's gate: keypoints that are not a person are refused, not analysed and stored.
# A real golfer's payload passes with room to spare (the demo swing: every point in the frame, no
# frame failing a check); random or zeroed keypoints fail every frame.
FRAME_MARGIN = 0.5  # of the frame's width / height around it: a hand may leave the picture, a body not
MIN_IN_FRAME = 0.5  # share of the keypoints within the frame and its margin
MAX_BAD_FRAMES = 0.5  # share of the frames failing a tracking check (analysis.quality)
PERSON_CHECKS = ("confidence", "bones", "jumps")


class NotAPerson(InputError):
    """The keypoints cannot be a person's."""


class PayloadBacklog(RuntimeError):
    """More payloads are waiting for their analysis than the server takes on."""

    def __init__(self, waiting: int) -> None:
        super().__init__(f"the server has {waiting} swings waiting for analysis; send again shortly")


@dataclass(frozen=True)
class VideoSwing:
    """One swing found in an uploaded video, with its keypoints as a device would have sent them."""

    report: SwingReport
    payload: SwingPayload


def video_swing_id(upload_swing_id: uuid.UUID, index: int) -> uuid.UUID:
    """Deterministic, so a re-run of the same job stores the same swings again, not new ones."""
    return upload_swing_id if index == 0 else uuid.uuid5(upload_swing_id, f"swing-{index}")


def flight_summary(report: SwingReport) -> dict[str, float]:
    """The predicted flight and the model's most important features, as statistics follow them."""
    flight, view = report.ball_flight, report.measured_as
    if flight is None or not flight.in_domain or view is None:
        return {}
    driving = BallFlightModel.shipped().driving_features(view, flight.features)
    return {
        "carry": flight.carry,
        "direction_deg": flight.direction_deg,
        "spin_axis_deg": flight.spin_axis_deg,
        **{name: value for name, value in driving.items() if value is not None},
    }


def swing_summary(report: SwingReport) -> dict[str, Any]:
    """The columns statistics and recommendations read, so they never parse whole reports."""
    tempo = report.metrics.get("tempo_ratio")
    return {
        "score": report.score,
        "tempo_ratio": tempo.value if tempo is not None else None,
        "metrics": {name: m.value for name, m in report.metrics.items() if m.value is not None},
        "faults": [
            f"{name}:{m.status}"
            for name, m in report.metrics.items()
            if m.status in ("low", "high") and m.score is not None and m.score < ADVICE_BELOW_SCORE
        ],
        "flight": flight_summary(report),
    }


def check_person(sequence: PoseSequence) -> FrameChecks:
    """Raise NotAPerson unless the keypoints could be a person seen in the frame; the frame checks
    it ran, for the analysis to use again."""
    valid = sequence.valid
    seen = sequence.keypoints[valid]
    x, y = seen[..., 0], seen[..., 1]
    w, h = sequence.width * FRAME_MARGIN, sequence.height * FRAME_MARGIN
    inside = float(((x >= -w) & (x <= sequence.width + w) & (y >= -h) & (y <= sequence.height + h)).mean())
    if inside < MIN_IN_FRAME:
        raise NotAPerson(
            f"the keypoints are not a person: {100 * (1 - inside):.0f}% of them lie far outside "
            f"the {sequence.width}x{sequence.height} frame"
        )
    frames = frame_checks(sequence.keypoints, sequence.fps)
    checks = frames.failed
    failed = {name: float(checks[name][valid].mean()) for name in PERSON_CHECKS}
    bad = float(np.logical_or.reduce([checks[name][valid] for name in PERSON_CHECKS]).mean())
    if bad > MAX_BAD_FRAMES:
        worst = max(failed, key=failed.__getitem__)
        raise NotAPerson(
            f"the keypoints are not a person: {100 * bad:.0f}% of the frames fail the body checks "
            f"(mostly {worst}: {'no confidence' if worst == 'confidence' else 'not a body shape'})"
        )
    return frames


class Analyzer:
    def __init__(
        self,
        pose_backend: str,
        event_detector: str,
        threads: int = 1,
        payload_concurrency: int = 1,
        payload_queue_limit: int = 256,
    ) -> None:
        self.pose_backend_name = pose_backend
        self.threads = threads
        self.detector = create_event_detector(event_detector)
        self.payload_concurrency = payload_concurrency
        self.payload_queue_limit = payload_queue_limit
        self._payload_turns: anyio.CapacityLimiter | None = None
        # The models of the device path load now, not in the first golfer's request.
        shipped_lifter()
        if isinstance(self.detector, LearnedEventDetector):
            _ = self.detector.session
        # Fails at start-up, not on the first upload, if the model is missing; then serves the first
        # job (a backend per thread kept this one idle beside it: ~80 MB of the process's RSS).
        first = create_backend(pose_backend, threads=threads)
        self.pose_version = first.version
        self._idle: queue.SimpleQueue[PoseBackend] = queue.SimpleQueue()
        self._idle.put(first)

    @contextmanager
    def _backend(self) -> Iterator[PoseBackend]:
        """A backend for one video at a time (it follows one person from frame to frame)."""
        try:
            backend = self._idle.get_nowait()
        except queue.Empty:  # more concurrent jobs than backends so far
            backend = create_backend(self.pose_backend_name, threads=self.threads)
        try:
            yield backend
        finally:
            self._idle.put(backend)

    def served_versions(self) -> ModelVersions:
        return model_versions(self.pose_version, self.detector)

    def analyze_payload(self, payload: SwingPayload) -> tuple[SwingReport, ModelVersions]:
        """The device and browser path: the payload's 2D through the same analysis as a video's."""
        started = time.perf_counter()  # the analysis itself, not the wait for its turn
        sequence = payload.to_sequence()
        checks = check_person(sequence)
        analysis = analyze_swing(
            sequence, self.detector, handedness=payload.handedness, checks=checks, club=payload.club
        )
        ANALYSIS_SECONDS.observe(time.perf_counter() - started)
        return analysis.report, model_versions(payload.models.pose, self.detector)

    async def analyze_payload_in_turn(self, payload: SwingPayload) -> tuple[SwingReport, ModelVersions]:
        """`analyze_payload` on a worker thread, `payload_concurrency` at a time.

        The analysis holds the interpreter lock most of its ~11 ms: run side by side, N of them each
        take N times as long (all finishing late together) and starve the event loop. Taking turns,
        each finishes in its own time; the others wait here, in the event loop, holding no thread,
        so the threads the rest of the service needs (database writes, session closes) stay free.
        Past `payload_queue_limit` waiting, PayloadBacklog: the caller answers 503 and the device retries."""
        if self._payload_turns is None:  # made in the event loop that uses it
            self._payload_turns = anyio.CapacityLimiter(self.payload_concurrency)
        if self._payload_turns.statistics().tasks_waiting >= self.payload_queue_limit:
            raise PayloadBacklog(self.payload_queue_limit)
        return await anyio.to_thread.run_sync(self.analyze_payload, payload, limiter=self._payload_turns)

    def analyze_video(
        self,
        path: Path,
        swing_id: uuid.UUID,
        limits: VideoLimits,
        club: Club = DEFAULT_CLUB,
        handedness: Handedness | None = None,
    ) -> tuple[list[VideoSwing], ModelVersions]:
        """Every swing in the video: the first is `swing_id`, later ones get ids derived from it.
        The video is decoded within `limits` (VideoLimitError past them); `club` and `handedness`
        as the golfer gave them (handedness None: found from the swing)."""
        with self._backend() as backend:
            source = FileSource(path, limits)
            _sequence, _info, analyses = analyze_video(source, backend, self.detector, handedness, club=club)
        versions = model_versions(self.pose_version, self.detector)
        swings = [
            VideoSwing(
                report=analysis.report,
                payload=SwingPayload.from_sequence(
                    video_swing_id(swing_id, index),
                    analysis.sequence,
                    handedness=analysis.orientation.handedness,
                    club=club,
                    models=versions,
                ),
            )
            for index, analysis in enumerate(analyses)
        ]
        return swings, versions
