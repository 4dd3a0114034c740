"""Top-down pose with tracking: detect the golfer once, then follow them by ROI from frame to frame.

The person detector runs on the first frame and whenever the pose model loses the person. When it
finds several people, the one nearest the golfer's last position is taken (the main golfer is
followed while others walk through the frame); with no history, the largest, most central person.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from swingcoach.pose.base import PoseFrame
from swingcoach.pose.detector import Detection, PersonDetector
from swingcoach.pose.roi import RotatedRect
from swingcoach.pose.smoothing import OneEuroFilter


def choose_golfer(
    detections: list[Detection], image_shape: tuple[int, ...], last_roi: RotatedRect | None
) -> Detection | None:
    if not detections:
        return None
    h, w = image_shape[:2]
    if last_roi is not None:
        last = np.array([last_roi.cx, last_roi.cy])
        distances = [np.linalg.norm(d.roi.as_tuple()[:2] - last) / last_roi.size for d in detections]
        return detections[int(np.argmin(distances))]
    center = np.array([w / 2, h / 2])

    def prominence(d: Detection) -> float:
        roi = d.roi
        off_center = np.linalg.norm(np.array([roi.cx, roi.cy]) - center) / max(h, w)
        return d.score * roi.size * (1.0 - off_center)

    return max(detections, key=prominence)


class TopDownPoseBackend(ABC):
    """Shared detect -> track -> smooth loop; subclasses run their pose model on one ROI."""

    name: str
    version: str
    has_world: bool

    def __init__(self, threads: int = 1, smoothing: bool = True) -> None:
        self.detector = PersonDetector(threads=threads)
        self.smoothing = smoothing
        self._filter_2d = OneEuroFilter()
        self._filter_3d = OneEuroFilter()
        self.reset()

    def reset(self) -> None:
        self._roi: RotatedRect | None = None
        self._last_roi: RotatedRect | None = None
        self._filter_2d.reset()
        self._filter_3d.reset()

    @abstractmethod
    def estimate(self, image_bgr: np.ndarray, roi: RotatedRect) -> tuple[PoseFrame, RotatedRect] | None:
        """Pose inside `roi`, and the ROI to use on the next frame; None if nobody is there."""

    def detect_roi(self, image_bgr: np.ndarray) -> RotatedRect | None:
        golfer = choose_golfer(self.detector(image_bgr), image_bgr.shape, self._last_roi)
        return None if golfer is None else golfer.roi

    def __call__(self, image_bgr: np.ndarray, time_s: float) -> PoseFrame | None:
        result = None
        if self._roi is not None:
            result = self.estimate(image_bgr, self._roi)
        if result is None:
            roi = self.detect_roi(image_bgr)
            result = None if roi is None else self.estimate(image_bgr, roi)
        if result is None:
            self._roi = None
            self._filter_2d.reset()
            self._filter_3d.reset()
            return None
        frame, self._roi = result
        self._last_roi = self._roi
        if self.smoothing:
            scale = self._roi.size
            frame.keypoints[:, :2] = self._filter_2d(frame.keypoints[:, :2], time_s, scale)
            if frame.world is not None:
                frame.world = self._filter_3d(frame.world, time_s).astype(np.float32)
        return frame
