"""GolfDB swings for the event model: loading, augmentation and per-step targets (numpy only).

Kept free of torch so that `swingcoach bench events` can score the rule detector without it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from swingcoach.errors import InputError
from swingcoach.pose.base import PoseSequence
from swingcoach.pose.landmark_files import load_landmark_file
from swingcoach.pose.skeleton import mirror_keypoints
from swingcoach.swing.events.base import EVENT_NAMES
from swingcoach.swing.events.model import normalized_points, swing_tempo
from swingcoach.swing.features import interpolate_gaps

# MediaPipe's relative depth spans about three times a body's real depth.
DEPTH_SHRINK = 0.3
# Contrastive labels: each inter-event interval split in this many parts (see swing_clock).
CLOCK_BINS_PER_EVENT = 2


@dataclass
class Clip:
    """One GolfDB swing: normalised keypoints, true events, rule tempo and split."""

    name: str
    points: np.ndarray  # (T, 17, 2) normalised keypoints
    depth: np.ndarray  # (T, 17) relative depth, in the units of `points`
    events: np.ndarray  # (8,) true event frames
    tempo: float  # frames per tempo unit, as the run-time detector estimates it
    split: int
    slow: bool
    sequence: PoseSequence = field(repr=False)  # what the run-time detector is given


def load_golfdb(data: Path) -> list[Clip]:
    """Every `poses/<id>.npz` of a GolfDB landmark folder, in id order."""
    paths = sorted((data / "poses").glob("*.npz"), key=lambda p: (len(p.stem), p.stem))
    if not paths:
        raise InputError(f"no GolfDB landmark files (poses/*.npz) in {data}")
    clips = []
    for path in paths:
        sequence = load_landmark_file(path)
        with np.load(path) as z:
            events, split, slow = z["events"].astype(np.int64), int(z["split"]), bool(z["slow"])
        points = normalized_points(sequence)
        clips.append(
            Clip(
                name=path.stem,
                points=points,
                depth=relative_depth(sequence, points),
                events=events,
                tempo=swing_tempo(sequence),
                split=split,
                slow=slow,
                sequence=sequence,
            )
        )
    return clips


def relative_depth(sequence: PoseSequence, points: np.ndarray) -> np.ndarray:
    """The landmark files' depth channel in the units of the normalised keypoints."""
    if sequence.world is None:
        return np.zeros(points.shape[:2])
    world = interpolate_gaps(sequence.world)
    scale = np.median(np.linalg.norm(world[..., :2], axis=-1)) / np.median(np.linalg.norm(points, axis=-1))
    return world[..., 2] / scale * DEPTH_SHRINK


@dataclass(frozen=True)
class Augmentation:
    mirror: float = 0.5  # probability of a left-handed copy
    yaw_deg: float = 40.0  # the body turned about the vertical axis (uses the depth): another view
    rotation_deg: float = 10.0  # camera roll
    scale: float = 0.1
    stretch: float = 0.25  # horizontal stretch, a crude change of camera angle
    tempo: float = 0.2  # log-normal sigma of the tempo estimate's error (temporal speed)
    noise: float = 0.03  # torso lengths, upper bound of the per-clip keypoint noise
    dropout: float = 0.05  # upper bound of the fraction of keypoints lost (then interpolated)
    crop: float = 0.5  # up to this fraction of the frames before address / after finish is cut


def augment(clip: Clip, rng: np.random.Generator, aug: Augmentation) -> tuple[np.ndarray, np.ndarray, float]:
    """A randomly altered copy of a clip: (points, events, tempo)."""
    events = clip.events
    start = int(rng.integers(0, int(aug.crop * events[0]) + 1))
    stop = len(clip.points) - int(rng.integers(0, int(aug.crop * (len(clip.points) - 1 - events[-1])) + 1))
    points, events = clip.points[start:stop].copy(), events - start
    yaw = np.radians(rng.uniform(-aug.yaw_deg, aug.yaw_deg))
    points[..., 0] = points[..., 0] * np.cos(yaw) + clip.depth[start:stop] * np.sin(yaw)
    if rng.random() < aug.mirror:
        points = mirror_keypoints(points, None)
    lost = rng.random(points.shape[:2]) < rng.uniform(0, aug.dropout)
    lost[[0, -1]] = False
    for joint in np.flatnonzero(lost.any(axis=0)):
        gone, kept = np.flatnonzero(lost[:, joint]), np.flatnonzero(~lost[:, joint])
        for axis in range(2):
            points[gone, joint, axis] = np.interp(gone, kept, points[kept, joint, axis])
    angle = np.radians(rng.uniform(-aug.rotation_deg, aug.rotation_deg))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    stretch = np.array([rng.uniform(1 - aug.stretch, 1 + aug.stretch), 1.0])
    points = (points @ rotation.T) * stretch * rng.uniform(1 - aug.scale, 1 + aug.scale)
    points += rng.normal(0, rng.uniform(0, aug.noise), points.shape)
    return points, events, clip.tempo * math.exp(rng.normal(0, aug.tempo))


def tolerance(events: np.ndarray) -> int:
    """GolfDB PCE tolerance in frames: max(1, round((impact - address) / 30)), true events."""
    return max(1, round((int(events[5]) - int(events[0])) / 30))


def pce_hits(predicted: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Per event: is the prediction within the PCE tolerance of the true frame?"""
    return np.abs(np.asarray(predicted) - truth) <= tolerance(truth)


def event_targets(times: np.ndarray, events: np.ndarray, sigma: float) -> np.ndarray:
    """Soft per-step targets (steps, 9): a Gaussian of `sigma` frames around each event, then "none"."""
    weights = np.exp(-0.5 * ((times[:, None] - events[None, :]) / sigma) ** 2)
    weights /= np.maximum(weights.sum(axis=1, keepdims=True), 1.0)
    return np.concatenate([weights, 1 - weights.sum(axis=1, keepdims=True)], axis=1).astype(np.float32)


def phase_labels(times: np.ndarray, events: np.ndarray) -> np.ndarray:
    """Fine phase of each step: 0 up to address, k after event k-1 up to event k, 8 after finish."""
    return np.searchsorted(events, times, side="left")


def swing_clock(times: np.ndarray, events: np.ndarray, tempo: float) -> np.ndarray:
    """Position in the swing: 0 at address, 1 at toe-up, ... 7 at finish, linear in between;
    one per tempo unit before address and after finish."""
    clock = np.interp(times, events, np.arange(len(events), dtype=np.float64))
    clock = np.where(times < events[0], (times - events[0]) / tempo, clock)
    return np.where(times > events[-1], len(events) - 1 + (times - events[-1]) / tempo, clock)


def clock_labels(times: np.ndarray, events: np.ndarray, tempo: float) -> np.ndarray:
    """Contrastive class of each step: its part of its phase (half an inter-event interval), so
    positives are the same part of the swing in other clips and the step's temporal neighbours."""
    bins = np.floor(swing_clock(times, events, tempo) * CLOCK_BINS_PER_EVENT)
    return np.clip(bins, -CLOCK_BINS_PER_EVENT, len(EVENT_NAMES) * CLOCK_BINS_PER_EVENT).astype(np.int64)
