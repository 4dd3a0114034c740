"""COCO-17 keypoint layout, the BlazePose-33 mapping and left/right mirroring."""

from enum import IntEnum

import numpy as np


class K(IntEnum):
    """COCO-17 keypoint indices (the person's own left and right)."""

    NOSE = 0
    L_EYE = 1
    R_EYE = 2
    L_EAR = 3
    R_EAR = 4
    L_SHOULDER = 5
    R_SHOULDER = 6
    L_ELBOW = 7
    R_ELBOW = 8
    L_WRIST = 9
    R_WRIST = 10
    L_HIP = 11
    R_HIP = 12
    L_KNEE = 13
    R_KNEE = 14
    L_ANKLE = 15
    R_ANKLE = 16


NUM_KEYPOINTS = 17
KEYPOINT_NAMES = tuple(k.name.lower() for k in K)

# BlazePose-33 landmark index for each COCO-17 keypoint.
BLAZEPOSE_TO_COCO = np.array([0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28])

# Index of each keypoint's mirror partner: keypoints[..., MIRROR, :] swaps left and right.
MIRROR = np.array([0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15])

EDGES: tuple[tuple[int, int], ...] = (
    (K.L_SHOULDER, K.R_SHOULDER),
    (K.L_SHOULDER, K.L_ELBOW),
    (K.L_ELBOW, K.L_WRIST),
    (K.R_SHOULDER, K.R_ELBOW),
    (K.R_ELBOW, K.R_WRIST),
    (K.L_SHOULDER, K.L_HIP),
    (K.R_SHOULDER, K.R_HIP),
    (K.L_HIP, K.R_HIP),
    (K.L_HIP, K.L_KNEE),
    (K.L_KNEE, K.L_ANKLE),
    (K.R_HIP, K.R_KNEE),
    (K.R_KNEE, K.R_ANKLE),
    (K.NOSE, K.L_EYE),
    (K.NOSE, K.R_EYE),
    (K.L_EYE, K.L_EAR),
    (K.R_EYE, K.R_EAR),
)


def blazepose_to_coco(landmarks: np.ndarray) -> np.ndarray:
    """Select the COCO-17 subset from BlazePose-33 landmarks (..., 33, C) -> (..., 17, C)."""
    return landmarks[..., BLAZEPOSE_TO_COCO, :]


def mirror_keypoints(points: np.ndarray, width: float | None) -> np.ndarray:
    """Mirror a pose horizontally and swap left/right labels.

    `points` is (..., 17, C) with x in channel 0. With `width` the x axis is image pixels
    (x -> width - x); with None it is a centred metric axis (x -> -x).
    """
    out = points[..., MIRROR, :].copy()
    out[..., 0] = (width - out[..., 0]) if width is not None else -out[..., 0]
    return out
