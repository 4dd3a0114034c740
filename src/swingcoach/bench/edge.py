"""`swingcoach bench edge`: the device on real swing videos and on a long stitched recording.

Figures:
- swings found against the true count, per video and on the long recording;
- the device's swing start (address) and finish against the truth, within +-0.3 s;
- end-to-end frames per second on one core (files run flat out, pose threads=1, process pinned);
- process CPU time with the adaptive pose rate against pose on every frame, same recording;
- live-view latency: every frame is stamped with the clock when it is captured; an MJPEG client in
  another process reads the stamp back from the decoded JPEG and compares it with the same clock.

Truth. Swing count: one swing per video (checked by eye). Address: the phone-swing phase labels
where they exist (last `Setup` frame, swing1-3), else the offline pipeline; finish: the offline
pipeline (`analyze`'s path: BlazePose full on every frame, swing finder, default event detector).
The device runs BlazePose lite at its adaptive rate, and reports the on-device events of each clip.

The long recording is built at bench time (never committed): every video resampled to 30 fps and
letterboxed to 360x640, separated by gaps of the same scene with the golfer removed (inpainted):
alternately empty, and with the golfer's image walking across.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import platform
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np

from swingcoach.bench.live import mjpeg_parts
from swingcoach.bench.machine import cpu_model
from swingcoach.edge.device import Device, RunStats
from swingcoach.edge.library import Library, SwingEntry
from swingcoach.edge.liveview import LiveView
from swingcoach.edge.pacing import paced
from swingcoach.edge.settings import EdgeSettings
from swingcoach.pipeline import analyze_video
from swingcoach.pose import create_backend
from swingcoach.pose.skeleton import K
from swingcoach.swing.events import create_event_detector
from swingcoach.swing.features import midpoint
from swingcoach.video.source import Frame, VideoInfo, open_source
from swingcoach.video.writer import VideoWriter

TOLERANCE_S = 0.3
DEVICE_BACKEND = "blazepose-lite"
TRUTH_BACKEND = "blazepose-full"
STITCH_FPS = 30.0
STITCH_SIZE = (360, 640)  # width, height: the phone videos' portrait frame
LEAD_IN_S = 5.0
GAP_S = 10.0
LATENCY_VIDEO = "phone_swings/swing3.mp4"
STAMP_BLOCK = 8  # px: one JPEG block per bit, so compression leaves the bits readable
STAMP_BITS = 32
MATCH_WINDOW_S = 3.0
WALKING_TORSOS_PER_S = 2.0


# ---------------------------------------------------------------------------------------------
# Truth
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrueSwing:
    offline_address_s: float
    finish_s: float  # offline pipeline
    label_address_s: float | None = None  # phase labels, where there are any

    @property
    def address_s(self) -> float:
        """The truth the bench is scored on: the phase labels where they exist."""
        return self.offline_address_s if self.label_address_s is None else self.label_address_s

    def shifted(self, seconds: float) -> TrueSwing:
        label = None if self.label_address_s is None else self.label_address_s + seconds
        return TrueSwing(self.offline_address_s + seconds, self.finish_s + seconds, label)


@dataclass
class Video:
    path: Path
    first_pose: np.ndarray  # keypoints of frame 0 (to take the golfer out of the scene)
    swing: TrueSwing

    @property
    def name(self) -> str:
        return self.path.stem


def label_address(labels: Path) -> int | None:
    """The last `Setup` frame of a phone-swing phase file."""
    if not labels.exists():
        return None
    with labels.open() as rows:
        setup = [int(row["frame"]) for row in csv.DictReader(rows) if row["phase"] == "Setup"]
    return max(setup) if setup else None


def videos(data: Path) -> list[Path]:
    found = [*sorted((data / "phone_swings").glob("*.mp4")), data / "videos" / "golfdb_test_video.mp4"]
    return [path for path in found if path.exists()]


def offline_truth(path: Path) -> Video:
    backend = create_backend(TRUTH_BACKEND, threads=1)
    sequence, info, analyses = analyze_video(path, backend, create_event_detector())
    if len(analyses) != 1:
        raise RuntimeError(f"the offline pipeline found {len(analyses)} swings in {path.name}, expected 1")
    events = analyses[0].report.events
    labelled = label_address(path.with_name(f"{path.stem}_phases.csv"))
    swing = TrueSwing(
        offline_address_s=events.address / info.fps,
        finish_s=events.finish / info.fps,
        label_address_s=None if labelled is None else labelled / info.fps,
    )
    return Video(path, sequence.keypoints[0], swing)


# ---------------------------------------------------------------------------------------------
# The long recording
# ---------------------------------------------------------------------------------------------


def letterbox(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    width, height = size
    scale = min(width / image.shape[1], height / image.shape[0], 1.0)
    if scale < 1.0:
        image = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)))
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    y, x = (height - image.shape[0]) // 2, (width - image.shape[1]) // 2
    canvas[y : y + image.shape[0], x : x + image.shape[1]] = image
    return canvas


def resampled(frames: Iterable[Frame], source_fps: float, fps: float) -> Iterator[np.ndarray]:
    """Nearest source frame for every output frame: the same motion at the same speed."""
    output = 0
    for frame in frames:
        while round(output * source_fps / fps) <= frame.index:
            yield frame.image
            output += 1


def golfer_box(keypoints: np.ndarray, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """Around the golfer at address, wide enough for the club."""
    xy = keypoints[~np.isnan(keypoints[:, 0]), :2]
    (x0, y0), (x1, y1) = xy.min(0), xy.max(0)
    w, h = x1 - x0, y1 - y0
    return (
        int(max(0, x0 - 0.6 * w)),
        int(max(0, y0 - 0.12 * h)),
        int(min(shape[1], x1 + 0.6 * w)),
        int(min(shape[0], y1 + 0.08 * h)),
    )


def gap_frames(
    first: np.ndarray, keypoints: np.ndarray, seconds: float, walking: bool
) -> Iterator[np.ndarray]:
    """The scene with the golfer inpainted away; with `walking`, the golfer's image crosses it back
    and forth at walking pace (two torso lengths a second, about 1 m/s)."""
    x0, y0, x1, y1 = golfer_box(keypoints, first.shape)
    mask = np.zeros(first.shape[:2], dtype=np.uint8)
    mask[y0:y1, x0:x1] = 255
    empty = cv2.inpaint(first, mask, 7, cv2.INPAINT_TELEA)
    golfer = first[y0:y1, x0:x1]
    torso = np.linalg.norm(
        midpoint(keypoints, K.L_SHOULDER, K.R_SHOULDER) - midpoint(keypoints, K.L_HIP, K.R_HIP)
    )
    span = first.shape[1] + golfer.shape[1]  # from just out of view on the left to just out on the right
    for i in range(round(seconds * STITCH_FPS)):
        if not walking:
            yield empty
            continue
        frame = empty.copy()
        travelled = (WALKING_TORSOS_PER_S * torso * i / STITCH_FPS) % (2 * span)
        left = round(-golfer.shape[1] + (travelled if travelled < span else 2 * span - travelled))
        bob = round(4 * np.sin(i / 3))  # the up and down of walking
        top = min(max(0, y0 + bob), first.shape[0] - golfer.shape[0])
        a, b = max(0, left), min(first.shape[1], left + golfer.shape[1])
        if b > a:
            frame[top : top + golfer.shape[0], a:b] = golfer[:, a - left : b - left]
        yield frame


def build_recording(pieces: list[Video], path: Path) -> list[TrueSwing]:
    """Write the long recording; returns its true swings in its own time."""
    width, height = STITCH_SIZE
    truth = []
    written = 0
    with VideoWriter(path, STITCH_FPS, width, height) as writer:
        for number, piece in enumerate(pieces):
            with open_source(piece.path) as video:
                scale = min(width / video.info.width, height / video.info.height, 1.0)
                keypoints = piece.first_pose.copy()
                keypoints[:, :2] = keypoints[:, :2] * scale + [
                    (width - round(video.info.width * scale)) // 2,
                    (height - round(video.info.height * scale)) // 2,
                ]
                frames = (
                    letterbox(image, STITCH_SIZE) for image in resampled(video, video.info.fps, STITCH_FPS)
                )
                first = next(frames)
                gap = LEAD_IN_S if number == 0 else GAP_S
                for image in gap_frames(first, keypoints, gap, walking=number % 2 == 1):
                    writer.write(image)
                    written += 1
                start_s = written / STITCH_FPS
                writer.write(first)
                written += 1
                for image in frames:
                    writer.write(image)
                    written += 1
            truth.append(piece.swing.shifted(start_s))
        for image in gap_frames(first, keypoints, GAP_S, walking=False):
            writer.write(image)
    return truth


# ---------------------------------------------------------------------------------------------
# Device runs
# ---------------------------------------------------------------------------------------------


@dataclass
class Run:
    frames: int
    posed: int
    wall_s: float
    cpu_s: float
    swings: list[SwingEntry]

    def figures(self) -> dict[str, float]:
        return {
            "frames": self.frames,
            "posed": self.posed,
            "wall_s": round(self.wall_s, 2),
            "cpu_s": round(self.cpu_s, 2),
            "fps": round(self.frames / self.wall_s, 1),
            "fps_cpu": round(self.frames / self.cpu_s, 1),  # what one core of its own would run at
        }


def run_device(
    frames: Iterable[Frame],
    info: VideoInfo,
    library: Path,
    adaptive: bool,
    realtime: bool = False,
    **kwargs: Any,
) -> tuple[Run, RunStats]:
    """The device on one stream (pose threads=1); wall and process CPU time of the whole run."""
    settings = EdgeSettings(library=library, adaptive=adaptive, device="bench")
    device = Device(
        create_backend(DEVICE_BACKEND, threads=1, live=True), Library(library), settings, **kwargs
    )
    wall, cpu = time.perf_counter(), time.process_time()
    stats = device.run(frames, info, realtime=realtime)
    run = Run(
        stats.frames, stats.posed, time.perf_counter() - wall, time.process_time() - cpu, list(stats.swings)
    )
    return run, stats


def run_file(path: Path, library: Path, adaptive: bool) -> Run:
    with open_source(path) as video:
        return run_device(video, video.info, library, adaptive)[0]


@dataclass
class Match:
    """One true swing and the device's swing matched to it; errors are device minus truth, in s."""

    truth: TrueSwing
    found: bool = False
    address_error_s: float | None = None  # against the labels where there are any, else offline
    offline_address_error_s: float | None = None
    finish_error_s: float | None = None

    def within(self, address_error_s: float | None) -> bool:
        return (
            address_error_s is not None
            and self.finish_error_s is not None
            and abs(address_error_s) <= TOLERANCE_S
            and abs(self.finish_error_s) <= TOLERANCE_S
        )


