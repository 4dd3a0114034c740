"""Body-relative signals of a pose sequence, independent of image size, position and frame rate.

Normalisation (used by the rule detector, the swing finder and the event model):
- root-centred: every keypoint minus the hip centre of the same frame;
- scale-normalised: divided by the median torso length (hip centre to shoulder centre) of the sequence;
- y flipped so that up is positive.
Time-based operations take seconds, never frames, so 30, 60, 120 and 240 fps behave alike.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from swingcoach.pose.skeleton import K


def interpolate_gaps(points: np.ndarray) -> np.ndarray:
    """Fill NaN rows of a (T, ...) array by linear interpolation in time (edges hold the nearest value)."""
    flat = points.reshape(len(points), -1).astype(np.float64, copy=True)
    missing = np.isnan(flat)
    t = np.arange(len(flat))
    for j in np.flatnonzero(missing.any(axis=0) & ~missing.all(axis=0)):
        gaps = missing[:, j]
        flat[gaps, j] = np.interp(t[gaps], t[~gaps], flat[~gaps, j])
    return flat.reshape(points.shape)


def smooth(signal: np.ndarray, fps: float, sigma_s: float) -> np.ndarray:
    """Gaussian smoothing along time with a width given in seconds."""
    sigma = sigma_s * fps
    return signal if sigma < 0.3 else gaussian_filter1d(signal, sigma, axis=0, mode="nearest")


def median_around(points: np.ndarray, frame: int, half: int) -> np.ndarray:
    """Median over the frames within `half` of `frame`, to steady single-frame noise (NaN ignored)."""
    window = points[max(0, frame - half) : frame + half + 1]
    # np.nanmedian takes a slow path even without NaN; most windows have none.
    return np.median(window, axis=0) if not np.isnan(window).any() else np.nanmedian(window, axis=0)


def midpoint(points: np.ndarray, a: int, b: int) -> np.ndarray:
    return (points[..., a, :] + points[..., b, :]) / 2


def torso_length(points: np.ndarray) -> float:
    hips = midpoint(points[..., :2], K.L_HIP, K.R_HIP)
    shoulders = midpoint(points[..., :2], K.L_SHOULDER, K.R_SHOULDER)
    length = float(np.nanmedian(np.linalg.norm(shoulders - hips, axis=-1)))
    return length if np.isfinite(length) and length > 0 else 1.0


def normalize(points: np.ndarray) -> np.ndarray:
    """(T, 17, >=2) pixel keypoints -> (T, 17, 2) root-centred, torso-scaled, y up."""
    xy = points[..., :2].astype(np.float64)
    root = midpoint(xy, K.L_HIP, K.R_HIP)[:, None, :]
    out = (xy - root) / torso_length(points)
    out[..., 1] *= -1
    return out


def hand_height(norm: np.ndarray) -> np.ndarray:
    """Height of the hands (wrist midpoint) above the hip centre, in torso lengths (shoulders ~ 1)."""
    return midpoint(norm, K.L_WRIST, K.R_WRIST)[:, 1]


def hand_speed(norm: np.ndarray, fps: float) -> np.ndarray:
    """Speed of the hands in torso lengths per second."""
    hands = midpoint(norm, K.L_WRIST, K.R_WRIST)
    velocity = np.gradient(hands, axis=0) * fps
    return np.linalg.norm(velocity, axis=-1)
