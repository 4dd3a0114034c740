"""Which way the golfer swings (handedness) and where the camera stands (view)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from swingcoach.geometry import joint_angle
from swingcoach.pose.base import PoseSequence
from swingcoach.pose.skeleton import K
from swingcoach.swing.features import interpolate_gaps, median_around, midpoint, normalize, torso_length

Handedness = Literal["right", "left"]
View = Literal["face-on", "down-the-line", "other"]

# Shoulder width over torso length at address: wide when the golfer faces the camera.
FACE_ON_MIN_RATIO = 0.55
DOWN_THE_LINE_MAX_RATIO = 0.2
# Right-handed golfers are the large majority: call a swing left-handed only on clear evidence.
LEFT_HANDED_BELOW = -3.0


@dataclass(frozen=True)
class Orientation:
    handedness: Handedness
    handedness_score: float  # > 0 right-handed evidence, < 0 left-handed
    view: View


def _around(array: np.ndarray, frame: int) -> np.ndarray:
    return median_around(array, frame, half=2)


def estimate_view(norm: np.ndarray, address: int) -> View:
    ratio = float(np.linalg.norm(_around(norm[:, K.L_SHOULDER] - norm[:, K.R_SHOULDER], address)))
    if ratio >= FACE_ON_MIN_RATIO:
        return "face-on"
    if ratio <= DOWN_THE_LINE_MAX_RATIO:
        return "down-the-line"
    return "other"


def handedness_score(sequence: PoseSequence, address: int, top: int) -> float:
    """Sum of four cues, each scaled to about 1 for a typical swing, positive for a right-handed one.

    - backswing: the hands travel from address to top towards the golfer's right side (2D);
    - the same in the horizontal plane of the 3D pose, where the backswing is seen from any view;
    - arms: at the top the lead (left) arm is straighter than the folded trail arm (2D angles);
    - facing: from the usual down-the-line spot a right-handed golfer faces image-right.
    """
    norm = normalize(interpolate_gaps(sequence.keypoints))
    right_side = (
        _around(norm[:, K.R_HIP] - norm[:, K.L_HIP] + norm[:, K.R_SHOULDER] - norm[:, K.L_SHOULDER], address)
        / 2
    )
    hands = midpoint(norm, K.L_WRIST, K.R_WRIST)
    backswing_2d = float(np.dot(_around(hands, top) - _around(hands, address), right_side))
    score = backswing_2d / 0.15
    at_top = _around(norm, top)
    lead = joint_angle(at_top[K.L_SHOULDER], at_top[K.L_ELBOW], at_top[K.L_WRIST])
    trail = joint_angle(at_top[K.R_SHOULDER], at_top[K.R_ELBOW], at_top[K.R_WRIST])
    score += (lead - trail) / 30.0
    if estimate_view(norm, address) != "face-on":
        ears = midpoint(norm, K.L_EAR, K.R_EAR)
        score += float(_around(norm[:, K.NOSE, 0] - ears[:, 0], address)) / 0.08
    if sequence.world is not None and np.isfinite(sequence.world).any():
        world = interpolate_gaps(sequence.world) / torso_length(sequence.world)
        horizontal = [0, 2]
        side3 = _around(world[:, K.R_HIP] - world[:, K.L_HIP], address)[horizontal]
        hands3 = midpoint(world, K.L_WRIST, K.R_WRIST)[:, horizontal]
        score += float(np.dot(_around(hands3, top) - _around(hands3, address), side3)) / 0.5
    return score


def estimate_orientation(sequence: PoseSequence, address: int, top: int) -> Orientation:
    score = handedness_score(sequence, address, top)
    norm = normalize(interpolate_gaps(sequence.keypoints))
    return Orientation(
        handedness="left" if score < LEFT_HANDED_BELOW else "right",
        handedness_score=score,
        view=estimate_view(norm, address),
    )
