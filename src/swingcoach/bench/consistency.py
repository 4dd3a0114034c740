"""`swingcoach bench consistency`: does the same swing get the same answer however it is filmed and
whichever path it takes?

Each real swing video is decoded once; every perturbation then feeds the analysis the frames a real
device would have produced — another frame rate, another resolution, dropped frames, jittered
timestamps, a mirror image (a left-handed golfer), a cut that starts earlier or later, the browser's
pose model and frame pacing. The figures are the spread (max - min and standard deviation) over the
perturbations of everything a golfer sees: the score, every metric, every event time, the top advice.

The three paths run on the unperturbed video: the CLI (`pipeline.analyze_video`), the server's clip
job (`server.analyze.Analyzer.analyze_video` on the file) and the keypoint path
(`Analyzer.analyze_payload` on the payload the browser builds: the page's pose model at its pace,
put on the payload's grid).
"""

from __future__ import annotations

import dataclasses
import itertools
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from swingcoach.analysis.reference import load_references
from swingcoach.analysis.swing import analyze_swing
from swingcoach.errors import NoPersonError, NoSwingError
from swingcoach.pipeline import FILE_CUTS, analyze_poses, analyze_video, extract_poses, swing_sequences
from swingcoach.pose import create_backend
from swingcoach.pose.base import PoseBackend, PoseSequence
from swingcoach.pose.skeleton import MIRROR, K
from swingcoach.schemas import ModelVersions, SwingPayload, SwingReport
from swingcoach.server.analyze import Analyzer
from swingcoach.server.core.config import Settings
from swingcoach.swing.detect import DetectorSettings, find_swings
from swingcoach.swing.events import DEFAULT_DETECTOR, EVENT_NAMES, EventDetector, create_event_detector
from swingcoach.video.source import Frame, FrameSource, VideoInfo, open_source

CLI_BACKEND = "blazepose-full"
# The practice page poses the next camera frame once the last pose is done, and stamps each with
# requestVideoFrameCallback's clock. Pose times measured on this machine (docs/web.md): BlazePose
# full (the page's default) 17.6 poses a second in the page, the student 28.8.
BROWSER_POSE_S = {"blazepose-full": 1 / 17.6, "student": 1 / 28.8}
BROWSER_PACE_JITTER = 0.15  # of a pose time, standard deviation
BROWSER_STAMP_JITTER = 0.15  # of a frame interval: when the page reads the clock
MATCH_WINDOW_S = 1.0  # a perturbed swing is the base swing if their impacts are this close

# Goals (the issue's, per swing).
GOAL_SCORE = 3.0
GOAL_TEMPO = 0.15
GOAL_ANGLE = 3.0
GOAL_EVENT_MS = 1000.0 / 30.0
GOAL_ADVICE = 0.95
KEY_EVENTS = ("top", "impact")

QUICK_VIDEOS = ("videos/golfdb_test_video.mp4", "phone_swings/swing1.mp4")


@dataclass(frozen=True)
class Perturbation:
    name: str
    fps: float | None = None  # resample to this frame rate
    long_side: int | None = None  # resize so the longer side is this many pixels
    drop: float = 0.0  # share of frames dropped at random
    jitter: float = 0.0  # timestamp noise, standard deviation in frame intervals
    mirror: bool = False  # a left-handed golfer
    shift_s: float = 0.0  # the video starts this much later (+) or earlier (-, the first frame held)
    browser: str | None = None  # the browser's pose model, at its pace, analysed from its payload
    optional: bool = False  # an opt-in model: shown, but not in the spreads and goals


PERTURBATIONS = (
    Perturbation("base"),
    Perturbation("24 fps", fps=24),
    Perturbation("30 fps", fps=30),
    Perturbation("60 fps", fps=60),
    Perturbation("240 px", long_side=240),
    Perturbation("480 px", long_side=480),
    Perturbation("1080 px", long_side=1080),
    Perturbation("10% dropped", drop=0.1),
    Perturbation("20% dropped", drop=0.2),
    Perturbation("30% dropped", drop=0.3),
    Perturbation("timestamp jitter", jitter=0.3),
    Perturbation("mirrored", mirror=True),
    Perturbation("cut 0.5 s earlier", shift_s=-0.5),
    Perturbation("cut 0.5 s later", shift_s=0.5),
    Perturbation("browser", browser="blazepose-full"),
    Perturbation("browser, student model", browser="student", optional=True),
)
QUICK_PERTURBATIONS = ("base", "24 fps", "60 fps", "240 px", "20% dropped", "mirrored", "browser")


