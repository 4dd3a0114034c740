"""The core pipeline: video -> poses -> swings -> analyses. The CLI, the server worker and the
benchmarks all call these functions, so every path runs the same code."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from swingcoach.analysis.ballflight import DEFAULT_CLUB
from swingcoach.analysis.body import shipped_lifter
from swingcoach.analysis.swing import ANALYSIS_VERSION, SwingAnalysis, analyze_swing
from swingcoach.errors import NoPersonError, NoSwingError
from swingcoach.pose.base import MAX_GRID_ROWS, PoseBackend, PoseFrame, PoseSequence, grid_step
from swingcoach.pose.skeleton import K
from swingcoach.pose.spool import PoseSpool
from swingcoach.schemas import Club, Handedness, ModelVersions
from swingcoach.swing.detect import DetectorSettings, SwingDetector, SwingSegment, find_swings
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
# A video up to this long is analysed whole, as before streaming existed; a longer one is cut and
# analysed swing by swing as it is decoded, its grid's step taken from this first stretch.
WHOLE_VIDEO_S = 60.0


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


TURNS = (0, 90, 180, 270)
# The orientation probe: poses on frames spread over the video's first stretch.
PROBE_S = 30.0
PROBE_FRAMES = 40


def is_upright(keypoints: np.ndarray) -> bool:
    """The torso (hip centre -> shoulder centre) points up, within 45 degrees."""
    hips = keypoints[[K.L_HIP, K.R_HIP], :2].mean(axis=0)
    shoulders = keypoints[[K.L_SHOULDER, K.R_SHOULDER], :2].mean(axis=0)
    dx, dy = shoulders - hips
    return bool(-dy > abs(dx))  # image y grows downwards; NaN compares False


def upright_poses(video: FrameSource, backend: PoseBackend) -> int:
    """On how many of up to PROBE_FRAMES frames of the first PROBE_S seconds a person stands upright."""
    every = max(1, round(video.info.fps * PROBE_S / PROBE_FRAMES))
    upright = 0
    with video:
        for frame in video:
            if frame.time_s > PROBE_S:
                break
            if frame.index % every == 0:
                backend.reset()  # frames far apart: nothing to follow from one to the next
                pose = backend(frame.image, frame.time_s)
                upright += pose is not None and is_upright(pose.keypoints)
    return upright


def upright_turn(open_turned: Callable[[int], FrameSource], backend: PoseBackend) -> int | None:
    """For a video where no swing was found the file's way up: the clockwise turn that shows an
    upright person clearly more often, if one does."""
    counts = {turn: upright_poses(open_turned(turn), backend) for turn in TURNS}
    best = max(counts, key=lambda turn: counts[turn])
    return best if best != 0 and counts[best] > max(2 * counts[0], 3) else None


class StreamGrid:
    """`time_grid` for stamps that come one at a time, with its step fixed in advance: each slot
    takes the nearest stamp within half a step (ties to the later one), or none."""

    def __init__(self, start_s: float, step_s: float) -> None:
        self.start_s, self.step_s = start_s, step_s
        self.row = 0
        self._previous: tuple[float, PoseFrame | None] | None = None

    def _slot_s(self) -> float:
        return self.start_s + self.row * self.step_s

    def _take(self, stamp: tuple[float, PoseFrame | None]) -> PoseFrame | None:
        return stamp[1] if abs(stamp[0] - self._slot_s()) <= self.step_s / 2 else None

    def push(self, time_s: float, frame: PoseFrame | None) -> Iterator[PoseFrame | None]:
        """The slots up to `time_s` (the pose in each, or None)."""
        while self._slot_s() <= time_s + 1e-9 and self.row < MAX_GRID_ROWS:
            slot = self._slot_s()
            before = self._previous or (time_s, frame)
            nearest = before if abs(before[0] - slot) < abs(time_s - slot) else (time_s, frame)
            yield self._take(nearest)
            self.row += 1
        self._previous = (time_s, frame)


class SessionStream:
    """Video -> swings analysed as they close, with memory bounded by the swing, not the session.

    A video up to WHOLE_VIDEO_S is analysed whole (`analyze_poses`, as every other path does). A
    longer one goes through the same swing finder one pose at a time: only the poses a swing still
    being cut can reach are kept, each swing is analysed when its cut closes, and every pose goes to
    `spool` (on disk) for the report. On a constant frame rate both give the same cuts and analyses.
    """

    def __init__(
        self,
        source: FrameSource,
        backend: PoseBackend,
        detector: EventDetector,
        spool: PoseSpool,
        handedness: Handedness | None = None,
        club: Club = DEFAULT_CLUB,
        on_frame: FrameCallback | None = None,
    ) -> None:
        self.source, self.backend, self.detector, self.spool = source, backend, detector, spool
        self.handedness, self.club, self.on_frame = handedness, club, on_frame
        self.info = source.info
        self.fps = self.info.fps

    def __iter__(self) -> Iterator[SwingAnalysis]:
        self.backend.reset()
        frames: list[PoseFrame | None] = []
        times: list[float] = []
        with self.source:
            decoded = iter(self.source)
            for frame in decoded:
                frames.append(self.backend(frame.image, frame.time_s))
                times.append(frame.time_s)
                self._tick(frame.index)
                if frame.time_s - times[0] > WHOLE_VIDEO_S:
                    yield from self._stream(frames, times, decoded)
                    return
        if not frames:
            raise NoPersonError(f"the video has no frames: {self.info.source}")
        sequence = PoseSequence.from_timed_frames(
            frames, np.array(times), self.info.width, self.info.height, self.backend.has_world
        )
        self.fps = sequence.fps
        self.spool.append(sequence.keypoints, sequence.world)
        yield from analyze_poses(sequence, self.detector, self.handedness, self.club)

    def _tick(self, index: int) -> None:
        if self.on_frame is not None:
            self.on_frame(index)

    def _stream(
        self, frames: list[PoseFrame | None], times: list[float], decoded: Iterator
    ) -> Iterator[SwingAnalysis]:
        step = grid_step(times)
        self.fps = 1 / step
        grid = StreamGrid(times[0], step)
        cuts = _StreamCuts(self, grid)
        for time_s, pose in zip(times, frames, strict=True):
            yield from cuts.push(time_s, pose)
        for frame in decoded:
            yield from cuts.push(frame.time_s, self.backend(frame.image, frame.time_s))
            self._tick(frame.index)
        yield from cuts.close()


class _StreamCuts:
    """The rolling window of grid rows a swing cut can still reach, the swing finder over it, and
    each cut analysed as it closes."""

    def __init__(self, stream: SessionStream, grid: StreamGrid) -> None:
        self.stream, self.grid = stream, grid
        self.fps = stream.fps
        self.finder = SwingDetector(FILE_CUTS)
        self.first_row = 0  # the grid row of the window's first entry
        self.keypoints: list[np.ndarray] = []
        self.world: list[np.ndarray] | None = [] if stream.backend.has_world else None
        self.valid = 0
        self.count = 0

    def push(self, time_s: float, pose: PoseFrame | None) -> Iterator[SwingAnalysis]:
        for slot in self.grid.push(time_s, pose):
            row = self.first_row + len(self.keypoints)
            keypoints = np.full((17, 3), np.nan, np.float32) if slot is None else slot.keypoints
            self.keypoints.append(np.asarray(keypoints, dtype=np.float32))
            if self.world is not None:
                world = None if slot is None else slot.world
                self.world.append(np.full((17, 3), np.nan, np.float32) if world is None else world)
            seen = slot is not None and not np.isnan(slot.keypoints[:, 0]).all()
            self.valid += seen
            segment = self.finder.update(row, row / self.fps, keypoints if seen else None)
            if segment is not None:
                yield self._analyze(segment)
            self._trim(row)

    def _trim(self, row: int) -> None:
        """Spill the rows no cut can reach any more to the spool (a second's margin)."""
        keep_from = math.floor(self.finder.earliest_cut_s(row / self.fps) * self.fps) - math.ceil(self.fps)
        self._spill(min(max(0, keep_from - self.first_row), len(self.keypoints)))

    def _spill(self, rows: int) -> None:
        if not rows:
            return
        world = None if self.world is None else np.array(self.world[:rows])
        self.stream.spool.append(np.array(self.keypoints[:rows]), world)
        del self.keypoints[:rows]
        if self.world is not None:
            del self.world[:rows]
        self.first_row += rows

    def _analyze(self, segment: SwingSegment) -> SwingAnalysis:
        first, last = segment.start - self.first_row, segment.end - self.first_row
        if first < 0:
            raise AssertionError(f"swing cut from row {segment.start} reaches before the window")
        window = slice(first, last + 1)
        cut = PoseSequence(
            keypoints=np.array(self.keypoints[window]),
            fps=self.fps,
            width=self.stream.info.width,
            height=self.stream.info.height,
            world=None if self.world is None else np.array(self.world[window]),
            frame_indices=np.arange(segment.start, segment.end + 1),
        )
        live_pre_roll = round(LIVE_CUTS.pre_roll_s * self.fps)
        events_from = min(max(0, segment.takeaway - live_pre_roll - segment.start), len(cut))
        analysis = analyze_swing(
            cut,
            self.stream.detector,
            index=self.count,
            handedness=self.stream.handedness,
            events_from=events_from,
            club=self.stream.club,
        )
        self.count += 1
        return analysis

    def close(self) -> Iterator[SwingAnalysis]:
        rows = self.first_row + len(self.keypoints)
        if rows and (segment := self.finder.flush(rows - 1, (rows - 1) / self.fps)) is not None:
            yield self._analyze(segment)
        self._spill(len(self.keypoints))
        if self.valid < MIN_PERSON_FRAMES:
            raise NoPersonError(f"no person found in the video (seen in {self.valid} of {rows} frames)")
        if not self.count:
            raise NoSwingError(
                f"no golf swing found (a person was seen in {100 * self.valid / max(rows, 1):.0f}% of "
                "frames, but never went from address through top, impact and follow-through)"
            )
