"""Angles between body points (2D or 3D). 3D poses have y vertical, so x-z is the ground plane."""

from __future__ import annotations

import numpy as np

HORIZONTAL = [0, 2]


def joint_angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Angle ABC in degrees."""
    u, v = a - b, c - b
    cos = np.dot(u, v) / max(float(np.linalg.norm(u) * np.linalg.norm(v)), 1e-9)
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def line_heading(left: np.ndarray, right: np.ndarray) -> float:
    """Direction of a body line (left -> right point) in the horizontal plane, degrees."""
    d = (right - left)[HORIZONTAL]
    return float(np.degrees(np.arctan2(d[1], d[0])))


def turn_between(before: float, after: float) -> float:
    return abs((after - before + 180.0) % 360.0 - 180.0)


def tilt_from_vertical(bottom: np.ndarray, top: np.ndarray) -> float:
    d = top - bottom
    return float(np.degrees(np.arccos(np.clip(-d[1] / max(float(np.linalg.norm(d)), 1e-9), -1.0, 1.0))))


def image_line_tilt(lead: np.ndarray, trail: np.ndarray, eps: float = 1e-9) -> float:
    """A body line's angle from horizontal in the image (y down), trail point lower positive, either
    way the line points."""
    d = trail - lead
    return float(np.degrees(np.arctan2(d[1], abs(d[0]) + eps)))


def angle_in_plane(v: np.ndarray, reference: np.ndarray, toward: np.ndarray) -> float:
    """Signed angle (degrees) of `v` from `reference` in the plane of `reference` and `toward` (both
    unit, orthogonal), positive toward `toward`. 2D or 3D."""
    return float(np.degrees(np.arctan2(np.dot(v, toward), np.dot(v, reference))))
