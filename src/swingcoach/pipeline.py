"""The core pipeline: video -> poses -> swings -> analyses. The CLI, the server worker and the
benchmarks all call these functions, so every path runs the same code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from swingcoach.analysis.ballflight import DEFAULT_CLUB
from swingcoach.analysis.body import shipped_lifter
from swingcoach.analysis.swing import ANALYSIS_VERSION, SwingAnalysis, analyze_swing
from swingcoach.errors import NoPersonError, NoSwingError
from swingcoach.pose.base import PoseBackend, PoseSequence
from swingcoach.schemas import Club, Handedness, ModelVersions
from swingcoach.swing.detect import DetectorSettings, find_swings
from swingcoach.swing.events import EventDetector, RuleEventDetector
from swingcoach.swing.features import hand_height, interpolate_gaps, normalize, smooth
from swingcoach.video.source import FrameSource, VideoInfo, open_source

FrameCallback = Callable[[int], None]
MIN_PERSON_FRAMES = 10
# A file has every frame, so its cuts keep 4 s before the takeaway the swing finder sees (live
# sources keep what their ring holds, 2 s): a slow-motion takeaway starts long before the hands have
# clearly moved, and the tempo needs the still address before it.
FILE_CUTS = DetectorSettings(pre_roll_s=4.0)
LIVE_CUTS = DetectorSettings()


def extract_poses(
    source: str | Path | FrameSource, backend: PoseBackend, on_frame: FrameCallback | None = None
) -> tuple[PoseSequence, VideoInfo]:
    """Decode the video frame by frame and run the pose backend on each; only keypoints are kept."""
    backend.reset()
    frames, times = [], []
    with source if isinstance(source, FrameSource) else open_source(source) as video:
        info = video.info
        for frame in video:
            frames.append(backend(frame.image, frame.time_s))
            times.append(frame.time_s)
            if on_frame is not None:
                on_frame(frame.index)
    if not frames:
        raise NoPersonError(f"the video has no frames: {info.source}")
    # On the frames' own timestamps: a dropped frame leaves a gap instead of shortening the swing.
    sequence = PoseSequence.from_timed_frames(
        frames, np.array(times), info.width, info.height, backend.has_world
    )
    return sequence, info


def _looks_like_one_swing(sequence: PoseSequence) -> bool:
    """A pre-cut clip: the hands rise above the shoulders, come down and rise again."""
    settings = DetectorSettings()
    height = smooth(hand_height(normalize(interpolate_gaps(sequence.keypoints))), sequence.fps, 0.05)
    try:
        events = RuleEventDetector().detect(sequence)
    except NoSwingError:
        return False
    return bool(
        height[events["top"]] > settings.top_height
        and height[events["impact"]] < settings.impact_height
        and height[events["impact"] :].max() > settings.follow_height
    )


@dataclass(frozen=True)
class SwingCut:
    """One swing cut out of a longer sequence. `events_from`: the row the event model's window starts
    at, the takeaway minus the live pre-roll (2 s), so the model sees what it sees on the device and
    in the browser; the rows before it give the timing its still address (docs/metrics.md)."""

    sequence: PoseSequence
    events_from: int = 0


def swing_cuts(sequence: PoseSequence, settings: DetectorSettings = FILE_CUTS) -> list[SwingCut]:
    """Cut every swing out of a pose sequence (a clip holding just one swing is taken whole)."""
    valid = sequence.valid
    if valid.sum() < MIN_PERSON_FRAMES:
        raise NoPersonError(
            f"no person found in the video (seen in {int(valid.sum())} of {len(sequence)} frames)"
        )
    # The cut's pre-roll may reach before the sequence's first frame: it starts there instead.
    indices = sequence.frame_indices
    live_pre_roll = round(LIVE_CUTS.pre_roll_s * sequence.fps)
    cuts = []
    for found in find_swings(sequence, settings):
        first, last = (int(np.searchsorted(indices, frame)) for frame in (found.start, found.end))
        events_from = int(np.searchsorted(indices, found.takeaway - live_pre_roll))
        cuts.append(SwingCut(sequence.slice(first, last + 1), max(0, events_from - first)))
    if cuts:
        return cuts
    if _looks_like_one_swing(sequence):
        return [SwingCut(sequence)]
    raise NoSwingError(
        f"no golf swing found (a person was seen in {100 * valid.mean():.0f}% of frames, "
        "but never went from address through top, impact and follow-through)"
    )


def swing_sequences(sequence: PoseSequence, settings: DetectorSettings = FILE_CUTS) -> list[PoseSequence]:
    return [cut.sequence for cut in swing_cuts(sequence, settings)]


def analyze_poses(
    sequence: PoseSequence,
    detector: EventDetector,
    handedness: Handedness | None = None,
    club: Club = DEFAULT_CLUB,
) -> list[SwingAnalysis]:
    return [
        analyze_swing(
            cut.sequence, detector, index=i, handedness=handedness, events_from=cut.events_from, club=club
        )
        for i, cut in enumerate(swing_cuts(sequence))
    ]


def model_versions(pose: str | None, detector: EventDetector) -> ModelVersions:
    """What analysed a swing: recorded with it on every path."""
    return ModelVersions(
        pose=pose, events=detector.version, lift=shipped_lifter().version, analysis=ANALYSIS_VERSION
    )


def analyze_video(
    source: str | Path | FrameSource,
    backend: PoseBackend,
    detector: EventDetector,
    handedness: Handedness | None = None,
    on_frame: FrameCallback | None = None,
    club: Club = DEFAULT_CLUB,
) -> tuple[PoseSequence, VideoInfo, list[SwingAnalysis]]:
    """Video -> poses -> every swing analysed: the CLI and the server's clip job both run this."""
    sequence, info = extract_poses(source, backend, on_frame)
    return sequence, info, analyze_poses(sequence, detector, handedness, club)
