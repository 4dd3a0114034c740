"""Long practice sessions: peak memory and time of `swingcoach analyze` against the video's length.

The input is made from a real swing: the clip is scaled into a 1080x1920 (portrait) or 1920x1080
frame and repeated with the golfer held still at address in between (`IDLE_S`), so a session of N
minutes holds about N * 60 / (clip + gap) swings. Each length runs `swingcoach analyze` in a fresh
process, which reports its own peak RSS, so lengths do not share a heap. A process's peak varies
by some 30 MB from run to run (allocator and thread pools), so the shortest length, the baseline,
runs BASELINE_RUNS times and its median is the figure the longest is held to.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import av
import cv2
import numpy as np

from swingcoach.video.source import open_source
from swingcoach.video.writer import VideoWriter

IDLE_S = 10.0
BASELINE_RUNS = 3
FPS = 30.0
FULL_HD = (1080, 1920)  # the long side is 1920, the short 1080, as the clip is oriented
# The child runs the command line in-process and writes its own peak RSS when it exits.
_CHILD = """
import atexit, json, pathlib, sys
from swingcoach.cli.app import main
figures = pathlib.Path(sys.argv[1])
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent.
peak_kb = lambda: next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
atexit.register(lambda: figures.write_text(json.dumps({"peak_rss_mb": peak_kb() / 1024})))
sys.argv = ["swingcoach", *sys.argv[2:]]
main()
"""


@dataclass(frozen=True)
class SessionRun:
    minutes: float
    frames: int
    frame_size: str
    swings: int
    peak_rss_mb: float
    wall_s: float
    s_per_video_minute: float
    report_html_mb: float
    annotated_mb: float
    annotated_mbit_s: float


def _fit(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The frame scaled into `size` (w, h) and centred on black."""
    width, height = size
    scale = min(width / image.shape[1], height / image.shape[0])
    scaled = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)))
    canvas = np.zeros((height, width, 3), np.uint8)
    top, left = (height - scaled.shape[0]) // 2, (width - scaled.shape[1]) // 2
    canvas[top : top + scaled.shape[0], left : left + scaled.shape[1]] = scaled
    return canvas


def make_session(clip: Path, minutes: float, path: Path) -> tuple[int, tuple[int, int]]:
    """Write a session of about `minutes` at 30 fps: (still address for IDLE_S, the swing) repeated.
    One cycle is encoded, then its packets are copied with shifted timestamps (no re-encoding), so
    an hour takes seconds to make."""
    cycle_path = path.with_suffix(".cycle.mp4")
    with open_source(clip) as video:
        portrait = video.info.height >= video.info.width
        size = FULL_HD if portrait else FULL_HD[::-1]
        with VideoWriter(cycle_path, FPS, *size, crf=30) as out:
            for frame in video:  # one frame at a time: a 1080p clip held whole would take gigabytes
                image = _fit(frame.image, size)
                for _ in range(round(IDLE_S * FPS) if frame.index == 0 else 0):
                    out.write(image)
                out.write(image)
    swing_frames = frame.index + 1
    cycle_frames = round(IDLE_S * FPS) + swing_frames
    repeats = max(1, round(minutes * 60 * FPS / cycle_frames))
    with av.open(str(cycle_path)) as source, av.open(str(path), "w") as target:
        stream_in = source.streams.video[0]
        stream_out = target.add_stream_from_template(stream_in)
        packets = [p for p in source.demux(stream_in) if p.pts is not None]
        # One frame's duration after the last: in decode order, neighbouring packets can be B-frames apart.
        span = max(p.pts for p in packets) + round(1 / (FPS * stream_in.time_base))
        for repeat in range(repeats):
            for packet in packets:
                packet.pts += span if repeat else 0
                packet.dts = None if packet.dts is None else packet.dts + (span if repeat else 0)
                packet.stream = stream_out
                target.mux(packet)
    cycle_path.unlink()
    return repeats * cycle_frames, size


def run_length(clip: Path, minutes: float, backend: str, work: Path) -> SessionRun:
    video = work / f"session_{minutes:g}min.mp4"
    frames, (width, height) = make_session(clip, minutes, video)
    out, figures = work / f"report_{minutes:g}min", work / f"rss_{minutes:g}min.json"
    command = [sys.executable, "-c", _CHILD, str(figures), "analyze", str(video), "--out", str(out)]
    start = time.perf_counter()
    subprocess.run([*command, "--backend", backend], check=True, capture_output=True)
    wall = time.perf_counter() - start
    report = json.loads((out / "report.json").read_text())
    annotated = (out / "annotated.mp4").stat().st_size
    seconds = frames / FPS
    run = SessionRun(
        minutes=minutes,
        frames=frames,
        frame_size=f"{width}x{height}",
        swings=len(report["swings"]),
        peak_rss_mb=round(json.loads(figures.read_text())["peak_rss_mb"], 1),
        wall_s=round(wall, 1),
        s_per_video_minute=round(wall / (seconds / 60), 1),
        report_html_mb=round((out / "report.html").stat().st_size / 1e6, 3),
        annotated_mb=round(annotated / 1e6, 2),
        annotated_mbit_s=round(8 * annotated / seconds / 1e6, 2),
    )
    video.unlink()
    return run


def bench_session(clip: Path, lengths: list[float], backend: str) -> dict:
    """Each length in its own process; the peak RSS of the longest against the shortest's median."""
    shortest, *longer = sorted(lengths)
    with tempfile.TemporaryDirectory(prefix="swingcoach-session-") as work:
        baseline = [run_length(clip, shortest, backend, Path(work)) for _ in range(BASELINE_RUNS)]
        runs = [run_length(clip, minutes, backend, Path(work)) for minutes in longer]
    baseline_peak = statistics.median(run.peak_rss_mb for run in baseline)
    growth = (runs[-1].peak_rss_mb if runs else baseline_peak) / baseline_peak - 1
    return {
        "clip": str(clip),
        "backend": backend,
        "idle_s": IDLE_S,
        "runs": [asdict(run) for run in [baseline[0], *runs]],
        "baseline_peaks_mb": [run.peak_rss_mb for run in baseline],
        "baseline_peak_mb": baseline_peak,
        "rss_growth_pct": round(100 * growth, 1),
        "goal_pct": 15.0,
        "met": bool(growth <= 0.15),
    }
