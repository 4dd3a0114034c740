"""Our own on-device 2D pose model (the "student", distilled from BlazePose), as a pose backend.

The network (`swingcoach.train.pose_model`, MobileHumanPose-style) maps a 192 px person crop to
17 COCO heatmaps at stride 4 and 17 visibility logits. It runs on LiteRT (.tflite) or onnxruntime
(.onnx), fp32 or int8, from the files in `models/student/`; nothing here needs torch.

Person ROI, frame to frame (the loop itself is `TopDownPoseBackend`):
- first frame, and whenever the golfer is lost: the BlazePose person detector's ROI;
- every other frame: the ROI derived from the previous frame's predicted keypoints
  (`roi_from_keypoints`), the same hip-centred, torso-aligned square BlazePose's detector gives,
  so the model sees one kind of crop whichever way the ROI was found;
- "lost" means the mean visibility of the 12 body joints falls below `PRESENCE_THRESHOLD`.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from swingcoach.pose.base import PoseFrame
from swingcoach.pose.detector import ROI_SCALE
from swingcoach.pose.roi import RotatedRect
from swingcoach.pose.skeleton import NUM_KEYPOINTS, K
from swingcoach.pose.tracking import TopDownPoseBackend
from swingcoach.runtime import load_session

MODEL_DIR = Path(__file__).parent / "models" / "student"
PRECISIONS = ("fp32", "int8")
RUNTIMES = {"tflite": ".tflite", "onnx": ".onnx"}
BODY = np.arange(K.L_SHOULDER, NUM_KEYPOINTS)
PRESENCE_THRESHOLD = 0.35
# COCO keypoints stop at the nose and ankles; the body's extent reaches past them (head top, feet).
BODY_EXTENT = 1.1
# No body part of a golfer lies further than this from the hip centre (torso lengths; at most 2.0 on
# the real swings): a keypoint beyond it has been drawn into the background, and letting it widen the
# next crop would hand the model more background, and the tracking to the grandstand.
MAX_REACH_TORSOS = 2.6


def model_path(precision: str = "int8", runtime: str = "tflite", model_dir: Path = MODEL_DIR) -> Path:
    if precision not in PRECISIONS:
        raise ValueError(f"student precision must be one of {PRECISIONS}, got {precision!r}")
    if runtime not in RUNTIMES:
        raise ValueError(f"student runtime must be one of {tuple(RUNTIMES)}, got {runtime!r}")
    return model_dir / f"student_{precision}{RUNTIMES[runtime]}"


def load_model_card(model_dir: Path = MODEL_DIR) -> dict:
    """The exported model's facts (width, input size, parameters, FLOPs, version) from student.json."""
    return json.loads((model_dir / "student.json").read_text())


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def decode_heatmaps(logits: np.ndarray) -> np.ndarray:
    """Integral regression: the expected position under each heatmap's softmax.

    (..., 17, h, w) logits -> (..., 17, 2) crop-relative u, v in [0, 1] (cell centres at (i + 0.5) / w).
    """
    *lead, h, w = logits.shape
    flat = logits.reshape(*lead, h * w).astype(np.float64)
    prob = np.exp(flat - flat.max(axis=-1, keepdims=True))
    prob = (prob / prob.sum(axis=-1, keepdims=True)).reshape(*lead, h, w)
    u = (prob.sum(axis=-2) * ((np.arange(w) + 0.5) / w)).sum(axis=-1)
    v = (prob.sum(axis=-1) * ((np.arange(h) + 0.5) / h)).sum(axis=-1)
    return np.stack([u, v], axis=-1).astype(np.float32)


def roi_from_keypoints(keypoints: np.ndarray) -> RotatedRect | None:
    """The square to crop next: centred on the hips, rotated so the hips -> shoulders direction is up,
    its half side BODY_EXTENT x the farthest keypoint from the hip centre, times BlazePose's margin.

    `keypoints` is (17, >=2) in pixels; NaN keypoints are ignored. None if hips or shoulders are missing.
    """
    points = keypoints[:, :2]
    hips = points[[K.L_HIP, K.R_HIP]].mean(axis=0)
    shoulders = points[[K.L_SHOULDER, K.R_SHOULDER]].mean(axis=0)
    up = shoulders - hips
    torso = float(np.linalg.norm(up))
    if not np.isfinite(torso) or torso < 1e-3:
        return None
    reach = np.linalg.norm(points - hips, axis=1)
    radius = BODY_EXTENT * float(np.nanmax(np.where(reach <= MAX_REACH_TORSOS * torso, reach, np.nan)))
    return RotatedRect.from_alignment_points(hips, hips + up / torso * radius, ROI_SCALE)


class StudentBackend(TopDownPoseBackend):
    """COCO-17 2D keypoints from the student model (no 3D)."""

    has_world = False

    def __init__(
        self,
        precision: str = "int8",
        runtime: str = "tflite",
        threads: int = 1,
        smoothing: bool = True,
        model_dir: Path = MODEL_DIR,
    ) -> None:
        card = load_model_card(model_dir)
        self.session = load_session(model_path(precision, runtime, model_dir), threads)
        self.input_size = int(card["input_size"])
        self.name = "student" if precision == "int8" else f"student-{precision}"
        self.version = f"{card['version']}-{precision}"
        super().__init__(threads=threads, smoothing=smoothing)

    @staticmethod
    def preprocess(crop_bgr: np.ndarray) -> np.ndarray:
        """A model-sized BGR crop -> the network input (1, size, size, 3), RGB in [0, 1]."""
        return (cv2.cvtColor(crop_bgr, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0)[None]

    def infer(self, crop_bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Crop-relative keypoints (17, 2) in [0, 1] and visibilities (17,) of one model-sized crop."""
        outputs = self.session.run(self.preprocess(crop_bgr))
        # Told apart by rank: TFLite does not promise the output order of the traced model.
        heatmaps = next(o for o in outputs if o.ndim == 4)[0]
        visibility = next(o for o in outputs if o.ndim == 2)[0]
        return decode_heatmaps(heatmaps), _sigmoid(visibility.astype(np.float32))

    def estimate(self, image_bgr: np.ndarray, roi: RotatedRect) -> tuple[PoseFrame, RotatedRect] | None:
        uv, visibility = self.infer(roi.crop(image_bgr, self.input_size))
        if float(visibility[BODY].mean()) < PRESENCE_THRESHOLD:
            return None
        keypoints = np.concatenate([roi.to_image(uv), visibility[:, None]], axis=1).astype(np.float32)
        next_roi = roi_from_keypoints(keypoints)
        if next_roi is None:
            return None
        return PoseFrame(keypoints, None, roi.as_tuple()), next_roi