# ---------------------------------------------------------------------------------------------
# Frames as a device would deliver them
# ---------------------------------------------------------------------------------------------


@dataclass
class DecodedVideo:
    path: Path
    info: VideoInfo
    images: list[np.ndarray]
    times: np.ndarray  # seconds from the first frame


def decode(path: Path) -> DecodedVideo:
    with open_source(path) as video:
        frames = list(video)
        info = video.info
    return DecodedVideo(path, info, [f.image for f in frames], np.array([f.time_s for f in frames]))


class MemorySource(FrameSource):
    """Frames already in memory, as the decoder would yield them."""

    def __init__(self, info: VideoInfo, frames: list[Frame]) -> None:
        self.info = info
        self._frames = frames

    def __iter__(self) -> Iterator[Frame]:
        return iter(self._frames)

    def close(self) -> None:
        self._frames = []


def resized(image: np.ndarray, long_side: int | None) -> np.ndarray:
    if long_side is None:
        return image
    h, w = image.shape[:2]
    scale = long_side / max(h, w)
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=interpolation)


def paced(times: np.ndarray, pose_s: float, rng: np.random.Generator) -> np.ndarray:
    """Which camera frames a page posing for `pose_s` per frame gets to: the first one after the last
    pose is done."""
    keep = np.zeros(len(times), dtype=bool)
    free_at = -np.inf
    for i, t in enumerate(times):
        if t >= free_at:
            keep[i] = True
            free_at = t + pose_s * max(0.5, 1 + rng.normal(0.0, BROWSER_PACE_JITTER))
    return keep


def perturbed(video: DecodedVideo, p: Perturbation, seed: int) -> tuple[MemorySource, float]:
    """The frames a device filming the same swing would have delivered, and where the perturbed
    video's time 0 lies on the original clock."""
    rng = np.random.default_rng(seed)
    fps = p.fps or video.info.fps
    duration = float(video.times[-1]) + 1.0 / video.info.fps
    if p.fps is None:
        times, rows = video.times.copy(), np.arange(len(video.images))
    else:
        times = np.arange(0.0, duration - 0.5 / fps, 1.0 / fps)
        rows = np.clip(np.searchsorted(video.times, times + 0.5 / video.info.fps) - 1, 0, None)
    origin = 0.0
    if p.shift_s > 0:
        keep = times >= p.shift_s
        times, rows, origin = times[keep] - p.shift_s, rows[keep], p.shift_s
    elif p.shift_s < 0:
        held = np.arange(round(-p.shift_s * fps))
        times = np.concatenate([held / fps, times + len(held) / fps])
        rows = np.concatenate([np.zeros(len(held), dtype=rows.dtype), rows])
        origin = -len(held) / fps
    keep = rng.random(len(times)) >= p.drop
    keep[0] = True
    if p.browser is not None:
        keep &= paced(times, BROWSER_POSE_S[p.browser], rng)
    times, rows = times[keep], rows[keep]
    jitter = p.jitter + (BROWSER_STAMP_JITTER if p.browser is not None else 0.0)
    if jitter:
        times = times + rng.normal(0.0, jitter / fps, len(times))
        times = np.maximum.accumulate(np.maximum(times - times[0], 0.0))
    frames = []
    for index, (t, row) in enumerate(zip(times, rows, strict=True)):
        image = resized(video.images[row], p.long_side)
        frames.append(Frame(index, float(t), image[:, ::-1].copy() if p.mirror else image))
    h, w = frames[0].image.shape[:2]
    info = VideoInfo(
        source=f"{video.path.name} ({p.name})",
        fps=fps,
        width=w,
        height=h,
        frame_count=len(frames),
        rotation=0,
    )
    return MemorySource(info, frames), origin


