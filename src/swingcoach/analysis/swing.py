"""One swing's pose sequence -> events, orientation, metrics, score and advice."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from swingcoach.analysis.metrics import measure
from swingcoach.analysis.score import advise, overall_score, score_metrics
from swingcoach.pose.base import PoseSequence
from swingcoach.schemas import EventFrames, Handedness, PhaseSpan, SwingReport
from swingcoach.swing.events import PHASE_NAMES, EventDetector, RuleEventDetector, SwingEvents
from swingcoach.swing.orientation import Orientation, estimate_orientation


@dataclass(frozen=True)
class SwingAnalysis:
    """A swing as analysed: `events` index `sequence`; `report` speaks in source frame indices."""

    sequence: PoseSequence
    events: SwingEvents
    orientation: Orientation
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


def analyze_swing(
    sequence: PoseSequence,
    detector: EventDetector,
    index: int = 0,
    handedness: Handedness | None = None,
) -> SwingAnalysis:
    """Analyse one swing (the sequence holds one swing, with some lead-in and follow-out)."""
    anchors = RuleEventDetector().detect(sequence)
    orientation = estimate_orientation(sequence, anchors["address"], anchors["top"])
    if handedness is not None and handedness != orientation.handedness:
        orientation = Orientation(handedness, orientation.handedness_score, orientation.view)
    canonical = sequence.mirrored() if orientation.handedness == "left" else sequence
    events = detector.detect(canonical)
    has_3d = canonical.world is not None and bool(np.isfinite(canonical.world).any())
    results = score_metrics(measure(canonical, events, orientation.view), orientation.view, has_3d)
    frames = sequence.frame_indices
    report = SwingReport(
        index=index,
        start_frame=int(frames[0]),
        end_frame=int(frames[-1]),
        start_time_s=round(float(frames[0]) / sequence.fps, 3),
        end_time_s=round(float(frames[-1]) / sequence.fps, 3),
        handedness=orientation.handedness,
        handedness_score=round(orientation.handedness_score, 3),
        view=orientation.view,
        events=EventFrames(**{name: int(frames[f]) for name, f in events.as_dict().items()}),
        phases=phase_spans(events, frames),
        metrics=results,
        score=overall_score(results),
        advice=advise(results),
    )
    return SwingAnalysis(sequence=sequence, events=events, orientation=orientation, report=report)
