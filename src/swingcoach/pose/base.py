"""What every pose backend produces, and the protocol it implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from swingcoach.pose.skeleton import NUM_KEYPOINTS, mirror_keypoints

MAX_GRID_ROWS = 3600 * 240  # an hour at 240 fps


@dataclass
class PoseFrame:
    """One person's pose in one image.

    keypoints: (17, 3) COCO-17 x, y in pixels and a confidence in [0, 1].
    world: (17, 3) metric 3D in metres, hip-centred (x right, y down, z away from the camera), if known.
    roi: (cx, cy, size, angle) of the region the model looked at, in pixels / radians, if any.
    """

    keypoints: np.ndarray
    world: np.ndarray | None = None
    roi: tuple[float, float, float, float] | None = None


class PoseBackend(Protocol):
    """A stateful per-frame pose estimator: it follows one person from frame to frame."""

    name: str
    version: str
    has_world: bool

    def __call__(self, image_bgr: np.ndarray, time_s: float) -> PoseFrame | None: ...

    def reset(self) -> None: ...


def grid_step(times: np.ndarray | list[float]) -> float:
    """The grid's step: the median interval between stamps (1/30 s for a single stamp)."""
    steps = np.sort(np.diff(np.asarray(times, dtype=np.float64)))
    return max(float(steps[len(steps) // 2]) if len(steps) else 1 / 30, 1 / 240)


def time_grid(times: np.ndarray, start_s: float, end_s: float) -> tuple[np.ndarray, float]:
    """Poses stamped at irregular times -> a regular grid from `start_s` to `end_s`: for each slot, the
    index of the nearest stamp within half a step (-1 if none), and the grid's rate.

    The step is the median interval between stamps, so dropped frames leave empty slots instead of
    compressing time, and jitter moves nothing by more than half a step. The browser's payload
    (static/js/payload.mjs `resample`) builds the same grid.
    """
    times = np.asarray(times, dtype=np.float64)
    step = grid_step(times)
    count = min(MAX_GRID_ROWS, int(np.floor((end_s - start_s) / step + 1e-6)) + 1)
    slots = start_s + np.arange(count) * step
    after = np.clip(np.searchsorted(times, slots, side="left"), 0, len(times) - 1)
    before = np.clip(after - 1, 0, len(times) - 1)
    # Ties go to the later stamp, as in the browser.
    nearest = np.where(np.abs(times[before] - slots) < np.abs(times[after] - slots), before, after)
    return np.where(np.abs(times[nearest] - slots) <= step / 2, nearest, -1), 1 / step


def _nan_block(length: int) -> np.ndarray:
    return np.full((length, NUM_KEYPOINTS, 3), np.nan, dtype=np.float32)


@dataclass
class PoseSequence:
    """Poses of one video (or a piece of it), frame by frame.

    Rows where nobody was found are NaN. `frame_indices` maps rows to frames of the source video.
    """

    keypoints: np.ndarray  # (T, 17, 3) px, px, confidence
    fps: float
    width: int
    height: int
    world: np.ndarray | None = None  # (T, 17, 3) metres
    frame_indices: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.keypoints = np.asarray(self.keypoints, dtype=np.float32)
        if self.keypoints.ndim != 3 or self.keypoints.shape[1:] != (NUM_KEYPOINTS, 3):
            raise ValueError(f"keypoints must be (T, 17, 3), got {self.keypoints.shape}")
        if self.world is not None:
            self.world = np.asarray(self.world, dtype=np.float32)
        if self.frame_indices is None:
            self.frame_indices = np.arange(len(self.keypoints))
        self.frame_indices = np.asarray(self.frame_indices, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.keypoints)

    @property
    def valid(self) -> np.ndarray:
        return ~np.isnan(self.keypoints[:, :, 0]).all(axis=1)

    def slice(self, start: int, stop: int) -> PoseSequence:
        return PoseSequence(
            keypoints=self.keypoints[start:stop],
            fps=self.fps,
            width=self.width,
            height=self.height,
            world=None if self.world is None else self.world[start:stop],
            frame_indices=self.frame_indices[start:stop],
        )

    def mirrored(self) -> PoseSequence:
        """The same motion as a mirror image: a left-handed swing becomes a right-handed one."""
        return PoseSequence(
            keypoints=mirror_keypoints(self.keypoints, self.width),
            fps=self.fps,
            width=self.width,
            height=self.height,
            world=None if self.world is None else mirror_keypoints(self.world, None),
            frame_indices=self.frame_indices,
        )

    @classmethod
    def from_frames(
        cls, frames: list[PoseFrame | None], fps: float, width: int, height: int, with_world: bool
    ) -> PoseSequence:
        keypoints = _nan_block(len(frames))
        world = _nan_block(len(frames)) if with_world else None
        for i, frame in enumerate(frames):
            if frame is None:
                continue
            keypoints[i] = frame.keypoints
            if world is not None and frame.world is not None:
                world[i] = frame.world
        return cls(keypoints=keypoints, fps=fps, width=width, height=height, world=world)

    @classmethod
    def from_timed_frames(
        cls,
        frames: list[PoseFrame | None],
        times: np.ndarray,
        width: int,
        height: int,
        with_world: bool,
    ) -> PoseSequence:
        """Poses stamped with their capture times, put on a regular grid (`time_grid`)."""
        rows, fps = time_grid(times, float(times[0]), float(times[-1]))
        gridded = [None if row < 0 else frames[row] for row in rows]
        return cls.from_frames(gridded, fps, width, height, with_world)

    def save(self, path: Path) -> None:
        arrays = {
            "keypoints": self.keypoints,
            "fps": np.float64(self.fps),
            "size": np.array([self.width, self.height]),
            "frame_indices": self.frame_indices,
        }
        if self.world is not None:
            arrays["world"] = self.world
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path: Path) -> PoseSequence:
        with np.load(path) as z:
            width, height = (int(v) for v in z["size"])
            return cls(
                keypoints=z["keypoints"],
                fps=float(z["fps"]),
                width=width,
                height=height,
                world=z["world"] if "world" in z.files else None,
                frame_indices=z["frame_indices"],
            )
