"""Precomputed MediaPipe-33 landmark arrays (the GolfDB / phone-swing `.npz` format) as pose sequences."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from swingcoach.errors import InputError
from swingcoach.pose.base import PoseSequence
from swingcoach.pose.skeleton import K, blazepose_to_coco

# GolfDB's videos_160 clips, which the GolfDB landmark files are normalised to.
DEFAULT_SIZE = 160
DEFAULT_FPS = 30.0
# MediaPipe image landmarks carry relative depth only; a typical adult torso sets the metric scale.
ASSUMED_TORSO_M = 0.5


def load_landmark_file(path: Path, fps: float | None = None) -> PoseSequence:
    """Load `landmarks` (T, 33, 4: x, y normalised, z relative depth, visibility; NaN rows = no person).

    Width, height and fps come from the file when it has them. The 3D slot holds the landmarks
    with their depth, hip-centred and scaled to an assumed torso length (approximate metres).
    """
    if not path.is_file():
        raise InputError(f"file not found: {path}")
    try:
        with np.load(path) as z:
            landmarks = np.asarray(z["landmarks"], dtype=np.float32)
            width = int(z["width"]) if "width" in z.files else DEFAULT_SIZE
            height = int(z["height"]) if "height" in z.files else DEFAULT_SIZE
            file_fps = float(z["fps"]) if "fps" in z.files else None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise InputError(f"not a landmark file with a 'landmarks' array: {path} ({exc})") from None
    if landmarks.ndim != 3 or landmarks.shape[1:] != (33, 4):
        raise InputError(f"'landmarks' must be (T, 33, 4), got {landmarks.shape}: {path}")
    coco = blazepose_to_coco(landmarks)
    keypoints = np.stack([coco[..., 0] * width, coco[..., 1] * height, coco[..., 3]], axis=-1)
    depth = np.stack([coco[..., 0] * width, coco[..., 1] * height, coco[..., 2] * width], axis=-1)
    hips = (depth[:, K.L_HIP] + depth[:, K.R_HIP]) / 2
    shoulders = (depth[:, K.L_SHOULDER] + depth[:, K.R_SHOULDER]) / 2
    torso = float(np.nanmedian(np.linalg.norm(shoulders - hips, axis=-1)))
    world = (
        (depth - hips[:, None, :]) * (ASSUMED_TORSO_M / torso) if np.isfinite(torso) and torso > 0 else None
    )
    return PoseSequence(
        keypoints=keypoints,
        fps=fps or file_fps or DEFAULT_FPS,
        width=width,
        height=height,
        world=world,
    )
