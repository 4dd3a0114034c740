"""Keypoint files of the posture data, and images / videos through a pose backend, as COCO-17 sequences."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from swingcoach.errors import InputError, NoPersonError
from swingcoach.pose.base import PoseSequence
from swingcoach.pose.skeleton import NUM_KEYPOINTS, K, blazepose_to_coco

# Penn Action's 13 joints (head, shoulders, elbows, wrists, hips, knees, ankles in L/R pairs) are
# COCO-17's body joints in the same order; its head stands in for the nose.
PENN_TO_COCO = np.array([K.NOSE, *range(K.L_SHOULDER, K.R_ANKLE + 1)])
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
MAX_FILE_FRAMES = 100_000
# PosePilot landmarks are normalised by an unrecorded frame size; most of its videos are landscape.
ASSUMED_ASPECT = 16 / 9


def from_mediapipe(landmarks: np.ndarray, width: float, height: float) -> np.ndarray:
    """(T, 33, 4) normalised MediaPipe landmarks -> (T, 17, 3) COCO-17 pixels and visibility."""
    coco = blazepose_to_coco(np.asarray(landmarks, dtype=np.float32))
    return np.stack([coco[..., 0] * width, coco[..., 1] * height, coco[..., 3]], axis=-1)


def from_penn(joints: np.ndarray) -> np.ndarray:
    """(T, 13, 3) Penn Action joints (pixels, visibility) -> (T, 17, 3) COCO-17 (eyes and ears NaN).

    Penn Action names the person's sides as seen from the camera (its "left" is the body's right in
    front views), so its left/right labels are swapped here."""
    joints = np.asarray(joints, dtype=np.float32)
    swapped = joints.copy()
    swapped[:, 1::2], swapped[:, 2::2] = joints[:, 2::2], joints[:, 1::2]
    out = np.full((len(joints), NUM_KEYPOINTS, 3), np.nan, dtype=np.float32)
    out[:, PENN_TO_COCO] = swapped
    return out


def load_keypoint_file(path: Path) -> PoseSequence:
    """A `.npz` with `landmarks` (T, 33, 4, MediaPipe order, normalised) or `joints` (T, 13, 3, Penn
    Action order, pixels) as a COCO-17 pose sequence."""
    if not path.is_file():
        raise InputError(f"file not found: {path}")
    try:
        with np.load(path) as z:
            arrays = {
                name: z[name] for name in ("landmarks", "joints", "width", "height", "fps") if name in z.files
            }
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise InputError(f"not a keypoint file (.npz): {path} ({exc})") from None
    fps = float(arrays["fps"]) if "fps" in arrays else 30.0
    if "landmarks" in arrays:
        data, shape = arrays["landmarks"], (33, 4)
    elif "joints" in arrays:
        data, shape = arrays["joints"], (13, 3)
    else:
        raise InputError(f"unknown keypoint format (no 'landmarks' (T,33,4) or 'joints' (T,13,3)): {path}")
    if data.ndim != 3 or data.shape[1:] != shape or not 0 < len(data) <= MAX_FILE_FRAMES:
        raise InputError(
            f"keypoints must be (T, {shape[0]}, {shape[1]}) with 1 to {MAX_FILE_FRAMES} rows: {path}"
        )
    if not np.issubdtype(data.dtype, np.number):
        raise InputError(f"keypoints are not numbers: {path}")
    if "landmarks" in arrays:
        height = float(arrays.get("height", 1000))
        width = float(arrays.get("width", height * ASSUMED_ASPECT))
        keypoints = from_mediapipe(data, width, height)
    else:
        keypoints = from_penn(data)
        width = float(arrays.get("width", np.nanmax(data[..., 0])))
        height = float(arrays.get("height", np.nanmax(data[..., 1])))
    if not np.isfinite(keypoints[..., :2]).any():
        raise NoPersonError(f"no keypoints in {path}")
    return PoseSequence(keypoints=keypoints, fps=fps, width=int(width), height=int(height))


def load_image_pose(path: Path, backend_name: str = "blazepose-full") -> PoseSequence:
    """One image through a pose backend: a one-row sequence (NoPersonError if nobody is found)."""
    import cv2

    from swingcoach.pose import create_backend

    if not path.is_file():
        raise InputError(f"file not found: {path}")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise InputError(f"not a readable image: {path}")
    backend = create_backend(backend_name)
    frame = backend(image, 0.0)
    if frame is None:
        raise NoPersonError(f"no person found in {path}")
    return PoseSequence(
        keypoints=frame.keypoints[None], fps=30.0, width=image.shape[1], height=image.shape[0]
    )


def load_any(path: Path, backend_name: str = "blazepose-full") -> PoseSequence:
    """Keypoint file, image or video -> pose sequence (a video through the pose backend)."""
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return load_keypoint_file(path)
    if suffix in IMAGE_SUFFIXES:
        return load_image_pose(path, backend_name)
    from swingcoach.pipeline import extract_poses
    from swingcoach.pose import create_backend

    sequence, _ = extract_poses(path, create_backend(backend_name))
    if sequence.valid.sum() == 0:
        raise NoPersonError(f"no person found in {path}")
    return sequence
