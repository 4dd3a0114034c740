"""Rotated square regions of interest around a person, and cropping them to a model input."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class RotatedRect:
    """A square in pixels: centre, side length and clockwise rotation (radians, y axis down)."""

    cx: float
    cy: float
    size: float
    angle: float

    @classmethod
    def from_alignment_points(cls, center: np.ndarray, scale_point: np.ndarray, scale: float) -> RotatedRect:
        """The square that a hip-centre / body-extent keypoint pair describes.

        `scale_point` lies on the circle around the body: the side is twice the radius times `scale`,
        and the rotation turns the centre -> scale_point direction upright.
        """
        dx, dy = float(scale_point[0] - center[0]), float(scale_point[1] - center[1])
        angle = math.pi / 2 - math.atan2(-dy, dx)
        angle = angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))
        return cls(float(center[0]), float(center[1]), 2 * math.hypot(dx, dy) * scale, angle)

    def rotation(self) -> np.ndarray:
        c, s = math.cos(self.angle), math.sin(self.angle)
        return np.array([[c, -s], [s, c]], dtype=np.float32)

    def to_image(self, uv: np.ndarray) -> np.ndarray:
        """Map crop-relative coordinates (u, v in [0, 1], (N, 2)) to image pixels."""
        local = (uv - 0.5) * self.size
        return local @ self.rotation().T + np.array([self.cx, self.cy], dtype=np.float32)

    def crop(self, image: np.ndarray, out_size: int) -> np.ndarray:
        """The rect's pixels as an out_size x out_size image; outside the frame is black."""
        corners = self.to_image(np.array([[0, 0], [1, 0], [0, 1]], dtype=np.float32))
        target = np.array([[0, 0], [out_size, 0], [0, out_size]], dtype=np.float32)
        matrix = cv2.getAffineTransform(corners, target)
        return cv2.warpAffine(
            image, matrix, (out_size, out_size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
        )

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.cx, self.cy, self.size, self.angle)


def letterbox(image: np.ndarray, out_size: int) -> tuple[np.ndarray, float, tuple[float, float]]:
    """Resize keeping the aspect ratio into a centred out_size square.

    Returns the square image, the scale applied and the (x, y) padding in output pixels.
    """
    h, w = image.shape[:2]
    scale = out_size / max(h, w)
    nw, nh = round(w * scale), round(h * scale)
    resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    pad_x, pad_y = (out_size - nw) // 2, (out_size - nh) // 2
    out = np.zeros((out_size, out_size, 3), dtype=image.dtype)
    out[pad_y : pad_y + nh, pad_x : pad_x + nw] = resized
    return out, scale, (float(pad_x), float(pad_y))
