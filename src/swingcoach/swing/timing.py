"""Swing timing at sub-frame precision: takeaway start, top and impact, and whether the cut holds the
whole backswing.

- Top and impact are the event detector's, at its sub-frame positions (`SwingEvents.positions`).
- The takeaway starts when the upper body leaves its address posture. The first centimetres of a
  takeaway are slower than pose noise, so a threshold on the displacement fires late (and later the
  slower the takeaway). Instead the motion of the hands and shoulders in the second and a half before
  the hands have clearly moved is fitted with a hinge: still until t0, then accelerating
  (displacement ~ (t - t0)^2); t0 is the takeaway start. The fit uses the whole curve, so neither
  noise nor the frame rate moves it by much.
- A cut that starts after the takeaway (no still address before the fitted start), or whose address
  lies in a previous swing, gets no tempo: a tempo from half a backswing is a wrong number, not a
  rough one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from swingcoach.pose.base import PoseSequence
from swingcoach.pose.skeleton import K
from swingcoach.swing.events.base import SwingEvents
from swingcoach.swing.features import hand_height, interpolate_gaps, midpoint, normalize

# The address lies within this many downswings before the top (tour tempo is 3:1; slow motion
# stretches both alike).
SEARCH_DOWNSWINGS = 8.0
CLEAR_MOVE = 0.2  # torso lengths: the hands have clearly left the address position
FIT_SPAN_S = 1.5
FIT_STEP = 0.1  # frames between candidate takeaway starts
MIN_STILL_BEFORE_S = 0.25  # an address needs this much still posture before the takeaway
STILL_LIMIT = 0.08  # torso lengths the upper body may drift during that stillness
ADDRESS_MAX_HEIGHT = 0.45  # hands above the hip centre at address, torso lengths


@dataclass(frozen=True)
class SwingTiming:
    """Sub-frame rows of the swing's timing events; `takeaway` is None when the cut does not show it."""

    fps: float
    top: float
    impact: float
    takeaway: float | None
    problem: str | None = None

    @property
    def backswing_s(self) -> float | None:
        return None if self.takeaway is None else (self.top - self.takeaway) / self.fps

    @property
    def downswing_s(self) -> float:
        return (self.impact - self.top) / self.fps

    @property
    def tempo_ratio(self) -> float | None:
        backswing = self.backswing_s
        return None if backswing is None or self.downswing_s <= 0 else backswing / self.downswing_s


def upper_body(norm: np.ndarray) -> np.ndarray:
    """(T, 6): the hands (wrist midpoint) and both shoulders, hip-centred, torso units."""
    return np.concatenate(
        [midpoint(norm, K.L_WRIST, K.R_WRIST), norm[:, K.L_SHOULDER], norm[:, K.R_SHOULDER]], axis=1
    )


def hinge_start(signal: np.ndarray, step: float = FIT_STEP) -> float:
    """t0 of the least-squares fit of signal(t) = b + c * max(t - t0, 0)^2 over rows 0..N-1."""
    rows = np.arange(len(signal), dtype=np.float64)
    candidates = np.arange(0.0, len(signal) - 2.0, step)
    if len(candidates) == 0:
        return 0.0
    ramp = np.clip(rows[None, :] - candidates[:, None], 0.0, None) ** 2  # (K, N)
    ramp_mean = ramp.mean(axis=1, keepdims=True)
    centred_ramp = ramp - ramp_mean
    centred = signal - signal.mean()
    slope = (centred_ramp @ centred) / np.maximum((centred_ramp**2).sum(axis=1), 1e-12)
    residual = centred[None, :] - slope[:, None] * centred_ramp
    return float(candidates[int(np.argmin((residual**2).mean(axis=1)))])


def takeaway_start(norm: np.ndarray, top: int, impact: int, fps: float) -> tuple[float | None, str | None]:
    """Sub-frame row where the takeaway starts, or None and the reason it cannot be seen."""
    first = max(0, top - round(SEARCH_DOWNSWINGS * max(impact - top, 1)))
    height = hand_height(norm)
    address = first + int(np.argmin(height[first : top + 1]))
    body = upper_body(norm)
    hands = body[:, :2]
    moved = np.linalg.norm(hands[address : top + 1] - hands[address], axis=1) > CLEAR_MOVE
    if not moved.any():
        return None, "the hands never leave their address position before the top"
    clear = address + int(np.argmax(moved))
    start = max(0, clear - round(FIT_SPAN_S * fps))
    segment = body[start : clear + 1]
    direction = segment[-1] - segment[0]
    norm_direction = float(np.linalg.norm(direction))
    if len(segment) < 4 or norm_direction < 1e-9:
        return None, "the clip starts after the takeaway began"
    signal = (segment - segment[0]) @ (direction / norm_direction)
    onset = start + hinge_start(signal)
    still_from, still_to = int(onset) - round(MIN_STILL_BEFORE_S * fps), int(onset) + 1
    if still_from < 0:
        return None, "the clip starts after the takeaway began (no still address before it)"
    before = body[still_from:still_to]
    drift = float(np.linalg.norm(before - before[0], axis=-1).max())
    if drift > STILL_LIMIT or height[still_from:still_to].max() > ADDRESS_MAX_HEIGHT:
        return None, "no still address before the takeaway (the clip starts in motion, or in another swing)"
    return float(onset), None


def swing_timing(sequence: PoseSequence, events: SwingEvents) -> SwingTiming:
    """Timing of one right-handed swing; `events` index `sequence`."""
    norm = normalize(interpolate_gaps(sequence.keypoints))
    takeaway, problem = takeaway_start(norm, events["top"], events["impact"], sequence.fps)
    return SwingTiming(
        fps=sequence.fps,
        top=events.position("top"),
        impact=events.position("impact"),
        takeaway=takeaway,
        problem=problem,
    )
