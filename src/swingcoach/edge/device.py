"""The device loop: frames in; pose at an adaptive rate; the streaming swing finder; each swing cut
from a ring buffer, saved to the library with its keypoints, thumbnail and on-device events, and
queued for upload; a live view and telemetry on the side.

One thread runs capture, pose and the swing finder (they must see frames in order); clip encoding
and saving run on background threads so the camera is never kept waiting.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import cv2
import numpy as np

from swingcoach.analysis.swing import analyze_swing
from swingcoach.edge.clips import Captured, ClipRecorder, FrameRing, RecordedClip, fit_frame
from swingcoach.edge.library import CLIP, KEYPOINTS, THUMBNAIL, Library, SwingEntry
from swingcoach.edge.liveview import LiveView, RateMeter, draw_overlay, guidance, guidance_box, in_box
from swingcoach.edge.outbox import Kind
from swingcoach.edge.pacing import LagMeter
from swingcoach.edge.rate import AdaptiveRate
from swingcoach.edge.settings import EdgeSettings
from swingcoach.edge.telemetry import Telemetry
from swingcoach.errors import NoSwingError
from swingcoach.pose.base import PoseBackend, PoseSequence
from swingcoach.pose.skeleton import NUM_KEYPOINTS
from swingcoach.schemas import EventFrames, ModelVersions, SwingPayload
from swingcoach.swing.detect import DetectorSettings, State, SwingDetector, SwingSegment
from swingcoach.swing.events import EventDetector, create_event_detector
from swingcoach.video.source import Frame, VideoInfo, open_source

log = logging.getLogger(__name__)
SAVED_MESSAGE_S = 2.5  # how long the live view says "swing saved"
THUMBNAIL_SIDE = 320


@dataclass
class RunStats:
    frames: int = 0
    posed: int = 0
    late: int = 0  # frames that were due a pose but arrived too late for one (real-time only)
    swings: list[SwingEntry] = field(default_factory=list)
    failed_saves: int = 0
    interrupted: bool = False


@dataclass
class _Recording:
    recorder: ClipRecorder
    swing_id: UUID
    recorded_at: datetime
    scale: float  # clip pixels per source pixel


@dataclass
class _Run:
    """The state of one `Device.run`."""

    detector: SwingDetector
    rate: AdaptiveRate
    ring: FrameRing
    saver: ThreadPoolExecutor
    info: VideoInfo
    state: State = State.IDLE
    keypoints: np.ndarray | None = None  # the latest pose (frames between poses show it)
    recording: _Recording | None = None
    camera_rate: RateMeter = field(default_factory=RateMeter)
    pose_rate: RateMeter = field(default_factory=RateMeter)


class Device:
    def __init__(
        self,
        backend: PoseBackend,
        library: Library,
        settings: EdgeSettings,
        *,
        event_detector: EventDetector | None = None,
        detector_settings: DetectorSettings | None = None,
        live_view: LiveView | None = None,
        telemetry: Telemetry | None = None,
        on_saved: Callable[[SwingEntry], None] | None = None,
    ) -> None:
        self.backend = backend
        self.library = library
        self.settings = settings
        self.event_detector = event_detector or create_event_detector()
        self.detector_settings = detector_settings or DetectorSettings()
        self.live_view = live_view
        self.telemetry = telemetry
        self.on_saved = on_saved
        self._saved_at = -np.inf
        self._stats = RunStats()

    def run(
        self,
        frames: Iterable[Frame],
        info: VideoInfo,
        realtime: bool,
        stop: threading.Event | None = None,
    ) -> RunStats:
        """Process the stream until it ends, `stop` is set or Ctrl-C; returns once every found
        swing is saved. `realtime`: frames arrive at camera pace and stale ones get no pose."""
        self._stats = stats = RunStats()
        self.backend.reset()
        self.library.sweep()
        run = _Run(
            detector=SwingDetector(self.detector_settings),
            rate=AdaptiveRate(
                info.fps,
                self.settings.empty_fps,
                self.settings.idle_fps,
                self.settings.full_fps,
                self.settings.adaptive,
            ),
            ring=FrameRing(self.settings.ring_s),
            saver=ThreadPoolExecutor(max_workers=1, thread_name_prefix="saver"),
            info=info,
        )
        lag = LagMeter()
        last = None
        try:
            for frame in frames:
                if stop is not None and stop.is_set():
                    break
                last = frame
                stats.frames += 1
                now = time.monotonic()
                run.camera_rate.tick(now)
                segment = posed = None
                behind_s = lag.lag(frame.time_s) if realtime else 0.0
                if run.rate.due(frame.time_s, run.detector.state, run.keypoints is not None):
                    if behind_s > 1.0 / info.fps:
                        stats.late += 1  # a camera would have dropped it: no pose, but it goes in the clip
                    else:
                        posed, segment = self._pose(run, frame, now)
                captured = Captured(
                    frame.index, frame.time_s, fit_frame(frame.image, self.settings.clip_max_side), posed
                )
                run.ring.append(captured)
                self._follow(run, segment, captured)
                if run.detector.state != run.state:
                    run.state = run.detector.state
                    if self.telemetry is not None:
                        self.telemetry.state(run.state.value)
                if self.live_view is not None and self.live_view.watched:
                    self._show(self.live_view, run, captured, frame.image.shape[1], now)
        except KeyboardInterrupt:
            stats.interrupted = True
        finally:
            if run.recording is not None and last is not None:
                segment = run.detector.flush(last.index, last.time_s)
                if segment is not None:
                    self._finish(run, segment)
                else:
                    self._drop(run)
            run.saver.shutdown(wait=True)
        return stats

    def _pose(self, run: _Run, frame: Frame, now: float) -> tuple[np.ndarray | None, SwingSegment | None]:
        run.rate.posed(frame.time_s)
        run.pose_rate.tick(now)
        self._stats.posed += 1
        pose = self.backend(frame.image, frame.time_s)
        run.keypoints = None if pose is None else pose.keypoints
        return run.keypoints, run.detector.update(frame.index, frame.time_s, run.keypoints)

    def _show(self, view: LiveView, run: _Run, captured: Captured, source_width: int, now: float) -> None:
        scale = captured.image.shape[1] / source_width
        box = guidance_box(run.info.width, run.info.height)
        keypoints = run.keypoints
        advice = guidance(
            run.state,
            keypoints,
            keypoints is not None and in_box(keypoints, box),
            time.monotonic() - self._saved_at < SAVED_MESSAGE_S,
        )
        view.publish(
            draw_overlay(
                captured.image,
                None if keypoints is None else keypoints * np.array([scale, scale, 1.0], dtype=np.float32),
                (round(box[0] * scale), round(box[1] * scale), round(box[2] * scale), round(box[3] * scale)),
                advice,
                run.camera_rate.rate(now),
                run.pose_rate.rate(now),
            )
        )

    def _follow(self, run: _Run, segment: SwingSegment | None, captured: Captured) -> None:
        """Start a clip at the takeaway (with the pre-roll from the ring), extend it while the swing
        goes on, save it at the end, drop it if the swing finder gives up (a waggle, a half swing)."""
        start_s = segment.start_time_s if segment is not None else run.detector.swing_start_s
        if start_s is None:
            if run.recording is not None:
                self._drop(run)
            return
        if run.recording is None:
            swing_id = uuid4()
            height, width = captured.image.shape[:2]
            recorder = ClipRecorder(self.library.staging(swing_id), run.info.fps, width, height)
            for item in run.ring.since(start_s):
                recorder.add(item)
            run.recording = _Recording(recorder, swing_id, datetime.now(UTC), width / run.info.width)
        else:
            run.recording.recorder.add(captured)
        if segment is not None:
            self._finish(run, segment)

    def _finish(self, run: _Run, segment: SwingSegment) -> None:
        assert run.recording is not None
        run.recording.recorder.close()
        run.saver.submit(self._save, run.recording, segment, run.info)
        run.recording = None

    def _drop(self, run: _Run) -> None:
        assert run.recording is not None
        run.recording.recorder.discard()
        run.saver.submit(run.recording.recorder.wait)  # the run ends only once its folder is gone
        run.recording = None

    def _save(self, recording: _Recording, segment: SwingSegment, info: VideoInfo) -> None:
        """On the saver thread: keypoints, on-device events, thumbnail, payload; then index and queue."""
        try:
            clip = recording.recorder.result()
            entry, uploads = self._assemble(recording, clip, segment, info)
            self.library.add(entry, uploads)
        except Exception:  # a full disk must not stop the camera: the loop goes on, the error is shown
            self._stats.failed_saves += 1
            log.exception("could not save swing %s", recording.swing_id)
            return
        self._stats.swings.append(entry)
        self._saved_at = time.monotonic()
        if self.telemetry is not None:
            self.telemetry.swing_saved(entry)
        if self.on_saved is not None:
            self.on_saved(entry)

    def _assemble(
        self, recording: _Recording, clip: RecordedClip, segment: SwingSegment, info: VideoInfo
    ) -> tuple[SwingEntry, list[tuple[Kind, str | None, str | None]]]:
        folder = clip.path.parent
        missing = np.full((NUM_KEYPOINTS, 3), np.nan, dtype=np.float32)
        scale = np.array([recording.scale, recording.scale, 1.0], dtype=np.float32)
        # Keypoints in clip pixels, one row per clip frame (NaN where no pose was run or nobody found).
        sequence = PoseSequence(
            keypoints=np.stack([missing if k is None else k * scale for k in clip.keypoints]),
            fps=info.fps,
            width=round(info.width * recording.scale),
            height=round(info.height * recording.scale),
            frame_indices=np.array(clip.indices),
        )
        sequence.save(folder / KEYPOINTS)
        first = clip.indices[0]
        events = handedness = view = None
        try:
            analysis = analyze_swing(sequence, self.event_detector)
            events, handedness, view = (
                analysis.events,
                analysis.orientation.handedness,
                analysis.orientation.view,
            )
        except NoSwingError as error:
            log.info("no on-device events for swing %s: %s", recording.swing_id, error)
        except Exception:  # the events are extra: a failing detector must not cost the swing itself
            log.exception("on-device events failed for swing %s", recording.swing_id)
        thumbnail_row = events["top"] if events is not None else max(0, segment.top - first)
        write_thumbnail(folder / CLIP, thumbnail_row, folder / THUMBNAIL)
        models = ModelVersions(pose=self.backend.version, events=self.event_detector.version)
        entry = SwingEntry(
            id=recording.swing_id,
            recorded_at=recording.recorded_at,
            source=info.source,
            fps=info.fps,
            width=sequence.width,
            height=sequence.height,
            first_frame=first,
            frames=len(sequence),
            start_time_s=clip.times[0],
            takeaway_frame=segment.takeaway,
            top_frame=segment.top,
            impact_frame=segment.impact,
            finish_frame=segment.finish,
            handedness=handedness,
            view=view,
            events=None if events is None else EventFrames.from_events(events.shifted(first)),
            models=models,
        )
        if self.settings.upload == "video":
            return entry, [("clip", str(self.library.folder(recording.swing_id) / CLIP), None)]
        try:
            payload = SwingPayload.from_sequence(
                recording.swing_id,
                sequence,
                recorded_at=recording.recorded_at,
                handedness=handedness,
                view=view,
                events=None if events is None else EventFrames.from_events(events),
                device=self.settings.device,
                models=models,
            )
        except ValueError as error:  # e.g. longer than a payload may be: kept locally, shown as failed
            return entry, [("payload", None, f"not sendable: {error}")]
        return entry, [("payload", payload.model_dump_json(), None)]


def write_thumbnail(clip: Path, row: int, path: Path) -> None:
    """The clip's frame `row`, small, as a JPEG (decoded back from the clip: frames are not kept)."""
    with open_source(clip) as video:
        for frame in video:
            if frame.index >= row:
                cv2.imwrite(str(path), fit_frame(frame.image, THUMBNAIL_SIDE))
                return
