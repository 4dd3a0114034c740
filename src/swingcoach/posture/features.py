"""A pose as numbers that do not depend on where the person stands, how big they look, the camera's
roll or which side they face: the body frame the classifiers and the reference poses use."""

from __future__ import annotations

import warnings

import numpy as np

from swingcoach.pose.skeleton import K

# The 12 body joints every backend and every dataset has (COCO-17 shoulders ... ankles).
BODY = np.arange(K.L_SHOULDER, K.R_ANKLE + 1)
BODY_NAMES = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")
# Body-joint index of each body joint's mirror partner.
BODY_MIRROR = np.array([1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10])
# Angles at a joint (a, vertex, c), as body-joint indices; named after the vertex.
ANGLES: dict[str, tuple[int, int, int]] = {
    "left elbow": (0, 2, 4),
    "right elbow": (1, 3, 5),
    "left shoulder": (6, 0, 2),
    "right shoulder": (7, 1, 3),
    "left hip": (0, 6, 8),
    "right hip": (1, 7, 9),
    "left knee": (6, 8, 10),
    "right knee": (7, 9, 11),
}
ANGLE_NAMES = tuple(ANGLES)
# Each angle's mirror partner in ANGLE_NAMES.
ANGLE_MIRROR = np.array([1, 0, 3, 2, 5, 4, 7, 6])
MIN_CONFIDENCE = 0.2
NUM_FEATURES = 2 * len(BODY) + 2 + 2 * len(ANGLES)


def body_points(keypoints: np.ndarray, min_confidence: float = MIN_CONFIDENCE) -> np.ndarray:
    """(..., 17, 3) COCO-17 -> (..., 12, 2) body joints, NaN where unseen."""
    body = np.asarray(keypoints, dtype=np.float32)[..., BODY, :]
    points = body[..., :2].copy()
    points[body[..., 2] < min_confidence] = np.nan
    return points


def fill_gaps(points: np.ndarray) -> np.ndarray:
    """(T, J, 2) with NaN -> each joint's track linearly interpolated (held at the ends); a joint never
    seen stays NaN."""
    out = points.copy()
    frames = np.arange(len(points))
    flat = out.reshape(len(points), -1)
    for column in range(flat.shape[1]):
        seen = np.isfinite(flat[:, column])
        if seen.any() and not seen.all():
            flat[:, column] = np.interp(frames, frames[seen], flat[seen, column])
    return out


def joint_angles(points: np.ndarray) -> np.ndarray:
    """(..., 12, 2) body joints -> (..., 8) angles in degrees at elbows, shoulders, hips, knees."""
    a, b, c = (points[..., [ANGLES[n][i] for n in ANGLE_NAMES], :] for i in range(3))
    u, v = a - b, c - b
    cos = (u * v).sum(-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1) + 1e-9)
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


def body_frame(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(..., 12, 2) image points (y down) -> points hip-centred, scaled to unit RMS radius and rotated
    so the hips-to-shoulders line points up (y up), and that line's tilt from the image's vertical
    (radians, 0 = upright, +-pi = upside down), which is all that is kept of the camera's frame."""
    xy = points * np.array([1.0, -1.0], dtype=np.float32)
    with warnings.catch_warnings():  # a frame without hips or shoulders gives NaN, then 0 features
        warnings.simplefilter("ignore", RuntimeWarning)
        hips = np.nanmean(xy[..., 6:8, :], axis=-2, keepdims=True)
        shoulders = np.nanmean(xy[..., 0:2, :], axis=-2, keepdims=True)
        centred = xy - hips
        radius = np.sqrt(np.nanmean((centred**2).sum(-1), axis=-1))[..., None, None]
    up = (shoulders - hips)[..., 0, :]
    tilt = np.arctan2(up[..., 0], up[..., 1])  # 0 when the torso points up the image
    cos, sin = np.cos(tilt)[..., None], np.sin(tilt)[..., None]
    x, y = centred[..., 0], centred[..., 1]
    rotated = np.stack([x * cos - y * sin, x * sin + y * cos], axis=-1)
    return rotated / np.maximum(radius, 1e-6), tilt


def mirror_points(points: np.ndarray) -> np.ndarray:
    """The same pose as a mirror image: x negated, left and right swapped."""
    out = points[..., BODY_MIRROR, :].copy()
    out[..., 0] = -out[..., 0]
    return out


def frame_features(points: np.ndarray) -> np.ndarray:
    """(..., 12, 2) image-space body joints -> (..., NUM_FEATURES): body-frame coordinates, the torso's
    tilt (sin, cos) and the cos/sin of the 8 joint angles; unseen joints give 0."""
    frame, tilt = body_frame(points)
    angles = np.radians(joint_angles(points))
    parts = [
        frame.reshape(*frame.shape[:-2], -1),
        np.stack([np.sin(tilt), np.cos(tilt)], axis=-1),
        np.cos(angles),
        np.sin(angles),
    ]
    return np.nan_to_num(np.concatenate(parts, axis=-1).astype(np.float32))


def movement_features(points: np.ndarray) -> np.ndarray:
    """(T, 12, 2) a movement's image-space joints -> one vector: the mean, spread, 10th and 90th
    percentiles of each frame feature over the movement, and its mean change from frame to frame."""
    return describe_movement(frame_features(points))


def describe_movement(frames: np.ndarray) -> np.ndarray:
    """(T, NUM_FEATURES) frame features of one movement -> its movement features."""
    change = np.abs(np.diff(frames, axis=0)).mean(0) if len(frames) > 1 else np.zeros(frames.shape[1])
    parts = [frames.mean(0), frames.std(0), *np.percentile(frames, [10, 90], axis=0), 10 * change]
    return np.concatenate(parts).astype(np.float32)
