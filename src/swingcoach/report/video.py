"""The annotated video: skeleton on every frame, the phase, event markers and a swing timeline.

Rendering re-decodes the source frame by frame (nothing but keypoints is kept from the first pass)
and collects the event frames for the report's event strip on the way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from swingcoach.analysis.swing import SwingAnalysis
from swingcoach.pose.base import PoseSequence
from swingcoach.report.draw import COLOR_EVENT, draw_label, draw_skeleton, draw_timeline
from swingcoach.swing.events import EVENT_NAMES, PHASE_NAMES
from swingcoach.video.source import open_source
from swingcoach.video.writer import VideoWriter

EVENT_FLASH_S = 0.4

EventFrames = dict[tuple[int, str], np.ndarray]  # (swing index, event name) -> annotated frame


class _SwingOverlay:
    """Per-frame labels of one swing, looked up by source frame index."""

    def __init__(self, analysis: SwingAnalysis, fps: float) -> None:
        self.report = analysis.report
        self.start, self.end = self.report.start_frame, self.report.end_frame
        self.events = analysis.report.events.model_dump()
        self.phases = {
            int(frame): PHASE_NAMES[phase]
            for frame, phase in zip(
                analysis.sequence.frame_indices, analysis.events.phases(len(analysis.sequence)), strict=True
            )
        }
        self.flash = max(1, round(EVENT_FLASH_S * fps))

    def covers(self, frame: int) -> bool:
        return self.start <= frame <= self.end

    def draw(self, image: np.ndarray, frame: int) -> None:
        span = max(self.end - self.start, 1)
        recent = [name for name in EVENT_NAMES if 0 <= frame - self.events[name] < self.flash]
        current = recent[-1] if recent else None
        h = image.shape[0]
        draw_label(
            image,
            f"Swing {self.report.index + 1}  "
            + ("no score" if self.report.score is None else f"score {self.report.score:.0f}"),
            (10, round(0.06 * h)),
        )
        draw_label(image, self.phases.get(frame, ""), (10, round(0.12 * h)))
        if current is not None:
            draw_label(image, current.replace("_", " ").upper(), (10, round(0.18 * h)), 0.8, COLOR_EVENT)
        marks = [((self.events[name] - self.start) / span, name) for name in EVENT_NAMES]
        draw_timeline(image, (frame - self.start) / span, marks, current)


def render_annotated(
    source: str | Path,
    sequence: PoseSequence,
    analyses: list[SwingAnalysis],
    path: Path,
    on_frame: Callable[[int], None] | None = None,
) -> EventFrames:
    overlays = [_SwingOverlay(a, sequence.fps) for a in analyses]
    wanted = {
        (a.report.index, name): frame
        for a in analyses
        for name, frame in a.report.events.model_dump().items()
    }
    by_frame: dict[int, list[tuple[int, str]]] = {}
    for key, frame in wanted.items():
        by_frame.setdefault(frame, []).append(key)
    rows = {int(index): row for row, index in enumerate(sequence.frame_indices)}
    event_frames: EventFrames = {}
    with (
        open_source(source) as video,
        VideoWriter(path, video.info.fps, video.info.width, video.info.height) as out,
    ):
        for frame in video:
            image = frame.image.copy()
            row = rows.get(frame.index)
            draw_skeleton(image, None if row is None else sequence.keypoints[row])
            for overlay in overlays:
                if overlay.covers(frame.index):
                    overlay.draw(image, frame.index)
            out.write(image)
            for key in by_frame.get(frame.index, []):
                event_frames[key] = draw_skeleton(
                    frame.image.copy(), None if row is None else sequence.keypoints[row]
                )
            if on_frame is not None:
                on_frame(frame.index)
    return event_frames
