"""One recording of yoga or exercise analysed: the held poses with their hold time, accuracy and
guidance, or the exercise with each repetition's tempo, range and form errors. The same analysis
for the CLI's report, the device and the server."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from swingcoach.pose.base import PoseSequence
from swingcoach.posture.classifier import PostureClassifier
from swingcoach.posture.features import body_points
from swingcoach.posture.form import form_errors, load_rules
from swingcoach.posture.held import HeldPoseCoach, HeldPoseReading
from swingcoach.posture.movement import analyse_movement


@dataclass
class HeldSegment:
    label: str
    side: str | None
    start_frame: int
    end_frame: int
    hold_s: float
    accuracy: float | None
    guidance: str | None  # the most frequent guidance line while held


@dataclass
class RepetitionRow:
    index: int
    start_frame: int
    end_frame: int
    tempo_s: float
    joint: str
    range_deg: float
    form_errors: list[str]


@dataclass
class PostureReport:
    sport: str
    source: str
    model: str
    frames: int
    fps: float
    poses: list[HeldSegment] = field(default_factory=list)
    exercise: str | None = None
    exercise_confidence: float | None = None
    repetitions: list[RepetitionRow] = field(default_factory=list)


def held_readings(classifier: PostureClassifier, sequence: PoseSequence) -> list[HeldPoseReading]:
    coach = HeldPoseCoach(classifier)
    points = body_points(sequence.keypoints)
    return [coach.update(points[i], i / sequence.fps) for i in range(len(points))]


def held_segments(readings: list[HeldPoseReading], indices: np.ndarray, fps: float) -> list[HeldSegment]:
    segments: list[HeldSegment] = []
    start = 0
    for i in range(1, len(readings) + 1):
        if i < len(readings) and readings[i].label == readings[start].label:
            continue
        run = readings[start:i]
        if run[0].label is not None:
            accuracies = [r.accuracy for r in run if r.accuracy is not None]
            guidance = Counter(r.guidance for r in run if r.guidance).most_common(1)
            sides = Counter(r.side for r in run if r.side).most_common(1)
            segments.append(
                HeldSegment(
                    label=run[0].label,
                    side=sides[0][0] if sides else None,
                    start_frame=int(indices[start]),
                    end_frame=int(indices[i - 1]),
                    hold_s=round(len(run) / fps, 2),
                    accuracy=round(float(np.mean(accuracies)), 1) if accuracies else None,
                    guidance=guidance[0][0] if guidance else None,
                )
            )
        start = i
    return segments


def analyse_posture(
    sequence: PoseSequence, sport: str, source: str, is_image: bool = False
) -> tuple[PostureReport, list[HeldPoseReading]]:
    """-> the report, and for yoga the coach's reading of every frame."""
    model = "yoga-photos" if sport == "yoga" and is_image else sport
    classifier = PostureClassifier.for_sport(model)
    report = PostureReport(sport, source, classifier.version, len(sequence), sequence.fps)
    readings: list[HeldPoseReading] = []
    if sport == "yoga":
        readings = held_readings(classifier, sequence)
        report.poses = held_segments(readings, sequence.frame_indices, sequence.fps)
        return report, readings
    reading = analyse_movement(classifier, body_points(sequence.keypoints), sequence.fps)
    report.exercise, report.exercise_confidence = reading.exercise, round(reading.confidence, 4)
    rules = load_rules()
    for rep in reading.repetitions:
        rows = sequence.keypoints[rep.start_frame : rep.end_frame + 1]
        errors = sorted({e for row in rows for e in form_errors(reading.exercise, row, rules)})
        report.repetitions.append(
            RepetitionRow(
                rep.index,
                int(sequence.frame_indices[rep.start_frame]),
                int(sequence.frame_indices[rep.end_frame]),
                round(rep.duration_s, 2),
                rep.joint,
                round(rep.range_deg, 1),
                errors,
            )
        )
    return report, readings
