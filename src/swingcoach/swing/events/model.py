"""Learned event detector: per-frame event and phase probabilities from a small ONNX model, then
ordered decoding. Needs only numpy, scipy and onnxruntime.

Features (`swing_features`, the same in training and at run time):
1. Keypoints: gaps interpolated, then `features.normalize` (root-centred on the hip centre, divided
   by the median torso length, y up); 13 body keypoints (eyes and ears add only noise).
2. Time: the tempo unit is the rule detector's mid-backswing -> impact span in frames
   (`swing_tempo`). The keypoints are smoothed (0.03 units) and resampled to a grid of
   STEPS_PER_UNIT steps per unit, so one swing gives the same grid at 30, 60, 120 or 240 fps
   and in slow motion.
3. Per grid step: the 26 coordinates and their velocities (torso lengths per unit).

The network maps the grid (1, steps, 52) to per-step logits (1, steps, 18): 9 event classes
(the 8 GolfDB events, then "no event") and 9 fine phases (before address, address -> toe-up, ...,
after finish). The logits are interpolated back to the sequence's frames; `decode_events` then
picks exactly one frame per event, in order, maximising the summed log-probabilities of the
events and of the phases they imply.
"""

from __future__ import annotations

import hashlib
from functools import cached_property
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter1d

from swingcoach.errors import NoSwingError
from swingcoach.pose.base import PoseSequence
from swingcoach.pose.skeleton import K
from swingcoach.runtime import InferenceSession, load_session
from swingcoach.swing.events.base import EVENT_NAMES, SwingEvents
from swingcoach.swing.events.rules import RuleEventDetector
from swingcoach.swing.features import interpolate_gaps, normalize

MODELS = Path(__file__).parent / "models"
DEFAULT_MODEL = MODELS / "events_supcon.onnx"
INT8_MODEL = MODELS / "events_supcon_int8.onnx"
JOINTS = np.array([K.NOSE, *range(K.L_SHOULDER, K.R_ANKLE + 1)])
NUM_FEATURES = 4 * len(JOINTS)  # x, y and their velocities
NUM_EVENT_CLASSES = len(EVENT_NAMES) + 1
NUM_PHASES = len(EVENT_NAMES) + 1
NUM_OUTPUTS = NUM_EVENT_CLASSES + NUM_PHASES
STEPS_PER_UNIT = 32
SMOOTHING_UNITS = 0.03
MIN_TEMPO_FRAMES = 4.0
# Weight of one grid step's phase term against one event term in the decoding (chosen by 4-fold CV).
PHASE_WEIGHT = 0.3
# Sub-frame refinement looks this many tempo units either side of each decoded event (about 2 frames
# of a 30 fps swing, where a unit is some 22 frames).
REFINE_UNITS = 0.1


def swing_tempo(sequence: PoseSequence) -> float:
    """Frames per tempo unit: the rule detector's mid-backswing -> impact span."""
    events = RuleEventDetector().detect(sequence)
    return max(float(events["impact"] - events["mid_backswing"]), MIN_TEMPO_FRAMES)


def normalized_points(sequence: PoseSequence) -> np.ndarray:
    if sequence.valid.sum() < 3:
        raise NoSwingError("too few frames with a person to find swing events")
    return normalize(interpolate_gaps(sequence.keypoints))


