"""The two analysis paths the service runs, on the same core functions as the CLI.

- Device path: keypoints arrive in the payload; events, metrics and score take milliseconds, so
  they run inside the request.
- Video path: a worker decodes the upload and runs the pose model on every frame first.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from swingcoach.analysis.score import ADVICE_BELOW_SCORE
from swingcoach.analysis.swing import analyze_swing
from swingcoach.pipeline import analyze_video, model_versions
from swingcoach.pose import create_backend
from swingcoach.pose.base import PoseBackend
from swingcoach.schemas import ModelVersions, SwingPayload, SwingReport
from swingcoach.swing.events import create_event_detector


@dataclass(frozen=True)
class VideoSwing:
    """One swing found in an uploaded video, with its keypoints as a device would have sent them."""

    report: SwingReport
    payload: SwingPayload


def video_swing_id(upload_swing_id: uuid.UUID, index: int) -> uuid.UUID:
    """Deterministic, so a re-run of the same job stores the same swings again, not new ones."""
    return upload_swing_id if index == 0 else uuid.uuid5(upload_swing_id, f"swing-{index}")


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
    }


class Analyzer:
    def __init__(self, pose_backend: str, event_detector: str, threads: int = 1) -> None:
        self.pose_backend_name = pose_backend
        self.threads = threads
        self.detector = create_event_detector(event_detector)
        self._local = threading.local()
        # Fails at start-up, not on the first upload, if the model is missing.
        self.pose_version = self._backend().version

    def _backend(self) -> PoseBackend:
        # Pose backends follow one person from frame to frame: one per thread.
        backend = getattr(self._local, "backend", None)
        if backend is None:
            backend = self._local.backend = create_backend(self.pose_backend_name, threads=self.threads)
        return backend

    def served_versions(self) -> ModelVersions:
        return model_versions(self.pose_version, self.detector)

    def analyze_payload(self, payload: SwingPayload) -> tuple[SwingReport, ModelVersions]:
        """The device and browser path: the payload's 2D through the same analysis as a video's."""
        analysis = analyze_swing(payload.to_sequence(), self.detector, handedness=payload.handedness)
        return analysis.report, model_versions(payload.models.pose, self.detector)

    def analyze_video(self, path: Path, swing_id: uuid.UUID) -> tuple[list[VideoSwing], ModelVersions]:
        """Every swing in the video: the first is `swing_id`, later ones get ids derived from it."""
        backend = self._backend()
        _sequence, _info, analyses = analyze_video(path, backend, self.detector)
        versions = model_versions(backend.version, self.detector)
        swings = [
            VideoSwing(
                report=analysis.report,
                payload=SwingPayload.from_sequence(
                    video_swing_id(swing_id, index),
                    analysis.sequence,
                    handedness=analysis.orientation.handedness,
                    models=versions,
                ),
            )
            for index, analysis in enumerate(analyses)
        ]
        return swings, versions
