"""Cutting swings out of a live stream: a ring buffer of recent frames (the pre-roll) and a
recorder that encodes a swing's clip on a background thread while the swing is still going on.

The swing finder only knows a swing is a swing at its finish, but the clip must start a second
before the takeaway. Holding the whole swing in memory until then would cost hundreds of MB at
camera resolution, so the recorder starts when the swing finder sees the takeaway, takes the
pre-roll from the ring, and is discarded if the motion turns out to be a waggle.
"""

from __future__ import annotations

import queue
import shutil
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from swingcoach.video.writer import VideoWriter


@dataclass(frozen=True)
class Captured:
    """One frame as the device saw it; `keypoints` is None where no pose was run or nobody found."""

    index: int
    time_s: float
    image: np.ndarray
    keypoints: np.ndarray | None


def fit_frame(image: np.ndarray, max_side: int) -> np.ndarray:
    """The frame shrunk so its longer side is at most `max_side` (clips need not be full resolution)."""
    h, w = image.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1.0:
        return image
    return cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)


class FrameRing:
    """The frames of the last `seconds` of stream time."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._items: deque[Captured] = deque()

    def append(self, item: Captured) -> None:
        self._items.append(item)
        while self._items[0].time_s < item.time_s - self.seconds:
            self._items.popleft()

    def since(self, time_s: float) -> list[Captured]:
        return [item for item in self._items if item.time_s >= time_s]

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class RecordedClip:
    path: Path
    indices: list[int]  # source frame index of every clip frame
    times: list[float]
    keypoints: list[np.ndarray | None]


class ClipRecorder:
    """Encodes frames to `folder`/clip.mp4 (H.264) on its own thread; `add` never blocks the capture
    loop. The folder belongs to the recorder: a discarded recording removes it."""

    def __init__(self, folder: Path, fps: float, width: int, height: int) -> None:
        folder.mkdir(parents=True)
        self.folder = folder
        self.path = folder / "clip.mp4"
        self._indices: list[int] = []
        self._times: list[float] = []
        self._keypoints: list[np.ndarray | None] = []
        self._queue: queue.SimpleQueue[np.ndarray | None] = queue.SimpleQueue()
        self._discarded = False
        self._error: Exception | None = None
        self._thread = threading.Thread(target=self._encode, args=(fps, width, height), daemon=True)
        self._thread.start()

    def add(self, item: Captured) -> None:
        self._indices.append(item.index)
        self._times.append(item.time_s)
        self._keypoints.append(item.keypoints)
        self._queue.put(item.image)

    def close(self) -> None:
        """No more frames; encoding finishes in the background (see `result`)."""
        self._queue.put(None)

    def discard(self) -> None:
        """Not a swing after all: stop and delete the folder, without waiting."""
        self._discarded = True
        self.close()

    def wait(self) -> None:
        self._thread.join()

    def result(self) -> RecordedClip:
        """Wait for the encoder; raises what it failed with (a full disk, an unwritable folder)."""
        self.wait()
        if self._error is not None:
            raise self._error
        return RecordedClip(self.path, self._indices, self._times, self._keypoints)

    def _encode(self, fps: float, width: int, height: int) -> None:
        ended = False
        try:
            with VideoWriter(self.path, fps, width, height) as writer:
                while (image := self._queue.get()) is not None:
                    if not self._discarded:
                        writer.write(image)
                ended = True
        except Exception as error:  # reported by result(); frames keep draining so memory is freed
            self._error = error
            while not ended and self._queue.get() is not None:
                pass
        if self._discarded:
            shutil.rmtree(self.folder, ignore_errors=True)