@dataclass
class Scored:
    true_swings: int
    found: int  # swings the device saved
    matched: int
    false_swings: int
    within_tolerance: int  # address (labels where there are any) and finish within +-0.3 s
    within_tolerance_offline: int  # address and finish both against the offline pipeline
    matches: list[Match] = field(default_factory=list)


def device_times(entry: SwingEntry) -> tuple[float, float]:
    """The device's swing start (address) and finish: its on-device events, else the swing finder."""
    if entry.events is not None:
        return entry.time_at(entry.events.address), entry.time_at(entry.events.finish)
    return entry.time_at(entry.takeaway_frame), entry.time_at(entry.finish_frame)


def score(truth: list[TrueSwing], swings: list[SwingEntry]) -> Scored:
    """Each true swing takes the unused device swing nearest to it (within a few seconds)."""
    found = sorted(device_times(entry) for entry in swings)
    used: set[int] = set()
    matches = []
    for swing in truth:
        match = Match(swing)
        candidates = [
            i
            for i, (address, _) in enumerate(found)
            if i not in used and abs(address - swing.offline_address_s) < MATCH_WINDOW_S
        ]
        if candidates:
            best = min(candidates, key=lambda i: abs(found[i][0] - swing.offline_address_s))
            used.add(best)
            address, finish = found[best]
            match.found = True
            match.address_error_s = round(address - swing.address_s, 3)
            match.offline_address_error_s = round(address - swing.offline_address_s, 3)
            match.finish_error_s = round(finish - swing.finish_s, 3)
        matches.append(match)
    matched = sum(m.found for m in matches)
    return Scored(
        true_swings=len(truth),
        found=len(found),
        matched=matched,
        false_swings=len(found) - matched,
        within_tolerance=sum(m.within(m.address_error_s) for m in matches),
        within_tolerance_offline=sum(m.within(m.offline_address_error_s) for m in matches),
        matches=matches,
    )


