"""Person detector (BlazePose detection model): finds people and the ROI that covers each body."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from swingcoach.pose.roi import RotatedRect, letterbox
from swingcoach.runtime import load_session

MODEL_DIR = Path(__file__).parent / "models" / "blazepose"
INPUT_SIZE = 224
ROI_SCALE = 1.25  # margin around the body circle, as in BlazePose


@dataclass(frozen=True)
class Detection:
    score: float
    box: np.ndarray  # x0, y0, x1, y1 in pixels (the face box BlazePose reports)
    keypoints: np.ndarray  # (4, 2) px: hip centre, body extent, shoulder centre, upper-body extent

    @property
    def roi(self) -> RotatedRect:
        return RotatedRect.from_alignment_points(self.keypoints[0], self.keypoints[1], ROI_SCALE)


@cache
def ssd_anchors() -> np.ndarray:
    """Anchor centres (2254, 2) of the detector: strides 8, 16 and 3x32, two anchors a layer."""
    centers = []
    strides = [8, 16, 32, 32, 32]
    layer = 0
    while layer < len(strides):
        stride = strides[layer]
        repeats = strides.count(stride) if strides.index(stride) == layer else 1
        cells = int(np.ceil(INPUT_SIZE / stride))
        yy, xx = np.mgrid[0:cells, 0:cells]
        grid = np.stack([(xx + 0.5) / cells, (yy + 0.5) / cells], axis=-1).reshape(-1, 1, 2)
        centers.append(np.repeat(grid, 2 * repeats, axis=1).reshape(-1, 2))
        layer += repeats
    return np.concatenate(centers).astype(np.float32)


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def weighted_nms(
    scores: np.ndarray, boxes: np.ndarray, keypoints: np.ndarray, iou_threshold: float = 0.3
) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """Blend overlapping candidates, weighted by score (BlazePose's 'weighted' suppression)."""
    order = np.argsort(-scores)
    remaining = order
    kept = []
    while len(remaining):
        overlap = _iou(boxes[remaining[0]], boxes[remaining]) > iou_threshold
        cluster = remaining[overlap]
        weights = scores[cluster][:, None]
        box = (boxes[cluster] * weights).sum(0) / weights.sum()
        kps = (keypoints[cluster] * weights[:, :, None]).sum(0) / weights.sum()
        kept.append((float(scores[remaining[0]]), box, kps))
        remaining = remaining[~overlap]
    return kept


class PersonDetector:
    """Finds people in a full frame (BGR) and returns them best first."""

    name = "blazepose-detector"

    def __init__(self, threads: int = 1, score_threshold: float = 0.5) -> None:
        self.session = load_session(MODEL_DIR / "pose_detection.tflite", threads)
        self.score_threshold = score_threshold

    def __call__(self, image_bgr: np.ndarray) -> list[Detection]:
        square, scale, (pad_x, pad_y) = letterbox(image_bgr, INPUT_SIZE)
        x = cv2.cvtColor(square, cv2.COLOR_BGR2RGB).astype(np.float32) / 127.5 - 1.0
        raw_boxes, raw_scores = self.session.run(x[None])
        logits = np.clip(raw_scores[0, :, 0].astype(np.float64), -100, 100)
        scores = 1.0 / (1.0 + np.exp(-logits))
        keep = scores >= self.score_threshold
        if not keep.any():
            return []
        raw = raw_boxes[0, keep]
        anchors = ssd_anchors()[keep] * INPUT_SIZE
        centers = raw[:, 0:2] + anchors
        half = raw[:, 2:4] / 2
        boxes = np.concatenate([centers - half, centers + half], axis=1)
        keypoints = raw[:, 4:12].reshape(-1, 4, 2) + anchors[:, None, :]

        def to_image(points: np.ndarray) -> np.ndarray:
            return (points - np.array([pad_x, pad_y], dtype=np.float32)) / scale

        return [
            Detection(score, to_image(box.reshape(2, 2)).reshape(4), to_image(kps))
            for score, box, kps in weighted_nms(scores[keep], boxes, keypoints)
        ]
