"""Drawing on frames: skeleton, labels and the swing timeline. Kept apart from the models."""

from __future__ import annotations

import cv2
import numpy as np

from swingcoach.pose.skeleton import EDGES, K

MIN_CONFIDENCE = 0.3
LEFT = {K.L_SHOULDER, K.L_ELBOW, K.L_WRIST, K.L_HIP, K.L_KNEE, K.L_ANKLE, K.L_EYE, K.L_EAR}
COLOR_LEFT = (255, 160, 0)  # BGR: blue-ish for the left side
COLOR_RIGHT = (0, 140, 255)  # orange for the right side
COLOR_CENTER = (230, 230, 230)
COLOR_EVENT = (60, 220, 60)
COLOR_TEXT = (255, 255, 255)


def _scale(image: np.ndarray) -> float:
    return max(image.shape[:2]) / 640.0


def draw_skeleton(image: np.ndarray, keypoints: np.ndarray | None) -> np.ndarray:
    """Draw COCO-17 keypoints (17, 3) onto a BGR image in place; returns it."""
    if keypoints is None or np.isnan(keypoints[:, 0]).all():
        return image
    s = _scale(image)
    thickness = max(1, round(3 * s))
    radius = max(2, round(4 * s))
    for a, b in EDGES:
        pa, pb = keypoints[a], keypoints[b]
        if np.isnan(pa[0]) or np.isnan(pb[0]) or min(pa[2], pb[2]) < MIN_CONFIDENCE:
            continue
        color = (
            COLOR_LEFT
            if a in LEFT and b in LEFT
            else COLOR_RIGHT
            if a not in LEFT and b not in LEFT
            else COLOR_CENTER
        )
        cv2.line(
            image, (round(pa[0]), round(pa[1])), (round(pb[0]), round(pb[1])), color, thickness, cv2.LINE_AA
        )
    for i, (x, y, c) in enumerate(keypoints):
        if np.isnan(x) or c < MIN_CONFIDENCE:
            continue
        color = COLOR_LEFT if i in LEFT else COLOR_RIGHT
        cv2.circle(image, (round(x), round(y)), radius, color, -1, cv2.LINE_AA)
    return image


def draw_label(
    image: np.ndarray, text: str, origin: tuple[int, int], scale: float = 0.6, color=COLOR_TEXT
) -> None:
    """Text on a dark box, readable on any background."""
    s = _scale(image) * scale
    thickness = max(1, round(2 * s))
    (w, h), baseline = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, s, thickness)
    x, y = origin
    cv2.rectangle(image, (x - 4, y - h - 6), (x + w + 4, y + baseline + 2), (20, 20, 20), -1)
    cv2.putText(image, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, s, color, thickness, cv2.LINE_AA)


def draw_timeline(
    image: np.ndarray, position: float, marks: list[tuple[float, str]], highlight: str | None = None
) -> None:
    """A bar along the bottom: event ticks at fractions of the swing and a cursor at `position`."""
    h, w = image.shape[:2]
    s = _scale(image)
    bar_h = max(6, round(8 * s))
    y0 = h - bar_h - max(4, round(6 * s))
    x0, x1 = round(0.04 * w), round(0.96 * w)
    cv2.rectangle(image, (x0, y0), (x1, y0 + bar_h), (40, 40, 40), -1)
    for fraction, name in marks:
        x = round(x0 + fraction * (x1 - x0))
        color = COLOR_EVENT if name == highlight else (200, 200, 200)
        cv2.line(image, (x, y0 - 2), (x, y0 + bar_h + 2), color, max(1, round(2 * s)))
    cursor = round(x0 + min(max(position, 0.0), 1.0) * (x1 - x0))
    cv2.circle(image, (cursor, y0 + bar_h // 2), bar_h, COLOR_EVENT, -1, cv2.LINE_AA)


def person_crop(image: np.ndarray, keypoints: np.ndarray, margin: float = 0.35) -> np.ndarray:
    """The image around the person's keypoints, padded by `margin` of the body size."""
    h, w = image.shape[:2]
    xy = keypoints[~np.isnan(keypoints[:, 0]), :2]
    if len(xy) == 0:
        return image
    (x0, y0), (x1, y1) = xy.min(0), xy.max(0)
    pad = margin * max(x1 - x0, y1 - y0)
    x0, y0 = max(0, int(x0 - pad)), max(0, int(y0 - pad))
    x1, y1 = min(w, int(x1 + pad)), min(h, int(y1 + pad))
    return image[y0:y1, x0:x1] if x1 > x0 and y1 > y0 else image
