"""Camera-like timing: file frames delivered at their own timestamps, and how late the loop runs.

A camera does not wait for the pose model: when the loop falls behind, frames still arrive (and go
into the ring buffer for the clip) but pose is skipped on frames that are already stale.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator

from swingcoach.video.source import Frame

Clock = Callable[[], float]


def paced(frames: Iterable[Frame], clock: Clock = time.monotonic) -> Iterator[Frame]:
    """Yield frames no earlier than their timestamps (a video file played like a live camera)."""
    start: float | None = None
    for frame in frames:
        now = clock()
        if start is None:
            start = now - frame.time_s
        delay = start + frame.time_s - now
        if delay > 0:
            time.sleep(delay)
        yield frame


class LagMeter:
    """How far the loop is behind the source, in seconds.

    Each frame's offset is its arrival time minus its stream time; the lag is that offset minus the
    smallest offset of the last `window_s` seconds. A sliding (not all-time) minimum follows a source
    clock that drifts against ours, as network cameras' clocks do.
    """

    def __init__(self, window_s: float = 10.0, clock: Clock = time.monotonic) -> None:
        self.window_s = window_s
        self._clock = clock
        self._minima: deque[tuple[float, float]] = deque()  # (arrival, offset), offsets increasing

    def lag(self, time_s: float) -> float:
        now = self._clock()
        offset = now - time_s
        while self._minima and self._minima[-1][1] >= offset:
            self._minima.pop()
        self._minima.append((now, offset))
        while self._minima[0][0] < now - self.window_s:
            self._minima.popleft()
        return offset - self._minima[0][1]