# ---------------------------------------------------------------------------------------------
# One analysed swing, reduced to what a golfer sees
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One swing as the golfer sees it; times in seconds on the original video's clock."""

    events_s: dict[str, float]
    score: float | None
    metrics: dict[str, float]
    top_advice: str
    view: str
    handedness: str
    scored_metrics: int
    measured_metrics: int


def seen(report: SwingReport, origin: float, frame_times: Callable[[int], float]) -> Seen:
    """Event times at the report's sub-frame precision where it has it (top, impact, takeaway)."""
    events = {name: origin + frame_times(frame) for name, frame in report.events.model_dump().items()}
    if report.times is not None:
        first = frame_times(report.start_frame) - report.start_time_s
        events["top"] = origin + first + report.times.top_s
        events["impact"] = origin + first + report.times.impact_s
        if report.times.takeaway_s is not None:
            events["takeaway"] = origin + first + report.times.takeaway_s
    return Seen(
        events_s=events,
        score=report.score,
        metrics={name: m.value for name, m in report.metrics.items() if m.value is not None},
        top_advice=report.advice[0].metric if report.advice else "none",
        view=report.view,
        handedness=report.handedness,
        scored_metrics=sum(m.score is not None for m in report.metrics.values()),
        measured_metrics=sum(m.value is not None for m in report.metrics.values()),
    )


@dataclass
class Runner:
    """The analysis paths, with their models loaded once."""

    detector: EventDetector = field(default_factory=create_event_detector)
    backends: dict[str, PoseBackend] = field(default_factory=dict)
    analyzer: Analyzer = field(default_factory=lambda: Analyzer(CLI_BACKEND, DEFAULT_DETECTOR))
    last_sequence: PoseSequence | None = None
    base_sequences: dict[str, PoseSequence] = field(default_factory=dict)

    def backend(self, name: str, live: bool = False) -> PoseBackend:
        key = f"{name} live" if live else name
        if key not in self.backends:
            self.backends[key] = create_backend(name, threads=1, live=live)
        return self.backends[key]

    def cli(self, source: MemorySource, origin: float) -> list[Seen]:
        sequence, _info, analyses = analyze_video(source, self.backend(CLI_BACKEND), self.detector)
        self.last_sequence = sequence
        fps = sequence.fps
        return [seen(a.report, origin, lambda f: f / fps) for a in analyses]

    def server_clip(self, path: Path) -> list[Seen]:
        """The server's clip job on the video file, as the worker runs it."""
        try:
            found, _versions = self.analyzer.analyze_video(path, uuid.uuid4(), Settings().video_limits)
        except (NoPersonError, NoSwingError):
            return []
        return [seen(f.report, 0.0, lambda frame, fps=f.payload.fps: frame / fps) for f in found]

    def browser(self, source: MemorySource, origin: float, model: str) -> list[Seen]:
        """The practice page: its pose model (one pass, as in the page) at its pace, on the payload's
        time grid, cut by the swing finder, each swing sent as a payload and analysed by the server."""
        backend = self.backend(model, live=True)
        sequence, _info = extract_poses(source, backend)
        sequence = dataclasses.replace(sequence, world=None)  # the page sends 2D keypoints only
        out = []
        for piece in swing_sequences(sequence, DetectorSettings()):  # the browser's 2 s ring
            payload = SwingPayload.from_sequence(
                uuid.uuid4(), piece, models=ModelVersions(pose=backend.version)
            )
            report, _versions = self.analyzer.analyze_payload(
                SwingPayload.model_validate_json(payload.model_dump_json())
            )
            out.append(seen(report, origin, lambda f, fps=piece.fps: f / fps))
        return out

    def run(self, video: DecodedVideo, p: Perturbation, seed: int) -> list[Seen]:
        source, origin = perturbed(video, p, seed)
        found = self.cli(source, origin) if p.browser is None else self.browser(source, origin, p.browser)
        if p.name == "base" and self.last_sequence is not None:
            self.base_sequences[str(video.path)] = self.last_sequence
        return found