def resample(rows: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Rows of a (N, C) array linearly interpolated at fractional row positions in [0, N - 1]."""
    below = np.minimum(positions.astype(np.int64), len(rows) - 1)
    above = np.minimum(below + 1, len(rows) - 1)
    fraction = (positions - below)[:, None]
    return rows[below] * (1 - fraction) + rows[above] * fraction


def swing_features(points: np.ndarray, tempo: float) -> tuple[np.ndarray, np.ndarray]:
    """(T, 17, 2) normalised keypoints -> grid features (steps, NUM_FEATURES) and each step's frame time."""
    coordinates = points[:, JOINTS].reshape(len(points), -1)
    smoothed = gaussian_filter1d(coordinates, SMOOTHING_UNITS * tempo, axis=0, mode="nearest")
    times = np.arange(0.0, len(points) - 1 + 1e-9, tempo / STEPS_PER_UNIT)
    positions = resample(smoothed, times)
    velocities = (
        np.gradient(positions, axis=0) * STEPS_PER_UNIT if len(times) > 1 else np.zeros_like(positions)
    )
    return np.concatenate([positions, velocities], axis=1).astype(np.float32), times


def decode_events(
    event_log_probs: np.ndarray, phase_log_probs: np.ndarray | None = None, phase_weight: float = 1.0
) -> tuple[int, ...]:
    """Exactly one frame per event in GolfDB order, maximising the summed log-probabilities.

    event_log_probs (T, >=8): log p(event k at frame t). phase_log_probs (T, 9), optional:
    log p(frame t in phase j), phase j being the frames after event j-1 up to event j; with it
    the score adds, times `phase_weight`, every frame's term for the phase the events put it in.
    Returns 8 frames, strictly increasing (non-decreasing if T < 8). Dynamic programming over
    (event, frame), linear in T.
    """
    length, count = len(event_log_probs), len(EVENT_NAMES)
    gap = 1 if length >= count else 0
    if phase_log_probs is None:
        cumulative = np.zeros((length, count + 1))
    else:
        cumulative = np.cumsum(phase_weight * phase_log_probs.astype(np.float64), axis=0)
    index = np.arange(length)
    best = cumulative[:, 0] + event_log_probs[:, 0]  # best score with event 0 at frame t
    origins = []
    for k in range(1, count):
        # Phase k spans the frames after event k-1 up to event k: a difference of cumulative sums.
        before = best - cumulative[:, k]
        running = np.maximum.accumulate(before)
        where = np.maximum.accumulate(np.where(before >= running, index, 0))
        previous = np.full(length, -np.inf)
        previous[gap:] = running[: length - gap]
        origin = np.zeros(length, dtype=np.int64)
        origin[gap:] = where[: length - gap]
        origins.append(origin)
        best = previous + cumulative[:, k] + event_log_probs[:, k]
    best += cumulative[-1, count] - cumulative[:, count]
    frames = [int(np.argmax(best))]
    for origin in reversed(origins):
        frames.append(int(origin[frames[-1]]))
    return tuple(reversed(frames))


def refine_positions(
    event_log_probs: np.ndarray, frames: tuple[int, ...], half_width: float
) -> tuple[float, ...]:
    """Each decoded event at sub-frame precision: the probability-weighted mean row within
    `half_width` rows of its frame, kept between its neighbours' frames so the order holds. The
    probabilities come from a tempo-normalised grid, so the result moves smoothly with the frame rate
    instead of in whole frames."""
    length = len(event_log_probs)
    reach = max(1, round(half_width))
    out = []
    for k, frame in enumerate(frames):
        low = max(0, frame - reach, frames[k - 1] if k else 0)
        high = min(length - 1, frame + reach, frames[k + 1] if k + 1 < len(frames) else length - 1)
        rows = np.arange(low, high + 1)
        weights = np.exp(event_log_probs[rows, k] - event_log_probs[rows, k].max())
        out.append(float(np.sum(rows * weights) / np.sum(weights)))
    return tuple(out)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


class LearnedEventDetector:
    """Events from an ONNX model over the tempo-normalised pose sequence (see the module docstring)."""

    name = "learned"

    def __init__(self, model: Path = DEFAULT_MODEL, threads: int = 1) -> None:
        self.model = model
        self.threads = threads

    @cached_property
    def version(self) -> str:
        """The model file's name and content: a retrained model gets a new version."""
        return f"{self.model.stem}-{hashlib.sha256(self.model.read_bytes()).hexdigest()[:8]}"

    @cached_property
    def session(self) -> InferenceSession:
        return load_session(self.model, self.threads)

    def log_probabilities(self, sequence: PoseSequence) -> tuple[np.ndarray, np.ndarray, float]:
        """Per-frame log-probabilities of the events (T, 9: EVENT_NAMES, then "none") and of the
        fine phases (T, 9), and the tempo (frames per unit) they were computed at."""
        tempo = swing_tempo(sequence)
        features, times = swing_features(normalized_points(sequence), tempo)
        logits = self.session.run(features[None])[0][0]
        # Frame f lies at grid position f / (frames per step), the last frame at or past the last step.
        grid_positions = np.minimum(np.arange(len(sequence)) * STEPS_PER_UNIT / tempo, len(times) - 1)
        per_frame = resample(logits, grid_positions)
        return (
            log_softmax(per_frame[:, :NUM_EVENT_CLASSES]),
            log_softmax(per_frame[:, NUM_EVENT_CLASSES:]),
            tempo,
        )

    def detect(self, sequence: PoseSequence) -> SwingEvents:
        events, phases, tempo = self.log_probabilities(sequence)
        # Phase terms count once per grid step, whatever the frame rate.
        frames = decode_events(events, phases, PHASE_WEIGHT * STEPS_PER_UNIT / tempo)
        return SwingEvents(frames, refine_positions(events, frames, REFINE_UNITS * tempo))
