"""One swing's pose sequence -> events, orientation, timing, tracking quality, metrics, score and
advice. Every path (CLI, server clip job, device and browser payloads) calls `analyze_swing` on
COCO-17 2D keypoints, so the same keypoints get the same answer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from swingcoach.analysis.ballflight import DEFAULT_CLUB, ball_flight
from swingcoach.analysis.body import SwingBody, shipped_lifter
from swingcoach.analysis.metrics import Swing, measure
from swingcoach.analysis.pros import ProReference, compare
from swingcoach.analysis.quality import FrameChecks, TrackingQuality, frame_checks, tracking_quality
from swingcoach.analysis.score import advise, overall_score, score_metrics
from swingcoach.pose.base import PoseSequence
from swingcoach.pose.skeleton import mirror_keypoints
from swingcoach.schemas import (
    Club,
    EventFrames,
    Handedness,
    PhaseSpan,
    SwingReport,
    SwingTimes,
    TrackingReport,
)
from swingcoach.swing.events import PHASE_NAMES, EventDetector, RuleEventDetector, SwingEvents
from swingcoach.swing.orientation import LEFT_HANDED_BELOW, Orientation, handedness_score, view_of
from swingcoach.swing.timing import SwingTiming, swing_timing

# Version of the metric definitions, timing, quality checks and scoring; recorded with every swing.
ANALYSIS_VERSION = "metrics-3"


@dataclass(frozen=True)
class SwingAnalysis:
    """A swing as analysed: `events` index `sequence`; `report` speaks in source frame indices."""

    sequence: PoseSequence
    events: SwingEvents
    orientation: Orientation
    measured: Swing  # the right-handed body, events, timing and scale the metrics read
    quality: TrackingQuality
    report: SwingReport

    @property
    def canonical(self) -> PoseSequence:
        """The sequence as a right-handed swing (mirrored when left-handed), as measured."""
        return self.sequence.mirrored() if self.orientation.handedness == "left" else self.sequence


def phase_spans(events: SwingEvents, frame_indices: np.ndarray) -> list[PhaseSpan]:
    phases = events.phases(len(frame_indices))
    spans = []
    for phase_index, name in enumerate(PHASE_NAMES):
        rows = np.flatnonzero(phases == phase_index)
        if len(rows):
            spans.append(
                PhaseSpan(
                    phase=name,
                    start_frame=int(frame_indices[rows[0]]),
                    end_frame=int(frame_indices[rows[-1]]),
                )
            )
    return spans


def orient(sequence: PoseSequence, world: np.ndarray, handedness: Handedness | None) -> Orientation:
    """Handedness and camera view from the 2D and the lifted 3D (never a backend's own 3D)."""
    anchors = RuleEventDetector().detect(sequence)
    azimuth = SwingBody.from_sequence(sequence, anchors["address"], world).camera_azimuth()
    score = handedness_score(sequence, world, anchors["address"], anchors["top"], azimuth)
    detected: Handedness = "left" if score < LEFT_HANDED_BELOW else "right"
    return Orientation(handedness or detected, score, view_of(azimuth), azimuth)


def warnings_for(orientation: Orientation, timing: SwingTiming, quality: TrackingQuality) -> list[str]:
    out = []
    if not quality.acceptable:
        out.append(f"Not scored: {quality.summary()}. Film again with the golfer alone in the frame.")
    elif quality.bad_events:
        out.append(
            f"Tracking failed around {', '.join(e.replace('_', ' ') for e in quality.bad_events)}: "
            "the metrics measured there are shown but not scored."
        )
    if timing.problem is not None:
        out.append(f"No tempo: {timing.problem}.")
    if orientation.view == "other":
        out.append(
            f"The camera is at {orientation.azimuth:.0f}° to the target line, between face on and down "
            f"the line: measured as {orientation.standard_view}, with foreshortened angles."
        )
    return out


def analyze_swing(
    sequence: PoseSequence,
    detector: EventDetector,
    index: int = 0,
    handedness: Handedness | None = None,
    world: np.ndarray | None = None,
    events_from: int = 0,
    checks: FrameChecks | None = None,
    pros: ProReference | None = None,
    club: Club = DEFAULT_CLUB,
) -> SwingAnalysis:
    """Analyse one swing (the sequence holds one swing, with some lead-in and follow-out).

    `world` is the 3D to measure with; every path leaves it to the default, our lifter on the 2D
    (benchmarks pass another source to compare them). `events_from`: the row the event detector's
    window starts at (a file's cut holds more lead-in than the live cut the detector is used to).
    `checks`: the frame checks of `sequence` when the caller ran them already (the server's gate).
    `pros`: the tour swings to compare with (the shipped ones by default). `club`: the golfer's, for
    the ball flight and the comparison (a driver when not said)."""
    world = shipped_lifter().lift(sequence) if world is None else world
    orientation = orient(sequence, world, handedness)
    left = orientation.handedness == "left"
    canonical = sequence.mirrored() if left else sequence
    events = detector.detect(canonical.slice(events_from, len(canonical))).shifted(events_from)
    body = SwingBody.from_sequence(
        canonical, events["address"], mirror_keypoints(world, None) if left else world
    )
    timing = swing_timing(canonical, events)
    # On the sequence as given: the checks are left/right symmetric, so the mirror fails the same frames.
    checks = frame_checks(sequence.keypoints, sequence.fps) if checks is None else checks
    quality = tracking_quality(checks, events)
    swing = Swing(body=body, events=events, timing=timing, cm=body.cm_per_px())
    results = score_metrics(measure(swing, orientation.standard_view), frozenset(quality.bad_events))
    score = overall_score(results) if quality.acceptable else None
    frames = sequence.frame_indices
    view = orientation.standard_view

    def seconds(row: float) -> float:
        return round((float(frames[0]) + row) / sequence.fps, 4)

    report = SwingReport(
        index=index,
        start_frame=int(frames[0]),
        end_frame=int(frames[-1]),
        start_time_s=round(float(frames[0]) / sequence.fps, 3),
        end_time_s=round(float(frames[-1]) / sequence.fps, 3),
        handedness=orientation.handedness,
        handedness_score=round(orientation.handedness_score, 3),
        view=orientation.view,
        camera_azimuth=round(orientation.azimuth, 1),
        measured_as=orientation.standard_view,
        events=EventFrames(**{name: int(frames[f]) for name, f in events.as_dict().items()}),
        times=SwingTimes(
            takeaway_s=None if timing.takeaway is None else seconds(timing.takeaway),
            top_s=seconds(timing.top),
            impact_s=seconds(timing.impact),
        ),
        phases=phase_spans(events, frames),
        metrics=results,
        score=score,
        scored_metrics=sum(r.score is not None for r in results.values()) if score is not None else 0,
        tracking=TrackingReport(
            score=round(quality.score, 3),
            acceptable=quality.acceptable,
            problems={k: round(v, 3) for k, v in quality.problems.items()},
            bad_events=list(quality.bad_events),
        ),
        warnings=warnings_for(orientation, timing, quality),
        advice=advise(results) if score is not None else [],
        ball_flight=(
            ball_flight(body.keypoints, events.positions, view, orientation.view, club)
            if quality.acceptable
            else None
        ),
        comparison=(
            compare(results, body.keypoints, events.positions, view, club, pros)
            if quality.acceptable
            else None
        ),
    )
    return SwingAnalysis(
        sequence=sequence,
        events=events,
        orientation=orientation,
        measured=swing,
        quality=quality,
        report=report,
    )