# ---------------------------------------------------------------------------------------------
# Spreads
# ---------------------------------------------------------------------------------------------


@dataclass
class Spread:
    range: float
    sd: float
    n: int

    @classmethod
    def of(cls, values: list[float]) -> Spread:
        return cls(
            range=float(max(values) - min(values)) if values else 0.0,
            sd=float(statistics.pstdev(values)) if len(values) > 1 else 0.0,
            n=len(values),
        )


@dataclass
class SwingFigures:
    video: str
    swing: int
    runs: int
    missed: list[str]
    score: Spread
    unscored: list[str]
    metrics: dict[str, Spread]
    metric_units: dict[str, str]
    events_ms: dict[str, Spread]
    top_advice: str
    advice_agreement: float
    views: dict[str, int]
    scored_metrics: dict[str, int]
    measured_metrics: dict[str, int]
    per_run: dict[str, dict[str, Any]]
    goals: dict[str, bool] = field(default_factory=dict)


def match(base: Seen, candidates: list[Seen]) -> Seen | None:
    near = [c for c in candidates if abs(c.events_s["impact"] - base.events_s["impact"]) < MATCH_WINDOW_S]
    return min(near, key=lambda c: abs(c.events_s["impact"] - base.events_s["impact"]), default=None)


def figures(
    video: str, index: int, base: Seen, runs: dict[str, list[Seen]], optional: frozenset[str] = frozenset()
) -> SwingFigures:
    """Spreads and goals over the runs that are not `optional` (an opt-in model); `per_run` has all."""
    units = {name: ref.unit for name, ref in load_references().metrics.items()}
    every = {name: match(base, found) for name, found in runs.items()}
    matched = {name: s for name, s in every.items() if name not in optional}
    hits = {name: s for name, s in matched.items() if s is not None}
    metrics = {
        name: Spread.of([s.metrics[name] for s in hits.values() if name in s.metrics])
        for name in sorted({m for s in hits.values() for m in s.metrics})
    }
    events = {name: Spread.of([1000.0 * s.events_s[name] for s in hits.values()]) for name in EVENT_NAMES}
    views: dict[str, int] = {}
    for s in hits.values():
        views[s.view] = views.get(s.view, 0) + 1
    result = SwingFigures(
        video=video,
        swing=index,
        runs=len(hits),
        missed=[name for name, s in matched.items() if s is None],
        score=Spread.of([s.score for s in hits.values() if s.score is not None]),
        unscored=[name for name, s in hits.items() if s.score is None],
        metrics=metrics,
        metric_units={name: units.get(name, "") for name in metrics},
        events_ms=events,
        top_advice=base.top_advice,
        advice_agreement=sum(s.top_advice == base.top_advice for s in hits.values()) / max(len(hits), 1),
        views=views,
        scored_metrics={name: s.scored_metrics for name, s in hits.items()},
        measured_metrics={name: s.measured_metrics for name, s in hits.items()},
        per_run={
            name: {
                "score": s.score,
                "top_advice": s.top_advice,
                "view": s.view,
                "tempo_ratio": s.metrics.get("tempo_ratio"),
                "scored_metrics": s.scored_metrics,
                "measured_metrics": s.measured_metrics,
                "events_s": {k: round(v, 4) for k, v in s.events_s.items()},
                "metrics": s.metrics,
            }
            for name, s in every.items()
            if s is not None
        },
    )
    result.goals = goals(result)
    return result


def angle_metrics(figures: SwingFigures) -> dict[str, Spread]:
    return {n: s for n, s in figures.metrics.items() if figures.metric_units.get(n) == "°"}


def goals(f: SwingFigures) -> dict[str, bool]:
    tempo = f.metrics.get("tempo_ratio")
    return {
        "swing found in every run": not f.missed,
        "scored in every run": not f.unscored,
        f"score max - min <= {GOAL_SCORE:g}": f.score.range <= GOAL_SCORE,
        f"tempo ratio max - min <= {GOAL_TEMPO:g}": tempo is not None and tempo.range <= GOAL_TEMPO,
        f"every angle max - min <= {GOAL_ANGLE:g} deg": all(
            s.range <= GOAL_ANGLE for s in angle_metrics(f).values()
        ),
        "top and impact within 1 frame at 30 fps": all(
            f.events_ms[e].range <= GOAL_EVENT_MS for e in KEY_EVENTS
        ),
        f"top advice identical in >= {GOAL_ADVICE:.0%}": f.advice_agreement >= GOAL_ADVICE,
    }


