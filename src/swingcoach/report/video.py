"""The annotated video: skeleton on every frame, the phase, event markers and a swing timeline.

Rendering re-decodes the source frame by frame, with the poses read back in order from the spool;
each swing's event strip is written as soon as its last event has been decoded, so nothing grows
with the length of the session. The video is scaled to at most ANNOTATED_LONG_SIDE pixels and coded
at ANNOTATED_CRF: 0.3 Mbit/s on the benchmark's 720x1280 session (docs/benchmarks.md, Long sessions).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from swingcoach.report.draw import COLOR_EVENT, draw_label, draw_skeleton, draw_timeline
from swingcoach.report.plots import event_tile
from swingcoach.schemas import SwingReport
from swingcoach.swing.events import EVENT_NAMES
from swingcoach.video.source import FrameSource
from swingcoach.video.writer import VideoWriter

EVENT_FLASH_S = 0.4
ANNOTATED_LONG_SIDE = 1280
ANNOTATED_CRF = 26


class SwingOverlay:
    """What the annotated video needs of one swing (its label, phase spans and event frames), kept
    after the swing's analysis and report are gone."""

    def __init__(self, report: SwingReport, fps: float) -> None:
        self.index, self.score = report.index, report.score
        self.start, self.end = report.start_frame, report.end_frame
        self.phases = [(span.start_frame, span.end_frame, span.phase) for span in report.phases]
        self.events = report.events.model_dump()
        self.flash = max(1, round(EVENT_FLASH_S * fps))
        self.last_event = max(self.events.values())
        self.tiles: dict[str, np.ndarray] = {}

    def phase_at(self, frame: int) -> str:
        """The phase a source frame lies in, from the report's spans (nothing else is kept per frame)."""
        return next((phase for first, last, phase in self.phases if first <= frame <= last), "")

    def covers(self, frame: int) -> bool:
        return self.start <= frame <= self.end

    def draw(self, image: np.ndarray, frame: int) -> None:
        span = max(self.end - self.start, 1)
        recent = [name for name in EVENT_NAMES if 0 <= frame - self.events[name] < self.flash]
        current = recent[-1] if recent else None
        h = image.shape[0]
        draw_label(
            image,
            f"Swing {self.index + 1}  " + ("no score" if self.score is None else f"score {self.score:.0f}"),
            (10, round(0.06 * h)),
        )
        draw_label(image, self.phase_at(frame), (10, round(0.12 * h)))
        if current is not None:
            draw_label(image, current.replace("_", " ").upper(), (10, round(0.18 * h)), 0.8, COLOR_EVENT)
        marks = [((self.events[name] - self.start) / span, name) for name in EVENT_NAMES]
        draw_timeline(image, (frame - self.start) / span, marks, current)


def render_annotated(
    video: FrameSource,
    full_size: tuple[int, int],
    poses: Iterator[np.ndarray],
    overlays: list[SwingOverlay],
    path: Path,
    on_strip: Callable[[SwingOverlay], None],
    on_frame: Callable[[int], None] | None = None,
) -> None:
    """Write the annotated video; `on_strip(overlay)` gets each swing once its event tiles are in.
    `video`: the source opened with `max_side=ANNOTATED_LONG_SIDE`; `poses`: the rows of the
    session's grid (in the source's full-size pixels), one per frame."""
    width, height = video.info.width, video.info.height
    scale = np.array([width / full_size[0], height / full_size[1], 1.0], dtype=np.float32)
    by_frame: dict[int, list[tuple[SwingOverlay, str]]] = {}
    for overlay in overlays:
        for name, frame in overlay.events.items():
            by_frame.setdefault(frame, []).append((overlay, name))
    pending = sorted(overlays, key=lambda o: o.last_event)
    with video, VideoWriter(path, video.info.fps, width, height, crf=ANNOTATED_CRF) as out:
        for frame in video:
            keypoints = next(poses, None)
            keypoints = None if keypoints is None else keypoints * scale
            image = frame.image.copy()  # a decoded frame may be read-only
            draw_skeleton(image, keypoints)
            for overlay, name in by_frame.get(frame.index, []):
                overlay.tiles[name] = event_tile(image, keypoints)
            for overlay in overlays:
                if overlay.covers(frame.index):
                    overlay.draw(image, frame.index)
            out.write(image)
            while pending and pending[0].last_event <= frame.index:
                on_strip(pending.pop(0))
            if on_frame is not None:
                on_frame(frame.index)
    for overlay in pending:  # events past the decoded frames: their tiles stay blank
        on_strip(overlay)
