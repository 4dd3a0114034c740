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
StandardView = Literal["face-on", "down-the-line"]

# Camera azimuth: the angle between the target line and the image plane, 0 face on, 90 down the line.
FACE_ON_MAX_AZIMUTH = 30.0
DOWN_THE_LINE_MIN_AZIMUTH = 60.0
# Right-handed golfers are the large majority: call a swing left-handed only on clear evidence.
LEFT_HANDED_BELOW = -3.0


@dataclass(frozen=True)
class Orientation:
    handedness: Handedness
    handedness_score: float  # > 0 right-handed evidence, < 0 left-handed
    view: View
    azimuth: float  # degrees, 0 face on, 90 down the line

    @property
    def standard_view(self) -> StandardView:
        """The standard view the swing is measured as: the nearer one for an oblique camera."""
        return "face-on" if self.azimuth < 45.0 else "down-the-line"


def _around(array: np.ndarray, frame: int) -> np.ndarray:
    return median_around(array, frame, half=2)


def view_of(azimuth: float) -> View:
    if azimuth <= FACE_ON_MAX_AZIMUTH:
        return "face-on"
    if azimuth >= DOWN_THE_LINE_MIN_AZIMUTH:
        return "down-the-line"
    return "other"


FACING_WEIGHT = 2.5


def facing_right(pose: np.ndarray) -> float:
    """How far the body's front points image-right (-1 to 1) in a 3D pose (x right, y down): the
    horizontal part of (left side minus right side) x up."""
    across = (pose[K.L_HIP] - pose[K.R_HIP]) + (pose[K.L_SHOULDER] - pose[K.R_SHOULDER])
    across = across * np.array([1.0, 0.0, 1.0])
    forward = np.cross(across / max(float(np.linalg.norm(across)), 1e-9), [0.0, -1.0, 0.0])
    return float(forward[0])


def handedness_score(
    sequence: PoseSequence, world: np.ndarray, address: int, top: int, azimuth: float
) -> float:
    """Sum of four cues, each scaled to about 1 for a typical swing, positive for a right-handed one.

    - backswing: the hands travel from address to top towards the golfer's right side (2D);
    - the same in the horizontal plane of the lifted 3D, where the backswing is seen from any view;
    - arms: at the top the lead (left) arm is straighter than the folded trail arm (2D angles);
    - facing: from the usual down-the-line spot a right-handed golfer faces image-right (the nose
      against the ears in 2D, and the body's front in the lifted 3D).
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
    if azimuth > FACE_ON_MAX_AZIMUTH:
        ears = midpoint(norm, K.L_EAR, K.R_EAR)
        score += float(_around(norm[:, K.NOSE, 0] - ears[:, 0], address)) / 0.08
    if azimuth >= 45.0 and np.isfinite(world).any():
        score += FACING_WEIGHT * facing_right(_around(interpolate_gaps(world), address))
    if np.isfinite(world).any():
        lifted = interpolate_gaps(world) / torso_length(world)
        horizontal = [0, 2]
        side3 = _around(lifted[:, K.R_HIP] - lifted[:, K.L_HIP], address)[horizontal]
        hands3 = midpoint(lifted, K.L_WRIST, K.R_WRIST)[:, horizontal]
        score += float(np.dot(_around(hands3, top) - _around(hands3, address), side3)) / 0.5
    return score