def videos(data: Path, quick: bool) -> list[Path]:
    if quick:
        return [data / name for name in QUICK_VIDEOS]
    found = sorted((data / "phone_swings").glob("*.mp4"))
    return [*found, data / "videos" / "golfdb_test_video.mp4", data / "golfdb" / "clips" / "0.mp4"]


# ---------------------------------------------------------------------------------------------
# Bad tracking, labelled tempo, a recorded session
# ---------------------------------------------------------------------------------------------

CORRUPT_SHARE = 1 / 3
ARM = [K.L_SHOULDER, K.L_ELBOW, K.L_WRIST]


def corrupted(
    sequence: PoseSequence, span: tuple[int, int], kind: str, rng: np.random.Generator
) -> PoseSequence:
    """The swing's skeleton spoiled on a third of its frames from address to finish (`span`, rows):
    "swapped" exchanges the left and right limbs on random frames; "background" throws the lead arm
    onto a point beside the golfer for a stretch (a grandstand or a bystander caught by the tracker)."""
    keypoints = sequence.keypoints.copy()
    count = max(1, round(CORRUPT_SHARE * (span[1] - span[0] + 1)))
    if kind == "swapped":
        rows = span[0] + rng.choice(span[1] - span[0] + 1, size=count, replace=False)
        keypoints[rows] = keypoints[rows][:, MIRROR]
    else:
        first = int(rng.integers(span[0], span[1] - count + 2))
        rows = np.arange(first, first + count)
        body = keypoints[rows, :, :2]
        size = np.nanmax(body[..., 1]) - np.nanmin(body[..., 1])
        spot = np.nanmedian(body[:, [K.L_HIP, K.R_HIP]], axis=(0, 1)) + np.array([0.8 * size, -0.3 * size])
        keypoints[np.ix_(rows, ARM)] = np.concatenate(
            [spot + rng.normal(0, 0.03 * size, (count, len(ARM), 2)), keypoints[np.ix_(rows, ARM)][..., 2:]],
            axis=-1,
        )
    return dataclasses.replace(sequence, keypoints=keypoints)


def corruption_checks(sequence: PoseSequence, detector: EventDetector, seed: int) -> list[dict[str, Any]]:
    """Each corruption of each swing: whether it was flagged (no score), and the tracking figure."""
    out = []
    rng = np.random.default_rng(seed)
    for index, piece in enumerate(swing_sequences(sequence)):
        clean = analyze_swing(piece, detector, index)
        span = (clean.events["address"], clean.events["finish"])
        for kind in ("swapped", "background"):
            report = analyze_swing(corrupted(piece, span, kind, rng), detector, index).report
            out.append(
                {
                    "swing": index,
                    "corruption": kind,
                    "flagged": report.score is None,
                    "tracking": None if report.tracking is None else report.tracking.score,
                    "score": report.score,
                }
            )
    return out


def label_tempo(video: Path) -> float | None:
    """Tempo from a phone swing's phase labels: takeaway start to top (the first Downswing frame) over
    top to impact (the first Follow-through frame)."""
    labels = video.with_name(f"{video.stem}_phases.csv")
    if not labels.is_file():
        return None
    phases = np.loadtxt(labels, delimiter=",", skiprows=1, dtype=str, usecols=1)
    first = {
        name: int(np.flatnonzero(phases == name)[0]) for name in ("Takeaway", "Downswing", "Follow-through")
    }
    return (first["Downswing"] - first["Takeaway"]) / (first["Follow-through"] - first["Downswing"])


