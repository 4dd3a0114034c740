"""Accuracy and speed of the 2D -> 3D lifter.

Human3.6M protocol #1 (docs/lift.md): trained on S1 S5 S6 S7 S8, tested on every frame of S9 and
S11 in ../shared/data/h36m, all four cameras; MPJPE is the mean distance between predicted and true
joints (17 H36M joints, both pelvis-centred) in mm, PA-MPJPE the same after a per-frame similarity
alignment (rotation, translation, scale). Per action: the mean over all frames of its takes and
cameras; overall: the mean of the 15 action means. Input: Stacked-Hourglass detections ("sh") or
the projected ground truth ("gt").
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from swingcoach.analysis.metrics import ANGLES_3D
from swingcoach.analysis.swing import SwingAnalysis, analyze_swing
from swingcoach.pipeline import extract_poses, swing_sequences
from swingcoach.pose.base import PoseBackend
from swingcoach.pose.lift import (
    H36M_JOINTS,
    INPUT_JOINTS,
    Lifter,
    finish_sequence,
    frame_stride,
    normalize_input,
    window_indices,
)
from swingcoach.swing.events import EventDetector
from swingcoach.train.h36m import OFFSET_TAKES, TEST_SUBJECTS, Take, load_takes

SOURCES = ("sh", "gt")
RunWindows = Callable[[np.ndarray], np.ndarray]


def mpjpe(predicted: np.ndarray, target: np.ndarray) -> np.ndarray:
    """(N, J, 3) -> (N,) mean joint distance per frame."""
    return np.linalg.norm(predicted - target, axis=-1).mean(axis=-1)


def pa_mpjpe(predicted: np.ndarray, target: np.ndarray) -> np.ndarray:
    """(N, J, 3) -> (N,) MPJPE after aligning each predicted frame to its target (Procrustes with
    scale: rotation, translation and scale that best fit)."""
    mu_p, mu_t = predicted.mean(axis=1, keepdims=True), target.mean(axis=1, keepdims=True)
    p, t = predicted - mu_p, target - mu_t
    norm_p = np.linalg.norm(p, axis=(1, 2), keepdims=True)
    norm_t = np.linalg.norm(t, axis=(1, 2), keepdims=True)
    p, t = p / norm_p, t / norm_t
    u, s, vt = np.linalg.svd(np.swapaxes(t, 1, 2) @ p)
    v = np.swapaxes(vt, 1, 2)
    rotation = v @ np.swapaxes(u, 1, 2)
    # No reflections: flip the least significant direction when the determinant is negative.
    sign = np.sign(np.linalg.det(rotation))
    v[:, :, -1] *= sign[:, None]
    s[:, -1] *= sign
    rotation = v @ np.swapaxes(u, 1, 2)
    scale = s.sum(axis=1)[:, None, None] * norm_t / norm_p
    aligned = scale * (predicted - mu_p) @ rotation + mu_t
    return mpjpe(aligned, target)


@dataclass
class TakeErrors:
    """Summed per-frame errors (metres) of one take seen by one camera."""

    subject: str
    take: str
    action: str
    mpjpe: float
    pa_mpjpe: float
    frames: int
    joint_errors: np.ndarray  # (17,) summed distance of each H36M joint


@dataclass
class LiftScores:
    """Errors in mm per action, and their means over actions; per joint, the mean over all frames."""

    mpjpe_by_action: dict[str, float]
    pa_mpjpe_by_action: dict[str, float]
    mpjpe_by_joint: dict[str, float]
    frames: int

    @property
    def mpjpe(self) -> float:
        return float(np.mean(list(self.mpjpe_by_action.values())))

    @property
    def pa_mpjpe(self) -> float:
        return float(np.mean(list(self.pa_mpjpe_by_action.values())))

    @classmethod
    def from_takes(
        cls, takes: list[TakeErrors], exclude: frozenset[tuple[str, str]] = frozenset()
    ) -> LiftScores:
        sums: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(3))
        joints = np.zeros(len(H36M_JOINTS))
        for t in takes:
            if (t.subject, t.take) not in exclude:
                sums[t.action] += (t.mpjpe, t.pa_mpjpe, t.frames)
                joints += t.joint_errors
        actions = sorted(sums)
        frames = int(sum(sums[a][2] for a in actions))
        return cls(
            mpjpe_by_action={a: 1000 * sums[a][0] / sums[a][2] for a in actions},
            pa_mpjpe_by_action={a: 1000 * sums[a][1] / sums[a][2] for a in actions},
            mpjpe_by_joint={j: 1000 * e / frames for j, e in zip(H36M_JOINTS, joints, strict=True)},
            frames=frames,
        )


def evaluate(
    run_windows: RunWindows,
    receptive_field: int,
    causal: bool,
    takes: list[Take],
    source: str,
    every: int = 1,
) -> list[TakeErrors]:
    """Lift every `every`-th frame of each take from `source` 2D and score it against the 3D.
    Takes without that input (S11 Directions has no SH detections in one camera) are left out.
    The lifted frames of a take are finished as the run time finishes a whole video
    (`finish_sequence`: constant bone lengths for a centred lifter)."""
    out = []
    for take in takes:
        points = take.sh2d if source == "sh" else take.gt2d
        if points is None:
            continue
        length = len(points)
        targets = np.arange(0, length, every)
        windows = window_indices(
            targets,
            np.zeros_like(targets),
            np.full_like(targets, length - 1),
            receptive_field,
            frame_stride(take.fps),
            causal,
        )
        predicted = finish_sequence(run_windows(normalize_input(points)[windows]), causal)
        truth = take.pose3d[targets]
        distances = np.linalg.norm(predicted - truth, axis=-1)
        out.append(
            TakeErrors(
                subject=take.subject,
                take=take.take,
                action=take.action,
                mpjpe=float(distances.mean(axis=-1).sum()),
                pa_mpjpe=float(pa_mpjpe(predicted, truth).sum()),
                frames=len(targets),
                joint_errors=distances.sum(axis=0),
            )
        )
    return out


@dataclass
class LifterBench:
    name: str
    params: int
    receptive_field: int
    causal: bool
    scores: dict[str, LiftScores]  # by input source
    scores_without_offset_takes: dict[str, LiftScores]
    seconds: float


def bench_lifter(lifter: Lifter, takes: list[Take]) -> LifterBench:
    """The protocol for one lifter, on both inputs, with and without the three offset S9 takes."""
    started = time.perf_counter()
    errors = {
        source: evaluate(lifter.run_windows, lifter.receptive_field, lifter.causal, takes, source)
        for source in SOURCES
    }
    return LifterBench(
        name=lifter.version,
        params=lifter.params,
        receptive_field=lifter.receptive_field,
        causal=lifter.causal,
        scores={s: LiftScores.from_takes(e) for s, e in errors.items()},
        scores_without_offset_takes={s: LiftScores.from_takes(e, OFFSET_TAKES) for s, e in errors.items()},
        seconds=time.perf_counter() - started,
    )


def load_test_takes(data_dir: Path) -> list[Take]:
    return load_takes(data_dir, TEST_SUBJECTS)


def latency_ms(lifter: Lifter, batch: int, repeats: int = 200) -> float:
    """Median milliseconds per lifted frame with `batch` windows per call (1 = streaming)."""
    windows = np.random.default_rng(0).normal(size=(batch, lifter.receptive_field, 12, 2)).astype(np.float32)
    lifter.run_windows(windows)
    times = []
    for _ in range(max(3, repeats // batch)):
        started = time.perf_counter()
        lifter.run_windows(windows)
        times.append((time.perf_counter() - started) / batch)
    return 1000 * float(np.median(times))


# ---------------------------------------------------------------------------------------------
# Agreement with the pose backend's own 3D on real swing videos (no ground truth: how far apart)
# ---------------------------------------------------------------------------------------------

AGREEMENT_ANGLES = tuple(ANGLES_3D)


@dataclass
class SwingAgreement:
    """One swing measured twice with the product's 3D metric definitions (`ANGLES_3D`): with the
    backend's world landmarks and with the lifter's 3D (same 2D, events and handedness)."""

    video: str
    swing: int
    view: str
    frames: int
    mpjpe_mm: float  # the 12 shared joints, both hip-centred
    pa_mpjpe_mm: float  # after a per-frame similarity alignment
    backend: dict[str, float]
    lifted: dict[str, float]


def agreement_videos(data_dir: Path) -> list[Path]:
    """The real swing videos in ../shared/data."""
    return [*sorted((data_dir / "phone_swings").glob("*.mp4")), data_dir / "videos" / "golfdb_test_video.mp4"]


def _angles_3d(analysis: SwingAnalysis) -> dict[str, float]:
    values = {name: measure(analysis.measured) for name, measure in ANGLES_3D.items()}
    return {name: float("nan") if v is None else float(v) for name, v in values.items()}


def compare_3d(video: Path, backend: PoseBackend, detector: EventDetector) -> list[SwingAgreement]:
    """Every swing of the video, measured with the backend's 3D and with the lifter's."""
    sequence, _ = extract_poses(video, backend)
    out = []
    for index, piece in enumerate(swing_sequences(sequence)):
        lifted = analyze_swing(piece, detector, index)
        assert piece.world is not None
        with_backend = analyze_swing(piece, detector, index, lifted.orientation.handedness, world=piece.world)
        a, b = with_backend.measured.body.world, lifted.measured.body.world
        both = np.isfinite(a).all(axis=(1, 2)) & np.isfinite(b).all(axis=(1, 2))
        a, b = a[both][:, INPUT_JOINTS], b[both][:, INPUT_JOINTS]
        out.append(
            SwingAgreement(
                video=video.name,
                swing=index + 1,
                view=lifted.orientation.view,
                frames=int(both.sum()),
                mpjpe_mm=1000 * float(mpjpe(b, a).mean()),
                pa_mpjpe_mm=1000 * float(pa_mpjpe(b, a).mean()),
                backend=_angles_3d(with_backend),
                lifted=_angles_3d(lifted),
            )
        )
    return out
