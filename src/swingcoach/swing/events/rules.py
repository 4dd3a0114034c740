"""Rule-based event detector: hand-height landmarks of the swing plus timing ratios.

1. Hand height (wrist midpoint above the hip centre, torso lengths) is smoothed over 30 ms.
2. The swing is the pair of consecutive hand-height peaks with the deepest valley between them:
   the first peak is the top, the valley is impact, the second peak the follow-through.
3. Address: the takeaway onset (hands start moving steadily towards the top), moved back by a
   fraction of the downswing time, the way the GolfDB annotators mark it.
4. Finish: the hands have passed their follow-through peak and slowed below a fraction of the
   swing's peak speed.
5. Toe-up and mid-backswing: fixed fractions of the way from takeaway onset to top; mid-downswing
   and mid-follow-through: fixed ratios of the downswing time (top -> impact). The ratios were
   fitted on the GolfDB landmark files (see `swingcoach bench events`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks

from swingcoach.errors import NoSwingError
from swingcoach.pose.base import PoseSequence
from swingcoach.pose.skeleton import K
from swingcoach.swing.events.base import SwingEvents
from swingcoach.swing.features import hand_height, hand_speed, interpolate_gaps, midpoint, normalize, smooth


@dataclass(frozen=True)
class RuleParameters:
    smoothing_s: float = 0.03
    peak_prominence: float = 0.3  # torso lengths
    onset_window_s: float = 0.2
    onset_distance: float = 0.03  # torso lengths the hands move in onset_window_s
    address_before_onset: float = 0.2  # x downswing time
    finish_speed: float = 0.2  # x peak hand speed
    finish_after_stop: float = 0.5  # x downswing time
    toe_up_fraction: float = 0.4  # of the way from takeaway onset to top
    mid_backswing_fraction: float = 0.6
    mid_downswing_after_top: float = 0.56
    mid_follow_through_after_impact: float = 0.31


class RuleEventDetector:
    name = "rules"
    version = "rules-1"

    def __init__(self, parameters: RuleParameters | None = None) -> None:
        self.p = parameters or RuleParameters()

    def detect(self, sequence: PoseSequence) -> SwingEvents:
        if sequence.valid.sum() < 3:
            raise NoSwingError("too few frames with a person to find swing events")
        p, fps = self.p, sequence.fps
        norm = smooth(normalize(interpolate_gaps(sequence.keypoints)), fps, p.smoothing_s)
        height = hand_height(norm)
        speed = hand_speed(norm, fps)
        top, impact, follow_peak = self._top_impact(height)
        downswing = max(impact - top, 1)
        onset = self._takeaway_onset(midpoint(norm, K.L_WRIST, K.R_WRIST), height, top, fps)
        peak_speed = speed[top : impact + 1].max()
        stop = next(
            (t for t in range(follow_peak, len(speed)) if speed[t] < p.finish_speed * peak_speed),
            len(speed) - 1,
        )
        frames = [
            onset - p.address_before_onset * downswing,
            onset + p.toe_up_fraction * (top - onset),
            onset + p.mid_backswing_fraction * (top - onset),
            top,
            top + p.mid_downswing_after_top * downswing,
            impact,
            impact + p.mid_follow_through_after_impact * downswing,
            stop + p.finish_after_stop * downswing,
        ]
        clipped = np.clip(np.round(frames), 0, len(sequence) - 1).astype(int)
        return SwingEvents(tuple(int(f) for f in np.maximum.accumulate(clipped)))

    def _top_impact(self, height: np.ndarray) -> tuple[int, int, int]:
        # Pad with the lowest value so a follow-through still rising at the clip's end counts as a peak.
        padded = np.concatenate([height, [height.min()]])
        peaks, _ = find_peaks(padded, prominence=self.p.peak_prominence)
        peaks = np.minimum(peaks, len(height) - 1)
        best: tuple[float, int, int, int] | None = None
        for first, second in itertools.pairwise(peaks):
            valley = first + int(np.argmin(height[first : second + 1]))
            depth = min(height[first], height[second]) - height[valley]
            if best is None or depth > best[0]:
                best = (depth, int(first), valley, int(second))
        if best is None:
            raise NoSwingError("no backswing-downswing-follow-through pattern in the hand motion")
        return best[1], best[2], best[3]

    def _takeaway_onset(self, hands: np.ndarray, height: np.ndarray, top: int, fps: float) -> int:
        """Walk back from the backswing while the hands keep moving; the last moving frame is the onset.

        The walk starts where the hands were half-way up, not at the top, where they pause to turn.
        """
        window = max(1, round(self.p.onset_window_s * fps))
        lowest = int(np.argmin(height[: top + 1]))
        halfway = (height[top] + height[lowest]) / 2
        below = np.flatnonzero(height[: top + 1] < halfway)
        t = int(below[-1]) if len(below) else top
        while t > 0 and np.linalg.norm(hands[t] - hands[max(0, t - window)]) > self.p.onset_distance:
            t -= 1
        return t