def session_check(sequences: list[PoseSequence], detector: EventDetector) -> dict[str, Any]:
    """The 30 fps portrait swings one after another with no pause (a range session filmed without
    stopping): every swing found once, no two cuts sharing frames, each analysed."""
    parts = [s for s in sequences if abs(s.fps - 30) < 0.1 and (s.width, s.height) == (360, 640)]
    if len(parts) < 2:
        return {}
    session = PoseSequence(np.concatenate([p.keypoints for p in parts]), 30.0, 360, 640, frame_indices=None)
    segments = find_swings(session, FILE_CUTS)
    overlaps = sum(b.start <= a.end for a, b in itertools.pairwise(segments))
    analyses = analyze_poses(session, detector)
    return {
        "videos": len(parts),
        "swings_found": len(segments),
        "overlapping_cuts": int(overlaps),
        "scores": [a.report.score for a in analyses],
        "tempo_missing": sum(a.report.metrics["tempo_ratio"].value is None for a in analyses),
    }


def run_consistency(
    data: Path,
    quick: bool = False,
    only: list[str] | None = None,
    seed: int = 0,
    on_run: Callable[[str, str, float], None] | None = None,
) -> dict[str, Any]:
    """Figures per swing of every video (quick: two videos, fewer perturbations)."""
    chosen = [p for p in PERTURBATIONS if not quick or p.name in QUICK_PERTURBATIONS]
    if only:
        chosen = [p for p in chosen if p.name in only or p.name in ("base", "browser")]
    runner = Runner()
    results: list[SwingFigures] = []
    paths: list[SwingFigures] = []
    corruption: list[dict[str, Any]] = []
    labels: list[dict[str, Any]] = []
    bases: list[PoseSequence] = []
    started = time.perf_counter()
    for path in videos(data, quick):
        name = str(path.relative_to(data))
        video = decode(path)
        runs: dict[str, list[Seen]] = {}
        for number, p in enumerate(chosen):
            begun = time.perf_counter()
            try:
                runs[p.name] = runner.run(video, p, seed + number)
            except (NoPersonError, NoSwingError):
                runs[p.name] = []
            if on_run is not None:
                on_run(path.name, p.name, time.perf_counter() - begun)
        begun = time.perf_counter()
        by_path = {
            "cli": runs["base"],
            "server clip job": runner.server_clip(path),
            "browser keypoints": runs.get("browser", []),
        }
        if on_run is not None:
            on_run(path.name, "server clip job", time.perf_counter() - begun)
        base_sequence = runner.base_sequences.get(str(path))
        optional = frozenset(p.name for p in chosen if p.optional)
        for index, base in enumerate(runs["base"]):
            results.append(figures(name, index, base, runs, optional))
            paths.append(figures(name, index, base, by_path))
        if base_sequence is not None:
            bases.append(base_sequence)
            checks = corruption_checks(base_sequence, runner.detector, seed)
            corruption += [{"video": name, **check} for check in checks]
        truth = label_tempo(path)
        if truth is not None and runs["base"]:
            measured = runs["base"][0].metrics.get("tempo_ratio")
            labels.append({"video": name, "labels": round(truth, 2), "measured": measured})
    return {
        "perturbations": [asdict(p) for p in chosen],
        "swings": [asdict(r) for r in results],
        "paths": [asdict(r) for r in paths],
        "corruption": corruption,
        "label_tempo": labels,
        "session": session_check(bases, runner.detector),
        "seconds": round(time.perf_counter() - started, 1),
    }


# ---------------------------------------------------------------------------------------------
# The figures as a page (docs/consistency.md)
# ---------------------------------------------------------------------------------------------


def _worst_angle(swing: dict[str, Any]) -> str:
    angles = {n: s["range"] for n, s in swing["metrics"].items() if swing["metric_units"].get(n) == "°"}
    name, value = max(angles.items(), key=lambda kv: kv[1], default=("-", 0.0))
    return f"{value:.1f} ({name})"


