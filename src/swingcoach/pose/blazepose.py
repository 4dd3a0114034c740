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
MODEL_RELEASE = "0.5.1675469404"  # of the npm package @mediapipe/pose the landmark models come from


HEATMAP_KERNEL = 7
HEATMAP_MIN_CONFIDENCE = 0.5
LANDMARKS = 39  # 33 body landmarks, then the ROI's alignment points and auxiliary ones
# BlazePose-33 left/right partners (the auxiliary points lie on the body's midline).
_PARTNERS = [0, 4, 5, 6, 1, 2, 3, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15, 18, 17, 20, 19, 22, 21, 24, 23]
MIRROR_33 = np.array([*_PARTNERS, 26, 25, 28, 27, 30, 29, 32, 31, *range(33, LANDMARKS)])


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

    def __init__(
        self, variant: str = "full", threads: int = 1, smoothing: bool = True, flip: bool = False
    ) -> None:
        if variant not in VARIANTS:
            raise ValueError(f"BlazePose variant must be one of {VARIANTS}, got {variant!r}")
        self.name = f"blazepose-{variant}"
        self.flip = flip
        self.version = f"blazepose-{variant}-{MODEL_RELEASE}" + ("-flip" if flip else "")
        self.session = load_session(MODEL_DIR / f"pose_landmark_{variant}.tflite", threads)
        super().__init__(threads=threads, smoothing=smoothing)

    def _landmarks(self, x: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
        """Crop (1, 256, 256, 3) -> landmarks (39, 4: u, v in [0, 1], visibility logit, presence
        logit), presence, world (39, 3) in the crop's frame."""
        raw_landmarks, presence, _mask, heatmap, raw_world = self.session.run(x)
        landmarks = raw_landmarks.reshape(LANDMARKS, 5)
        uv = refine_with_heatmap(landmarks[:, :2] / INPUT_SIZE, heatmap[0])
        out = np.concatenate([uv, landmarks[:, 3:5]], axis=1)
        return out, float(presence.reshape(-1)[0]), raw_world.reshape(LANDMARKS, 3)

    def estimate(self, image_bgr: np.ndarray, roi: RotatedRect) -> tuple[PoseFrame, RotatedRect] | None:
        crop = roi.crop(image_bgr, INPUT_SIZE)
        x = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
        landmarks, presence, world = self._landmarks(x[None])
        if self.flip:
            # The crop and its mirror image, the second's answer mirrored back and averaged in: the
            # pose of a left-handed golfer is then exactly the mirror of a right-handed one's.
            flipped, flipped_presence, flipped_world = self._landmarks(x[None, :, ::-1])
            flipped[:, 0] = 1.0 - flipped[:, 0]
            flipped_world[:, 0] *= -1
            landmarks = (landmarks + flipped[MIRROR_33]) / 2
            world = (world + flipped_world[MIRROR_33]) / 2
            presence = (presence + flipped_presence) / 2
        if presence < PRESENCE_THRESHOLD:
            return None
        image_xy = roi.to_image(landmarks[:, :2])
        visibility = _sigmoid(landmarks[:, 2])
        keypoints = np.concatenate([image_xy, visibility[:, None]], axis=1)[BLAZEPOSE_TO_COCO]
        world_xy = world[:, :2] @ roi.rotation().T
        world = np.concatenate([world_xy, world[:, 2:]], axis=1)[BLAZEPOSE_TO_COCO]
        next_roi = RotatedRect.from_alignment_points(image_xy[33], image_xy[34], ROI_SCALE)
        frame = PoseFrame(keypoints.astype(np.float32), world.astype(np.float32), roi.as_tuple())
        return frame, next_roi
