"""Adaptive pose rate: a few poses per second while nobody is at address, every frame from the
address posture until the swing is over.

Pose is most of the device's CPU time, and most of the time nobody is swinging: the golfer tees up,
talks, walks away. The swing finder needs the full rate only from address on; it recognises the
address posture from a handful of poses over its stillness window, so a low rate while idle costs
no swings.
"""

from __future__ import annotations

from swingcoach.swing.detect import State


class AdaptiveRate:
    def __init__(
        self,
        source_fps: float,
        empty_fps: float,
        idle_fps: float,
        full_fps: float | None = None,
        adaptive: bool = True,
    ) -> None:
        self.source_fps = source_fps
        self.full_fps = min(full_fps or source_fps, source_fps)
        self.empty_fps = min(empty_fps, self.full_fps)
        self.idle_fps = min(idle_fps, self.full_fps)
        self.adaptive = adaptive
        self._last_pose_s: float | None = None

    def target_fps(self, state: State, person_in_view: bool) -> float:
        if not self.adaptive or state != State.IDLE:
            return self.full_fps
        return self.idle_fps if person_in_view else self.empty_fps

    def due(self, time_s: float, state: State, person_in_view: bool) -> bool:
        """Whether the frame at `time_s` should get a pose (half a source frame of tolerance, so a
        rate that divides the source rate takes every n-th frame exactly)."""
        if self._last_pose_s is None or time_s < self._last_pose_s:  # first frame, or the clock restarted
            return True
        interval = 1.0 / self.target_fps(state, person_in_view) - 0.5 / self.source_fps
        return time_s - self._last_pose_s >= interval

    def posed(self, time_s: float) -> None:
        self._last_pose_s = time_s
