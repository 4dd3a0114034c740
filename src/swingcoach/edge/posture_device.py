"""The device for yoga and exercise: per frame, the pose, then the held-pose coach (label, accuracy,
guidance, hold timer) or the live repetition counter; drawn on the live view and published over MQTT
(`<prefix>/<device>/posture`: {label: probability}, `<prefix>/<device>/repetition`: one per rep)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from swingcoach.edge.live_stream import LiveStream
from swingcoach.edge.liveview import LiveView
from swingcoach.edge.telemetry import Telemetry
from swingcoach.pose.base import PoseBackend
from swingcoach.posture.classifier import PostureClassifier
from swingcoach.posture.features import body_points
from swingcoach.posture.held import TAKE_YOUR_POSE, HeldPoseCoach
from swingcoach.posture.movement import RepetitionCounter
from swingcoach.report.draw import draw_label, draw_skeleton
from swingcoach.video.source import Frame

PUBLISH_EVERY_S = 0.2  # {label: probability} at 5 Hz is live enough for a dashboard
EXERCISE_WINDOW_S = 6.0  # the exercise is recognised from the last few seconds


@dataclass
class PostureStats:
    frames: int = 0
    posed: int = 0
    repetitions: int = 0
    label_ms: list[float] = field(default_factory=list)  # pose -> label on screen, per frame


class PostureDevice:
    def __init__(
        self,
        backend: PoseBackend,
        sport: str,
        fps: float,
        live_view: LiveView | None = None,
        telemetry: Telemetry | None = None,
        stream: LiveStream | None = None,
    ) -> None:
        self.backend, self.sport, self.fps = backend, sport, fps
        self.classifier = PostureClassifier.for_sport(sport)
        self.coach = HeldPoseCoach(self.classifier) if sport == "yoga" else None
        self.counter = RepetitionCounter(fps) if sport == "exercise" else None
        self.live_view, self.telemetry, self.stream = live_view, telemetry, stream
        self._recent: list[np.ndarray] = []
        self._published_at = -np.inf
        self.stats = PostureStats()

    def step(self, frame: Frame) -> list[str]:
        """One frame -> the lines shown on it."""
        self.stats.frames += 1
        captured_at = time.time()
        pose = self.backend(frame.image, frame.time_s)
        keypoints = None if pose is None else pose.keypoints
        if keypoints is None:
            lines = [TAKE_YOUR_POSE if self.coach else "step into view"]
        else:
            self.stats.posed += 1
            started = time.perf_counter()
            lines = self._read(body_points(keypoints), frame.time_s)
            self.stats.label_ms.append(1000 * (time.perf_counter() - started))
        watched = self.live_view is not None and self.live_view.watched
        if watched or self.stream is not None:
            image = draw_skeleton(frame.image.copy(), keypoints)
            for n, line in enumerate(lines):
                draw_label(image, line, (12, 30 + 30 * n), 0.7)
            if watched:
                self.live_view.publish(image)  # type: ignore[union-attr]
            if self.stream is not None:
                self.stream.offer(image, captured_at)
        return lines

    def _read(self, points: np.ndarray, time_s: float) -> list[str]:
        if self.coach is not None:
            reading = self.coach.update(points, time_s)
            self._publish(reading.probabilities, time_s)
            lines = [reading.caption]
            if reading.label is not None:
                lines += [reading.guidance or "hold it", f"hold {reading.hold_s:.1f} s"]
            return lines
        assert self.counter is not None
        self._recent = [*self._recent, points][-int(EXERCISE_WINDOW_S * self.fps) :]
        probabilities = self.classifier.probabilities(np.stack(self._recent))[0]
        exercise = self.classifier.bank.labels[int(probabilities.argmax())]
        self._publish(dict(zip(self.classifier.bank.labels, map(float, probabilities), strict=True)), time_s)
        rep = self.counter.update(points)
        if rep is not None:
            self.stats.repetitions += 1
            if self.telemetry is not None:
                self.telemetry.publish(
                    "repetition",
                    {
                        "exercise": exercise,
                        "count": self.counter.count,
                        "tempo_s": round(rep.duration_s, 2),
                        "joint": rep.joint,
                        "range_deg": round(rep.range_deg, 1),
                        "time_s": round(time_s, 3),
                    },
                )
        return [f"{exercise} {100 * probabilities.max():.0f}%", f"reps {self.counter.count}"]

    def _publish(self, probabilities: dict[str, float], time_s: float) -> None:
        if self.telemetry is not None and time_s - self._published_at >= PUBLISH_EVERY_S:
            self._published_at = time_s
            self.telemetry.publish("posture", {k: round(v, 4) for k, v in probabilities.items()})

    def run(self, frames: Iterable[Frame]) -> PostureStats:
        try:
            for frame in frames:
                self.step(frame)
        except KeyboardInterrupt:
            pass
        return self.stats
