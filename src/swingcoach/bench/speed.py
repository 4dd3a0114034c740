"""Speed of the pipeline's five stages on real frames, per pose backend and device profile.

Stages (DESIGN.md), each timed inside the code `swingcoach analyze` runs:
1. decode + preprocess: the frame source's next frame (FFmpeg decode, BGR conversion, rotation),
   timed as the gaps between pose calls inside `pipeline.extract_poses`;
2. person detection / ROI: the BlazePose person detector and the choice of the golfer
   (`TopDownPoseBackend.detect_roi`); the tracker runs it on the first frame and whenever it loses
   the golfer, so per frame it costs its time x how often it runs;
3. 2D pose: the rest of the backend call (ROI crop, pose network, keypoint decoding, next ROI,
   smoothing), and how much of it the pose network alone takes;
4. 3D lift: `Lifter.lift` (what the analysis measures with), the shipped lifter (its int8 version
   for int8 profiles) over the clip's pose sequence;
5. events / phases: the swing cut (`pipeline.swing_sequences`) and the learned event detector
   (int8 for int8 profiles) on each cut swing.

A configuration is a pose backend (model, precision, runtime) on a device profile (threads, input
resolution). Each configuration runs in a fresh process pinned to as many cores as it has threads
(a 1-thread profile is a 1-core device), so peak memory (max RSS) is its own, and the thread pools
of one runtime never serve another. Warm-up frames and the first lift / event call of each clip are
not timed. Configurations take turns round by round, so load from other processes on the machine
falls on all of them alike.

Per stage: mean milliseconds per frame (the stages add up to the end-to-end time), and the median
and 95th percentile of its single runs (per frame for stages 1 and 3, per detector run for 2, per
clip for 4 and 5). End to end per frame: a frame's own stages 1-3 plus its share of its clip's
stages 4-5; frames per second = frames / total time. The bottleneck is the stage with the largest
time per frame.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np

from swingcoach.bench.machine import load_average, peak_rss_mb
from swingcoach.errors import NoPersonError, NoSwingError
from swingcoach.pose.base import PoseFrame, PoseSequence
from swingcoach.pose.lift import Lifter
from swingcoach.pose.tracking import TopDownPoseBackend
from swingcoach.swing.events import EventDetector
from swingcoach.video import open_source
from swingcoach.video.writer import VideoWriter

STAGES = ("decode", "detect", "pose2d", "lift", "events")
STAGE_LABELS = {
    "decode": "(1) decode + preprocess",
    "detect": "(2) person detection / ROI",
    "pose2d": "(3) 2D pose",
    "lift": "(4) 3D lift",
    "events": "(5) events / phases",
}
RUNTIMES = {"tflite": "LiteRT", "onnx": "onnxruntime"}
# Input resolution profiles: the clip as recorded, or re-encoded with this long side (720p).
RESOLUTIONS: dict[str, int | None] = {"native": None, "720p": 1280}
DEMO_VIDEO = Path(__file__).resolve().parents[3] / "examples" / "golfdb_demo.mp4"
PHONE_CLIP = "phone_swings/swing1.mp4"  # 30 fps portrait phone video, real time (the demo is slow motion)
REFERENCE_BACKEND = "blazepose-full"
Result = TypeVar("Result")


@dataclass(frozen=True)
class Backend:
    """A pose model as deployed: family (blazepose-lite, blazepose-full, student), weight precision,
    file format (tflite runs on LiteRT, onnx on onnxruntime)."""

    family: str
    precision: str
    format: str

    @property
    def runtime(self) -> str:
        return RUNTIMES[self.format]

    @property
    def name(self) -> str:
        return f"{self.family} {self.precision} {self.runtime}"

    @property
    def int8(self) -> bool:
        return self.precision == "int8"

    def create(self, threads: int) -> TopDownPoseBackend:
        from swingcoach.pose.blazepose import BlazePoseBackend
        from swingcoach.pose.student import StudentBackend

        if self.family.startswith("blazepose-"):
            return BlazePoseBackend(self.family.removeprefix("blazepose-"), threads=threads)
        return StudentBackend(self.precision, self.format, threads=threads)


BACKENDS = (
    Backend("blazepose-lite", "fp16", "tflite"),
    Backend("blazepose-full", "fp16", "tflite"),
    Backend("student", "fp32", "onnx"),
    Backend("student", "int8", "onnx"),
    Backend("student", "fp32", "tflite"),
    Backend("student", "int8", "tflite"),
)


@dataclass(frozen=True)
class SpeedConfig:
    backend: Backend
    threads: int
    resolution: str

    @property
    def profile(self) -> str:
        return f"{self.threads} thread{'s' if self.threads > 1 else ''}, {self.resolution}"

    @property
    def name(self) -> str:
        return f"{self.backend.name}, {self.profile}"


@dataclass(frozen=True)
class SpeedPlan:
    rounds: int  # passes over the clips per configuration, interleaved with the other configurations
    threads: tuple[int, ...]
    resolutions: tuple[str, ...]
    warmup_frames: int
    sequence_repeats: int  # timed lift / event calls per clip and round (after one untimed)

    def configs(self, backends: tuple[Backend, ...] = BACKENDS) -> list[SpeedConfig]:
        return [
            SpeedConfig(backend, threads, resolution)
            for resolution in self.resolutions
            for threads in self.threads
            for backend in backends
        ]


FULL = SpeedPlan(
    rounds=2, threads=(1, 2), resolutions=("native", "720p"), warmup_frames=10, sequence_repeats=4
)
QUICK = SpeedPlan(rounds=1, threads=(1,), resolutions=("native",), warmup_frames=5, sequence_repeats=2)


# ---------------------------------------------------------------------------------------------
# One configuration, in its own process
# ---------------------------------------------------------------------------------------------


class TimedBackend:
    """A pose backend whose calls are timed, and inside each call its person detector (stage 2) and
    its pose network (the part of stage 3 that is the model itself)."""

    def __init__(self, backend: TopDownPoseBackend) -> None:
        self.backend = backend
        self.name, self.version, self.has_world = backend.name, backend.version, backend.has_world
        # start, end, seconds in the detector, seconds in the pose network
        self.calls: list[tuple[float, float, float, float]] = []
        self.detector_runs: list[float] = []
        self._in_detector = self._in_network = 0.0
        detect_roi = backend.detect_roi
        network = backend.session.run  # type: ignore[attr-defined]

        def timed_detect_roi(image_bgr: np.ndarray) -> object:
            started = time.perf_counter()
            try:
                return detect_roi(image_bgr)
            finally:
                seconds = time.perf_counter() - started
                self._in_detector += seconds
                self.detector_runs.append(seconds)

        def timed_network(x: np.ndarray) -> list[np.ndarray]:
            started = time.perf_counter()
            try:
                return network(x)
            finally:
                self._in_network += time.perf_counter() - started

        # Methods are looked up on the instance, so these shadow them for every call the backend makes.
        backend.detect_roi = timed_detect_roi  # type: ignore[method-assign,assignment]
        backend.session.run = timed_network  # type: ignore[attr-defined]

    def reset(self) -> None:
        self.backend.reset()

    def __call__(self, image_bgr: np.ndarray, time_s: float) -> PoseFrame | None:
        self._in_detector = self._in_network = 0.0
        started = time.perf_counter()
        frame = self.backend(image_bgr, time_s)
        self.calls.append((started, time.perf_counter(), self._in_detector, self._in_network))
        return frame


@dataclass
class ClipRun:
    """Raw timings (seconds) of one pass over one clip."""

    clip: str
    frames: int
    decode: list[float]
    detect: list[float]  # per frame (0 where the tracker needed no detection)
    pose2d: list[float]
    pose_network: list[float]  # the part of pose2d spent in the pose network
    detector_runs: list[float]
    lift: list[float]  # per call over the whole clip
    events: list[float]
    swings: int
    keypoints: np.ndarray  # (T, 17, 3), for the agreement between backends


@dataclass
class ConfigRun:
    config: SpeedConfig
    clips: list[ClipRun]
    peak_rss_mb: float
    baseline_rss_mb: float  # after imports, before any model is loaded
    load_average: list[float] | None
    cores: int
    models: dict[str, str]


def pin_to_cores(count: int) -> int:
    """Restrict this process (and the threads it starts) to `count` cores; returns the cores it has."""
    if not hasattr(os, "sched_setaffinity"):
        return os.cpu_count() or 1
    cores = sorted(os.sched_getaffinity(0))[:count]
    os.sched_setaffinity(0, cores)
    return len(cores)


def find_events(sequence: PoseSequence, detector: EventDetector) -> int:
    """Stage 5 as `analyze` runs it: cut the swings, then the events of each; the swings found."""
    from swingcoach.pipeline import swing_sequences

    try:
        pieces = swing_sequences(sequence)
        for piece in pieces:
            detector.detect(piece)
    except (NoPersonError, NoSwingError):
        return 0
    return len(pieces)


def timed_calls(function: Callable[[], Result], repeats: int) -> tuple[list[float], Result]:
    """One untimed warm-up call, then `repeats` timed ones; their seconds and the last result."""
    result = function()
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - started)
    return seconds, result


def run_clip(
    path: Path, backend: TimedBackend, lifter: Lifter, detector: EventDetector, repeats: int
) -> ClipRun:
    from swingcoach.pipeline import extract_poses

    backend.calls.clear()
    backend.detector_runs.clear()
    started = time.perf_counter()
    sequence, _ = extract_poses(path, backend)
    calls = np.array(backend.calls)
    previous_end = np.concatenate([[started], calls[:-1, 1]])
    decode = calls[:, 0] - previous_end  # container opening falls on the first frame
    lift, _ = timed_calls(lambda: lifter.lift(sequence), repeats)
    events, swings = timed_calls(lambda: find_events(sequence, detector), repeats)
    return ClipRun(
        clip=path.name,
        frames=len(sequence),
        decode=decode.tolist(),
        detect=calls[:, 2].tolist(),
        pose2d=(calls[:, 1] - calls[:, 0] - calls[:, 2]).tolist(),
        pose_network=calls[:, 3].tolist(),
        detector_runs=list(backend.detector_runs),
        lift=lift,
        events=events,
        swings=swings,
        keypoints=sequence.keypoints,
    )


def run_config(config: SpeedConfig, clips: list[Path], plan: SpeedPlan) -> ConfigRun:
    """One pass of one configuration over the clips (meant to run in a fresh process)."""
    from swingcoach.swing.events.model import DEFAULT_MODEL, INT8_MODEL, LearnedEventDetector

    cores = pin_to_cores(config.threads)
    baseline = peak_rss_mb()
    load = load_average()
    backend = TimedBackend(config.backend.create(config.threads))
    lifter = Lifter.shipped("lifter-int8" if config.backend.int8 else "lifter", threads=config.threads)
    detector = LearnedEventDetector(INT8_MODEL if config.backend.int8 else DEFAULT_MODEL, config.threads)
    with open_source(clips[0]) as source:
        for frame in source:
            if frame.index >= plan.warmup_frames:
                break
            backend(frame.image, frame.time_s)
    runs = [run_clip(path, backend, lifter, detector, plan.sequence_repeats) for path in clips]
    return ConfigRun(
        config=config,
        clips=runs,
        peak_rss_mb=peak_rss_mb(),
        baseline_rss_mb=baseline,
        load_average=load,
        cores=cores,
        models={"pose": backend.version, "lift": lifter.version, "events": detector.version},
    )


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------


@dataclass
class StageFigures:
    per_frame_ms: float  # mean time per frame; the stages add up to the end-to-end time
    median_ms: float | None  # of single runs (None: it never ran)
    p95_ms: float | None
    runs: int

    @classmethod
    def of(cls, runs_s: list[float], total_s: float, frames: int) -> StageFigures:
        runs_ms = 1000 * np.asarray(runs_s)
        return cls(
            per_frame_ms=float(1000 * total_s / frames),
            median_ms=float(np.median(runs_ms)) if len(runs_ms) else None,
            p95_ms=float(np.percentile(runs_ms, 95)) if len(runs_ms) else None,
            runs=len(runs_ms),
        )


@dataclass
class ConfigFigures:
    name: str
    backend: str
    profile: str
    family: str
    precision: str
    runtime: str
    threads: int
    resolution: str
    frames: int
    stages: dict[str, StageFigures]
    latency_median_ms: float
    latency_p95_ms: float
    fps: float
    bottleneck: str
    peak_rss_mb: float
    baseline_rss_mb: float
    detector_share: float  # fraction of frames on which the person detector ran
    pose_network_share: float  # fraction of stage 3 spent in the pose network (the rest: crop, decoding, ...)
    swings_found: dict[str, int]  # per clip
    models: dict[str, str]
    load_average: list[float] | None
    cores: int
    agreement: float | None = None  # PCK@0.2 against BlazePose full on the same frames


def figures(runs: list[ConfigRun]) -> ConfigFigures:
    """The figures of one configuration from its runs (one per round)."""
    clips = [clip for run in runs for clip in run.clips]
    frames = sum(c.frames for c in clips)
    per_frame = {s: np.concatenate([getattr(c, s) for c in clips]) for s in ("decode", "detect", "pose2d")}
    # Stages 4 and 5 run once per clip: each timed call's mean is that clip's cost.
    per_clip = {s: [float(np.mean(getattr(c, s))) for c in clips] for s in ("lift", "events")}
    stages = {
        "decode": StageFigures.of(per_frame["decode"].tolist(), per_frame["decode"].sum(), frames),
        "detect": StageFigures.of(
            [t for c in clips for t in c.detector_runs], per_frame["detect"].sum(), frames
        ),
        "pose2d": StageFigures.of(per_frame["pose2d"].tolist(), per_frame["pose2d"].sum(), frames),
        "lift": StageFigures.of([t for c in clips for t in c.lift], sum(per_clip["lift"]), frames),
        "events": StageFigures.of([t for c in clips for t in c.events], sum(per_clip["events"]), frames),
    }
    share = np.concatenate(
        [
            np.full(c.frames, (lift + events) / c.frames)
            for c, lift, events in zip(clips, per_clip["lift"], per_clip["events"], strict=True)
        ]
    )
    end_to_end_ms = 1000 * (per_frame["decode"] + per_frame["detect"] + per_frame["pose2d"] + share)
    total_ms = sum(s.per_frame_ms for s in stages.values())
    config = runs[0].config
    return ConfigFigures(
        name=config.name,
        backend=config.backend.name,
        profile=config.profile,
        family=config.backend.family,
        precision=config.backend.precision,
        runtime=config.backend.runtime,
        threads=config.threads,
        resolution=config.resolution,
        frames=frames,
        stages=stages,
        latency_median_ms=float(np.median(end_to_end_ms)),
        latency_p95_ms=float(np.percentile(end_to_end_ms, 95)),
        fps=1000 / total_ms,
        bottleneck=max(STAGES, key=lambda s: stages[s].per_frame_ms),
        peak_rss_mb=max(r.peak_rss_mb for r in runs),
        baseline_rss_mb=min(r.baseline_rss_mb for r in runs),
        detector_share=sum(len(c.detector_runs) for c in clips) / frames,
        pose_network_share=float(sum(sum(c.pose_network) for c in clips) / per_frame["pose2d"].sum()),
        swings_found={c.clip: c.swings for c in runs[0].clips},
        models=runs[0].models,
        load_average=runs[0].load_average,
        cores=runs[0].cores,
    )


def add_agreement(results: list[ConfigFigures], runs: dict[SpeedConfig, list[ConfigRun]]) -> None:
    """PCK@0.2 of each configuration's keypoints against BlazePose full's on the same frames (same
    threads and resolution): how far a faster backend strays from the teacher on golf video."""
    from swingcoach.bench.pose import pck_against

    def keypoints(config: SpeedConfig) -> np.ndarray:
        return np.concatenate([clip.keypoints for clip in runs[config][0].clips])

    for config, result in zip(runs, results, strict=True):
        if config.backend.family == REFERENCE_BACKEND:
            continue
        reference = next(
            (
                c
                for c in runs
                if c.backend.family == REFERENCE_BACKEND
                and (c.threads, c.resolution) == (config.threads, config.resolution)
            ),
            None,
        )
        if reference is not None:
            result.agreement = pck_against(keypoints(config), keypoints(reference))


# ---------------------------------------------------------------------------------------------
# The whole speed benchmark
# ---------------------------------------------------------------------------------------------


def speed_clips(data: Path | None) -> list[Path]:
    """The demo swing, and a phone swing when the shared data is there."""
    phone = None if data is None else data / PHONE_CLIP
    return [DEMO_VIDEO, *([phone] if phone is not None and phone.is_file() else [])]


def rescaled_copy(source_path: Path, long_side: int, out: Path) -> Path:
    """The clip re-encoded (H.264) with its long side at `long_side` px: what a camera at that
    resolution would hand the decoder."""
    with open_source(source_path) as source:
        info = source.info
        scale = long_side / max(info.width, info.height)
        size = (round(info.width * scale), round(info.height * scale))
        with VideoWriter(out, info.fps, *size) as writer:
            for frame in source:
                writer.write(cv2.resize(frame.image, size, interpolation=cv2.INTER_LINEAR))
    return out


@dataclass
class SpeedBench:
    plan: SpeedPlan
    clips: dict[str, dict]  # name -> frames, fps, size
    results: list[ConfigFigures]
    load_average_end: list[float] | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def clip_info(path: Path) -> dict:
    with open_source(path) as source:
        info = source.info
    return {"frames": info.frame_count, "fps": round(info.fps, 2), "size": f"{info.width}x{info.height}"}


def run_speed_bench(
    clips: list[Path],
    plan: SpeedPlan,
    configs: list[SpeedConfig] | None = None,
    on_run: Callable[[SpeedConfig], None] | None = None,
) -> SpeedBench:
    """Every configuration, `plan.rounds` times in turn, each run in a fresh process."""
    configs = configs if configs is not None else plan.configs()
    started = time.perf_counter()
    runs: dict[SpeedConfig, list[ConfigRun]] = {config: [] for config in configs}
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="swingcoach-speed-") as folder:
        clips_at = {"native": clips}
        for resolution in {c.resolution for c in configs} - {"native"}:
            long_side = RESOLUTIONS[resolution]
            assert long_side is not None
            (Path(folder) / resolution).mkdir()
            clips_at[resolution] = [
                rescaled_copy(path, long_side, Path(folder) / resolution / path.name) for path in clips
            ]
        for _ in range(plan.rounds):
            for config in configs:
                with ProcessPoolExecutor(1, mp_context=context) as pool:
                    runs[config].append(
                        pool.submit(run_config, config, clips_at[config.resolution], plan).result()
                    )
                if on_run is not None:
                    on_run(config)
        info = {
            f"{resolution} {path.name}": clip_info(path)
            for resolution, paths in clips_at.items()
            for path in paths
        }
    results = [figures(runs[config]) for config in configs]
    add_agreement(results, runs)
    return SpeedBench(plan, info, results, load_average(), time.perf_counter() - started)