# ---------------------------------------------------------------------------------------------
# Live-view latency
# ---------------------------------------------------------------------------------------------


def now_ms() -> int:
    return int(time.monotonic() * 1000) % (1 << STAMP_BITS)  # CLOCK_MONOTONIC: one clock per machine


def stamp(image: np.ndarray, value: int) -> np.ndarray:
    """Write `value` as 32 black/white blocks along the top-left corner."""
    stamped = image.copy()
    for bit in range(STAMP_BITS):
        row, col = divmod(bit, 16)
        level = 255 if value >> bit & 1 else 0
        stamped[row * STAMP_BLOCK : (row + 1) * STAMP_BLOCK, col * STAMP_BLOCK : (col + 1) * STAMP_BLOCK] = (
            level
        )
    return stamped


def read_stamp(image: np.ndarray) -> int:
    value = 0
    half = STAMP_BLOCK // 2
    for bit in range(STAMP_BITS):
        row, col = divmod(bit, 16)
        y, x = row * STAMP_BLOCK + half, col * STAMP_BLOCK + half
        if image[y - 2 : y + 2, x - 2 : x + 2].mean() > 127:
            value |= 1 << bit
    return value


def stamped(frames: Iterable[Frame]) -> Iterator[Frame]:
    """Stamp each frame with the clock at the moment it is captured (handed to the device)."""
    for frame in frames:
        yield Frame(frame.index, frame.time_s, stamp(frame.image, now_ms()))


