"""MediaPipe BlazePose (lite / full) run directly on LiteRT, with the models shipped in the package.

Running the two BlazePose stages ourselves (rather than through the mediapipe graph) keeps the
person-detection and pose stages separately measurable and lets the tracker follow the main golfer.
"""

from __future__ import annotations

import cv2
import numpy as np

from swingcoach.pose.base import PoseFrame
from swingcoach.pose.detector import MODEL_DIR, ROI_SCALE
from swingcoach.pose.roi import RotatedRect
from swingcoach.pose.skeleton import BLAZEPOSE_TO_COCO
from swingcoach.pose.tracking import TopDownPoseBackend
from swingcoach.runtime import load_session

INPUT_SIZE = 256
PRESENCE_THRESHOLD = 0.5
VARIANTS = ("lite", "full")


HEATMAP_KERNEL = 7
HEATMAP_MIN_CONFIDENCE = 0.5


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def refine_with_heatmap(uv: np.ndarray, heatmap: np.ndarray) -> np.ndarray:
    """Move each landmark (u, v in [0, 1]) to the confidence-weighted centre of its heatmap
    around the regressed position, where the heatmap is confident (BlazePose's refinement)."""
    size, _, channels = heatmap.shape
    half = (HEATMAP_KERNEL - 1) // 2
    refined = uv.copy()
    for i in range(channels):
        col, row = int(uv[i, 0] * size), int(uv[i, 1] * size)
        if not (0 <= col < size and 0 <= row < size):
            continue
        r0, r1 = max(0, row - half), min(size, row + half + 1)
        c0, c1 = max(0, col - half), min(size, col + half + 1)
        weights = _sigmoid(heatmap[r0:r1, c0:c1, i])
        total = weights.sum()
        if weights.max() >= HEATMAP_MIN_CONFIDENCE and total > 0:
            rows, cols = np.mgrid[r0:r1, c0:c1]
            refined[i] = ((cols * weights).sum() / total / size, (rows * weights).sum() / total / size)
    return refined


class BlazePoseBackend(TopDownPoseBackend):
    """COCO-17 2D keypoints plus BlazePose world landmarks (metres, hip-centred)."""

    has_world = True

    def __init__(self, variant: str = "full", threads: int = 1, smoothing: bool = True) -> None:
        if variant not in VARIANTS:
            raise ValueError(f"BlazePose variant must be one of {VARIANTS}, got {variant!r}")
        self.name = f"mediapipe-{variant}"
        self.version = f"blazepose-{variant}-0.5.1675469404"
        self.session = load_session(MODEL_DIR / f"pose_landmark_{variant}.tflite", threads)
        super().__init__(threads=threads, smoothing=smoothing)

    def estimate(self, image_bgr: np.ndarray, roi: RotatedRect) -> tuple[PoseFrame, RotatedRect] | None:
        crop = roi.crop(image_bgr, INPUT_SIZE)
        x = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
        raw_landmarks, presence, _mask, heatmap, raw_world = self.session.run(x[None])
        if float(presence.reshape(-1)[0]) < PRESENCE_THRESHOLD:
            return None
        landmarks = raw_landmarks.reshape(39, 5)
        image_xy = roi.to_image(refine_with_heatmap(landmarks[:, :2] / INPUT_SIZE, heatmap[0]))
        visibility = _sigmoid(landmarks[:, 3])
        keypoints = np.concatenate([image_xy, visibility[:, None]], axis=1)[BLAZEPOSE_TO_COCO]
        world = raw_world.reshape(39, 3)
        world_xy = world[:, :2] @ roi.rotation().T
        world = np.concatenate([world_xy, world[:, 2:]], axis=1)[BLAZEPOSE_TO_COCO]
        next_roi = RotatedRect.from_alignment_points(image_xy[33], image_xy[34], ROI_SCALE)
        frame = PoseFrame(keypoints.astype(np.float32), world.astype(np.float32), roi.as_tuple())
        return frame, next_roi
