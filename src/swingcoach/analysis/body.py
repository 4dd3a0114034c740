"""The body of one swing as the metrics read it, and the geometry they are defined with.

Every path (CLI video, server clip job, device or browser keypoints) arrives here with COCO-17 2D
keypoints only; the 3D is always our lifter's, run on those keypoints, so the same 2D gives the same
3D whichever backend or path produced it (a backend's own world landmarks are kept for drawing but
never measured: the browser's and the device's payloads have none).

Frames and axes. 2D: image pixels, x right, y down. 3D: metres, hip-centred, x right, y down, z away
from the camera (the lifter's and BlazePose's convention; a phone on a tripod is close to level).
On the right-handed form of the swing:
- up is -y;
- lead points from the trail (right) side to the lead (left) side, horizontal: toward the target;
- forward = lead x up: the way the golfer faces at address, toward the ball.
Face on, the image's x axis is the lead axis; down the line, it is the forward axis.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from swingcoach.pose.base import PoseSequence
from swingcoach.pose.lift import Lifter
from swingcoach.pose.skeleton import K
from swingcoach.swing.features import interpolate_gaps, midpoint, smooth

UP = np.array([0.0, -1.0, 0.0])
HORIZONTAL = np.array([1.0, 0.0, 1.0])
ASSUMED_LEG_M = 0.85  # hip to ankle along the leg, when no 3D leg is known
LEGS = ((K.L_HIP, K.L_KNEE, K.L_ANKLE), (K.R_HIP, K.R_KNEE, K.R_ANKLE))
HEAD = [K.NOSE, K.L_EYE, K.R_EYE, K.L_EAR, K.R_EAR]
SMOOTHING_S = 0.06


# The int8 lifter: 3 ms per 7 s swing where fp32 takes 11 (the server analyses every payload),
# within 0.3 mm of it on Human3.6M (docs/lift.md).
ANALYSIS_LIFTER = "lifter-int8"


@cache
def shipped_lifter() -> Lifter:
    """The one lifter every path measures with (loaded once per process)."""
    return Lifter.shipped(ANALYSIS_LIFTER)


def unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


def pose_at(points: np.ndarray, position: float) -> np.ndarray:
    """The pose at a sub-frame row, linearly interpolated: an event measured at its time, not at the
    nearest frame, so 24, 30 and 60 fps of one swing give the same value."""
    position = float(np.clip(position, 0, len(points) - 1))
    below = int(np.floor(position))
    above = min(below + 1, len(points) - 1)
    fraction = position - below
    return points[below] * (1 - fraction) + points[above] * fraction


def leg_length(points: np.ndarray) -> float:
    """Hip-knee-ankle length, mean of both legs, of one pose (any dimension)."""
    lengths = [
        np.linalg.norm(points[hip] - points[knee]) + np.linalg.norm(points[knee] - points[ankle])
        for hip, knee, ankle in LEGS
    ]
    return float(np.nanmean(lengths))


@dataclass(frozen=True)
class SwingBody:
    """One right-handed swing: 2D keypoints (px, gaps filled), lifted 3D (m), and its axes at address.

    `address` is the row the axes and the 2D scale are taken at.
    """

    keypoints: np.ndarray  # (T, 17, 2)
    world: np.ndarray  # (T, 17, 3)
    fps: float
    address: float  # sub-frame row

    @classmethod
    def from_sequence(
        cls, sequence: PoseSequence, address: float, world: np.ndarray | None = None
    ) -> SwingBody:
        """Gaps filled and lightly smoothed in time (SMOOTHING_S), so one frame's noise does not
        decide a metric."""
        world = shipped_lifter().lift(sequence) if world is None else world
        fps = sequence.fps
        return cls(
            keypoints=smooth(interpolate_gaps(sequence.keypoints[..., :2]), fps, SMOOTHING_S),
            world=smooth(interpolate_gaps(world), fps, SMOOTHING_S),
            fps=fps,
            address=address,
        )

    def lead_axis(self) -> np.ndarray:
        p = pose_at(self.world, self.address)
        across = (p[K.L_HIP] - p[K.R_HIP]) + (p[K.L_SHOULDER] - p[K.R_SHOULDER])
        return unit(across * HORIZONTAL)

    def forward_axis(self) -> np.ndarray:
        return unit(np.cross(self.lead_axis(), UP))

    def camera_azimuth(self) -> float:
        """Degrees between the target line and the image plane: 0 face on, 90 down the line."""
        return float(np.degrees(np.arccos(min(1.0, abs(float(self.lead_axis()[0]))))))

    def cm_per_px(self) -> float:
        """Centimetres per pixel near the golfer: the lifted leg length over the 2D leg length."""
        pixels = leg_length(pose_at(self.keypoints, self.address))
        metres = leg_length(pose_at(self.world, self.address))
        if not (pixels > 0 and np.isfinite(metres) and metres > 0):
            metres = ASSUMED_LEG_M
        return 100.0 * metres / pixels if pixels > 0 else float("nan")

    # 2D, in the image plane -----------------------------------------------------------------

    def head(self, position: float) -> np.ndarray:
        return np.nanmean(pose_at(self.keypoints, position)[HEAD], axis=0)

    def head_track(self) -> np.ndarray:
        return np.nanmean(self.keypoints[:, HEAD], axis=1)


def pelvis(points: np.ndarray) -> np.ndarray:
    return midpoint(points, K.L_HIP, K.R_HIP)


def chest(points: np.ndarray) -> np.ndarray:
    return midpoint(points, K.L_SHOULDER, K.R_SHOULDER)
