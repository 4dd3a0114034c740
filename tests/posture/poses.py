"""Synthetic bodies for the posture tests: (12, 2) image-space joints (y down), COCO-17 body order."""

import numpy as np


def stick_figure(
    arms_deg: float = 20.0, knee_deg: float = 180.0, left_knee_deg: float | None = None, scale: float = 100.0
) -> np.ndarray:
    """A person facing the camera: arms raised `arms_deg` from hanging, knees bent to the given angles.

    Returns shoulders, elbows, wrists, hips, knees, ankles as L/R pairs (the person's left on the
    image right)."""
    left_knee_deg = knee_deg if left_knee_deg is None else left_knee_deg
    points = np.zeros((12, 2))
    points[0:2] = [(0.4, -1.0), (-0.4, -1.0)]  # shoulders (left, right)
    points[6:8] = [(0.4, 0.0), (-0.4, 0.0)]  # hips
    for side, sign in ((0, 1.0), (1, -1.0)):
        arm = np.radians(arms_deg)
        direction = np.array([sign * np.sin(arm), np.cos(arm)])
        points[2 + side] = points[side] + 0.6 * direction
        points[4 + side] = points[side] + 1.2 * direction
        knee = np.radians(180 - (left_knee_deg if side == 0 else knee_deg))
        points[8 + side] = points[6 + side] + [0.0, 0.9]
        points[10 + side] = points[8 + side] + 0.9 * np.array([sign * np.sin(knee), np.cos(knee)])
    return (points * scale + [320.0, 200.0]).astype(np.float32)


def jitter(points: np.ndarray, rng: np.random.Generator, pixels: float = 3.0) -> np.ndarray:
    return (points + rng.normal(0, pixels, points.shape)).astype(np.float32)


def squats(
    repetitions: int, fps: float = 30.0, period_s: float = 2.0, rng: np.random.Generator | None = None
) -> np.ndarray:
    """(T, 12, 2): standing -> knees bent to 90 deg -> standing, `repetitions` times."""
    rng = rng or np.random.default_rng(0)
    frames = int(repetitions * period_s * fps) + int(0.5 * fps)
    t = np.arange(frames) / fps
    depth = 0.5 - 0.5 * np.cos(2 * np.pi * np.clip(t - 0.25, 0, None) / period_s)
    out = []
    for d in depth:
        out.append(jitter(stick_figure(knee_deg=180 - 90 * d), rng, 1.0))
    return np.stack(out)