def _spread_rows(swings: list[dict[str, Any]]) -> list[str]:
    rows = [
        "| swing | runs | score max−min (SD) | tempo max−min | worst angle max−min, ° "
        "| top, impact max−min, ms | top advice unchanged | metrics measured |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in swings:
        tempo = s["metrics"].get("tempo_ratio")
        tempo_text = "-" if tempo is None else f"{tempo['range']:.2f}"
        measured = sorted(set(s["measured_metrics"].values()))
        rows.append(
            f"| {s['video']} #{s['swing'] + 1} | {s['runs']} "
            f"| {s['score']['range']:.1f} ({s['score']['sd']:.1f}) "
            f"| {tempo_text} | {_worst_angle(s)} "
            f"| {s['events_ms']['top']['range']:.0f}, {s['events_ms']['impact']['range']:.0f} "
            f"| {s['advice_agreement']:.0%} | {measured[0]}–{measured[-1]} |"
        )
    return rows


def _deviation_rows(swings: list[dict[str, Any]]) -> list[str]:
    """Per perturbation, the largest deviation from the base run over all swings."""
    names = [n for n in swings[0]["per_run"] if n != "base"] if swings else []
    rows = [
        "| perturbation | score | tempo | worst angle, ° | top, ms | impact, ms | top advice unchanged |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in names:
        score = tempo = angle = top = impact = 0.0
        same = total = 0
        for s in swings:
            base, run = s["per_run"]["base"], s["per_run"].get(name)
            if run is None:
                continue
            total += 1
            same += run["top_advice"] == base["top_advice"]
            if run["score"] is not None and base["score"] is not None:
                score = max(score, abs(run["score"] - base["score"]))
            if run["tempo_ratio"] is not None and base["tempo_ratio"] is not None:
                tempo = max(tempo, abs(run["tempo_ratio"] - base["tempo_ratio"]))
            for metric, value in run["metrics"].items():
                if s["metric_units"].get(metric) == "°" and metric in base["metrics"]:
                    angle = max(angle, abs(value - base["metrics"][metric]))
            top = max(top, 1000 * abs(run["events_s"]["top"] - base["events_s"]["top"]))
            impact = max(impact, 1000 * abs(run["events_s"]["impact"] - base["events_s"]["impact"]))
        rows.append(
            f"| {name} | {score:.1f} | {tempo:.2f} | {angle:.1f} | {top:.0f} | {impact:.0f} "
            f"| {same} of {total} |"
        )
    return rows


def markdown(result: dict[str, Any], command: str) -> str:
    """The page docs/consistency.md: every table the run measured."""
    flagged = sum(c["flagged"] for c in result["corruption"])
    lines = [
        "# Consistency: the same swing, the same answer",
        "",
        f"Produced by `{command}` ({result['seconds']:.0f} s). What is perturbed and how: docs/metrics.md",
        "(Repeatability). Goals per swing: score max − min ≤ 3, tempo ratio ≤ 0.15, every angle ≤ 3°,",
        "top and impact ≤ 1 frame at 30 fps (33 ms), top advice unchanged in ≥ 95 % of the perturbations;",
        "the three paths within the same bounds of each other.",
        "",
        "## Over the perturbations, per swing",
        "",
        "Every perturbation but the opt-in student model of the browser (its deviations are in the next",
        "table).",
        "",
        *_spread_rows(result["swings"]),
        "",
        "## Largest deviation from the unperturbed run, per perturbation (over all swings)",
        "",
        *_deviation_rows(result["swings"]),
        "",
        "## The three paths: CLI, server clip job, browser keypoints",
        "",
        *_spread_rows(result["paths"]),
        "",
        "## Bad tracking, labelled tempo, a session",
        "",
        f"- Corrupted skeletons flagged and not scored: {flagged} of {len(result['corruption'])} "
        "(left and right swapped on a random third of the frames; the lead arm thrown onto the background "
        "for a third of them).",
        *(
            f"- Tempo of {t['video']}: labels {t['labels']:.2f}, measured {t['measured']}."
            for t in result["label_tempo"]
        ),
    ]
    if result["session"]:
        session = result["session"]
        lines.append(
            f"- {session['videos']} portrait swings back to back as one session: {session['swings_found']} "
            f"found, {session['overlapping_cuts']} overlapping cuts, "
            f"{session['tempo_missing']} without a tempo."
        )
    return "\n".join(lines) + "\n"
