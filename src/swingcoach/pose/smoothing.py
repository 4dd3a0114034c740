"""One Euro filter (Casiez et al., CHI 2012) over keypoint arrays.

The cutoff rises with speed, so a still golfer at address is steady while the hands at impact
(the fastest motion of the swing) pass through nearly unfiltered and are not smeared.
Positions are divided by the person's size first, so the same settings work at any resolution.
"""

from __future__ import annotations

import math

import numpy as np


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    def __init__(self, min_cutoff: float = 0.3, beta: float = 40.0, d_cutoff: float = 1.0) -> None:
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self.reset()

    def reset(self) -> None:
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    def __call__(self, x: np.ndarray, time_s: float, scale: float = 1.0) -> np.ndarray:
        """Filter one sample (any shape, NaN entries pass through and restart their history)."""
        x = np.asarray(x, dtype=np.float64) / scale
        if self._x is None or self._t is None or time_s <= self._t:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), time_s
            return x * scale
        dt = time_s - self._t
        self._t = time_s
        fresh = np.isnan(self._x) | np.isnan(x)
        dx = np.where(fresh, 0.0, (x - self._x) / dt)
        self._dx = np.where(fresh, 0.0, self._dx + _alpha(self.d_cutoff, dt) * (dx - self._dx))
        cutoff = self.min_cutoff + self.beta * np.abs(self._dx)
        smoothed = np.where(fresh, x, self._x + _alpha(cutoff, dt) * (x - self._x))
        self._x = smoothed
        return smoothed * scale