def mjpeg_frames(url: str, timeout_s: float = 10.0) -> Iterator[bytes]:
    """The JPEGs of the device's MJPEG (multipart/x-mixed-replace) stream."""
    with httpx.stream("GET", url, timeout=timeout_s) as response:
        response.raise_for_status()
        for _, jpeg in mjpeg_parts(response):
            yield jpeg


def latency_client(url: str, seconds: float, results: Any) -> None:
    """In its own process: read the stream, decode each JPEG, and measure its stamp's age."""
    latencies = []
    deadline = time.monotonic() + seconds
    for jpeg in mjpeg_frames(url):
        image = cv2.imdecode(np.frombuffer(jpeg, dtype=np.uint8), cv2.IMREAD_COLOR)
        latencies.append((now_ms() - read_stamp(image)) % (1 << STAMP_BITS))
        if time.monotonic() > deadline:
            break
    results.put(latencies)


@dataclass
class Latency:
    frames_shown: int
    median_ms: float
    p95_ms: float
    max_ms: float
    late_frames: int
    posed: int
    frames: int


def measure_latency(video: Path, library: Path) -> Latency:
    """Play the video at its frame rate through the device with the live view on."""
    view = LiveView("127.0.0.1", 0)
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    with open_source(video) as source:
        duration = (source.info.duration_s or 10.0) + 5.0
        client = context.Process(target=latency_client, args=(f"{view.url}stream.mjpg", duration, results))
        client.start()
        deadline = time.monotonic() + 60
        while not view.watched and time.monotonic() < deadline:
            time.sleep(0.05)
        _, stats = run_device(
            stamped(paced(source)), source.info, library, adaptive=True, realtime=True, live_view=view
        )
    view.close()
    latencies = np.array(results.get(timeout=60), dtype=float)
    client.join(10)
    valid = latencies[latencies < 10_000]  # a garbled stamp reads as an absurd age
    return Latency(
        len(valid),
        float(np.median(valid)),
        float(np.percentile(valid, 95)),
        float(valid.max()),
        stats.late,
        stats.posed,
        stats.frames,
    )


# ---------------------------------------------------------------------------------------------
# The whole benchmark
# ---------------------------------------------------------------------------------------------


def machine() -> str:
    return f"{cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}"


def pin(cores: set[int]) -> None:
    """Every thread of this process (and those it starts later) onto `cores`."""
    for thread in Path("/proc/self/task").iterdir():
        os.sched_setaffinity(int(thread.name), cores)


def bench_edge(data: Path, out: Path, core: int | None = None) -> dict[str, Any]:
    shutil.rmtree(out / "libraries", ignore_errors=True)  # every run starts with empty libraries
    out.mkdir(parents=True, exist_ok=True)
    all_cores = os.sched_getaffinity(0)
    pinned = core if core is not None else min(all_cores)
    pin({pinned})  # one core for all the device does: decoding, pose, clip encoding
    try:
        pieces = [offline_truth(path) for path in videos(data)]
        per_video = {}
        for piece in pieces:
            run = run_file(piece.path, out / "libraries" / piece.name, adaptive=True)
            per_video[piece.name] = {"score": asdict(score([piece.swing], run.swings)), **run.figures()}
        recording = out / "long_recording.mp4"
        truth = build_recording(pieces, recording)
        long = {}
        for mode, adaptive in (("adaptive", True), ("full_rate", False)):
            run = run_file(recording, out / "libraries" / f"long_{mode}", adaptive)
            long[mode] = {"score": asdict(score(truth, run.swings)), **run.figures()}
    finally:
        pin(all_cores)
    latency = measure_latency(data / LATENCY_VIDEO, out / "libraries" / "latency")
    return {
        "machine": machine(),
        "pinned_core": pinned,
        "device_backend": DEVICE_BACKEND,
        "truth_backend": TRUTH_BACKEND,
        "event_detector": create_event_detector().version,  # on the device and in the offline truth
        "tolerance_s": TOLERANCE_S,
        "videos": per_video,
        "long_recording": {
            "path": str(recording),
            "duration_s": round(long["adaptive"]["frames"] / STITCH_FPS, 1),
            "true_swings": len(truth),
            "pieces": [piece.name for piece in pieces],
            **long,
            "cpu_saved": round(1 - long["adaptive"]["cpu_s"] / long["full_rate"]["cpu_s"], 3),
        },
        "live_view": asdict(latency) | {"video": LATENCY_VIDEO, "cores": len(all_cores)},
    }
