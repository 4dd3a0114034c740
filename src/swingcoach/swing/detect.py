"""Streaming swing finder: idle -> address -> swing -> finish, one pose at a time.

The same state machine cuts swings out of a long file offline and out of a live camera on the
device. A swing counts only when the hands go through the whole pattern: still and low at
address, up above the shoulders (top), down through the hitting zone (impact), up again
(follow-through). Waggles, half practice swings and walking around never complete it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from swingcoach.pose.base import PoseSequence
from swingcoach.pose.skeleton import K


class State(StrEnum):
    IDLE = "idle"
    ADDRESS = "address"
    SWING = "swing"
    FINISH = "finish"


@dataclass(frozen=True)
class DetectorSettings:
    """Heights are hands above the hip centre in torso lengths; distances in torso lengths."""

    still_window_s: float = 0.4
    still_hands: float = 0.06  # standard deviation of the hands over the window at address
    still_hips: float = 0.06
    address_max_height: float = 0.45
    address_max_reach: float = 1.0  # hands' horizontal distance from the hip centre
    takeaway_distance: float = 0.15  # hands leave their address position by this much
    top_height: float = 0.8
    impact_height: float = 0.45
    follow_height: float = 0.7
    finish_speed: float = 0.8  # torso lengths / s: the finish is held
    max_backswing_s: float = 8.0  # generous, so slow-motion clips still count
    max_downswing_s: float = 3.0
    max_follow_s: float = 4.0
    lost_person_s: float = 0.6
    # The event model places address in the stillness before the takeaway; a slow takeaway starts
    # up to a second before the hands pass takeaway_distance, so 1 s left it nothing to see.
    pre_roll_s: float = 2.0
    post_roll_s: float = 1.5  # long enough to see whether the finish is held


@dataclass(frozen=True)
class SwingSegment:
    """A found swing, as frame indices of the source; start/end include the pre- and post-roll."""

    start: int
    end: int
    takeaway: int
    top: int
    impact: int
    finish: int
    start_time_s: float
    end_time_s: float


@dataclass
class _Sample:
    index: int
    time_s: float
    hands: np.ndarray  # torso units, y up, relative to hip centre
    hips: np.ndarray  # pixels
    torso: float


class SwingDetector:
    """Feed poses frame by frame with `update`; it returns each swing once its finish is seen."""

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self.s = settings or DetectorSettings()
        self.state = State.IDLE
        self._history: deque[_Sample] = deque()
        self._torso: deque[float] = deque(maxlen=90)
        self._last_seen = -np.inf
        # Where the last swing's cut ended: the next cut starts after it, so two swings never share
        # frames (the next golfer's address is never the previous one's finish).
        self._previous_end: tuple[int, float] = (-1, -np.inf)
        self._reset_swing()

    def _cut_start_s(self, takeaway: _Sample) -> float:
        return max(0.0, takeaway.time_s - self.s.pre_roll_s, self._previous_end[1])

    @property
    def swing_start_s(self) -> float | None:
        """While a swing is under way: the stream time its cut will start at (takeaway minus the
        pre-roll, not before the previous cut's end), so a live recorder can start saving frames
        before the finish is seen."""
        if self.state in (State.SWING, State.FINISH) and self._takeaway is not None:
            return self._cut_start_s(self._takeaway)
        return None

    def earliest_cut_s(self, now_s: float) -> float:
        """The earliest stream time a cut not yet emitted can start at: a file's reader may forget
        the poses before it."""
        if self._takeaway is not None:
            return self._cut_start_s(self._takeaway)
        # A takeaway not yet seen is at the newest pose or later.
        return max(0.0, now_s - self.s.pre_roll_s, self._previous_end[1])

    def _reset_swing(self) -> None:
        self._address_hands: np.ndarray | None = None
        self._takeaway: _Sample | None = None
        self._top: _Sample | None = None
        self._impact: _Sample | None = None
        self._follow: _Sample | None = None
        self._finish: _Sample | None = None

    def _sample(self, index: int, time_s: float, keypoints: np.ndarray) -> _Sample | None:
        xy = keypoints[:, :2]
        needed = [K.L_HIP, K.R_HIP, K.L_SHOULDER, K.R_SHOULDER, K.L_WRIST, K.R_WRIST]
        if np.isnan(xy[needed]).any():
            return None
        hips = (xy[K.L_HIP] + xy[K.R_HIP]) / 2
        shoulders = (xy[K.L_SHOULDER] + xy[K.R_SHOULDER]) / 2
        self._torso.append(float(np.linalg.norm(shoulders - hips)))
        torso = max(float(np.median(self._torso)), 1e-6)
        hands = ((xy[K.L_WRIST] + xy[K.R_WRIST]) / 2 - hips) / torso
        hands[1] *= -1
        return _Sample(index, time_s, hands, hips, torso)

    def _window(self, now: float) -> list[_Sample]:
        return [h for h in self._history if now - h.time_s <= self.s.still_window_s]

    def _still_window(self, now: float) -> list[_Sample]:
        """The window of the stillness test. Poses that come sparsely (the device runs pose a few
        times a second while idle) may leave it short of its span: then the sample just before it
        is taken too, if it is not much older."""
        window = self._window(now)
        if window[0].time_s > now - 0.75 * self.s.still_window_s and len(self._history) > len(window):
            before = self._history[-len(window) - 1]
            if now - before.time_s <= 2 * self.s.still_window_s:
                window.insert(0, before)
        return window

    def _is_address_posture(self, sample: _Sample) -> bool:
        window = self._still_window(sample.time_s)
        if window[0].time_s > sample.time_s - 0.75 * self.s.still_window_s:
            return False  # not enough history yet
        hands = np.array([w.hands for w in window])
        hips = np.array([w.hips for w in window]) / sample.torso
        return bool(
            sample.hands[1] < self.s.address_max_height
            and abs(sample.hands[0]) < self.s.address_max_reach
            and hands.std(axis=0).max() < self.s.still_hands
            and hips.std(axis=0).max() < self.s.still_hips
        )

    def update(self, index: int, time_s: float, keypoints: np.ndarray | None) -> SwingSegment | None:
        sample = None if keypoints is None else self._sample(index, time_s, keypoints)
        if sample is None:
            if time_s - self._last_seen > self.s.lost_person_s and self.state != State.IDLE:
                # Out of view after the follow-through (walked off, camera cut): the swing is whole.
                segment = self.flush(index, time_s)
                self._to_idle()
                return segment
            return None
        self._last_seen = time_s
        self._history.append(sample)
        while self._history and time_s - self._history[0].time_s > max(
            self.s.still_window_s, self.s.pre_roll_s
        ):
            self._history.popleft()
        handler = {
            State.IDLE: self._on_idle,
            State.ADDRESS: self._on_address,
            State.SWING: self._on_swing,
            State.FINISH: self._on_finish,
        }[self.state]
        return handler(sample)

    def _to_idle(self) -> None:
        self.state = State.IDLE
        self._reset_swing()

    def _on_idle(self, sample: _Sample) -> None:
        if self._is_address_posture(sample):
            self.state = State.ADDRESS
            self._address_hands = self._rest_position(sample)
        return None

    def _rest_position(self, sample: _Sample) -> np.ndarray:
        return np.mean([w.hands for w in self._window(sample.time_s)], axis=0)

    def _on_address(self, sample: _Sample) -> None:
        assert self._address_hands is not None
        if self._is_address_posture(sample):
            self._address_hands = self._rest_position(sample)
            self._takeaway = sample
            return None
        if np.linalg.norm(sample.hands - self._address_hands) > self.s.takeaway_distance:
            if self._takeaway is None:
                self._takeaway = sample
            self.state = State.SWING
            return None
        if sample.hands[1] > self.s.address_max_height:
            self._to_idle()
        return None

    def _on_swing(self, sample: _Sample) -> None:
        assert self._takeaway is not None and self._address_hands is not None
        elapsed = sample.time_s - self._takeaway.time_s
        height = sample.hands[1]
        if self._impact is None:
            if (self._top is None and height > self.s.top_height) or (
                self._top is not None and height > self._top.hands[1]
            ):
                self._top = sample
            if self._top is None:
                back_at_address = (
                    np.linalg.norm(sample.hands - self._address_hands) < self.s.takeaway_distance
                )
                if back_at_address and self._is_address_posture(sample):
                    self.state = State.ADDRESS  # a waggle: hands went back without a backswing
                    self._takeaway = sample
                elif elapsed > self.s.max_backswing_s:
                    self._to_idle()
                return None
            if height < self.s.impact_height:
                self._impact = sample
            elif sample.time_s - self._top.time_s > self.s.max_downswing_s:
                self._to_idle()
            return None
        if height < self._impact.hands[1] and self._follow is None:
            self._impact = sample  # still going down: impact is the lowest point
        if height > self.s.follow_height:
            self._follow = sample
            self.state = State.FINISH
        elif sample.time_s - self._impact.time_s > self.s.max_follow_s:
            self._to_idle()
        return None

    def _on_finish(self, sample: _Sample) -> SwingSegment | None:
        assert self._follow is not None and self._impact is not None
        if self._finish is None:
            recent = self._window(sample.time_s)
            speed = np.linalg.norm(recent[-1].hands - recent[0].hands) / max(
                recent[-1].time_s - recent[0].time_s, 1e-6
            )
            held = speed < self.s.finish_speed and len(recent) > 1
            timed_out = sample.time_s - self._impact.time_s > self.s.max_follow_s
            if held or timed_out:
                self._finish = sample
            return None
        if sample.time_s - self._finish.time_s < self.s.post_roll_s:
            return None
        return self._emit(sample)

    def _emit(self, end: _Sample) -> SwingSegment:
        assert self._takeaway and self._top and self._impact and self._finish
        first = self._history[0]
        frames_per_s = (
            (end.index - first.index) / max(end.time_s - first.time_s, 1e-6) if end is not first else 30.0
        )
        pre_roll = round(self.s.pre_roll_s * frames_per_s)
        segment = SwingSegment(
            start=max(0, self._takeaway.index - pre_roll, self._previous_end[0] + 1),
            end=end.index,
            takeaway=self._takeaway.index,
            top=self._top.index,
            impact=self._impact.index,
            finish=self._finish.index,
            start_time_s=self._cut_start_s(self._takeaway),
            end_time_s=end.time_s,
        )
        self._previous_end = (end.index, end.time_s)
        self._to_idle()
        return segment

    def flush(self, index: int, time_s: float) -> SwingSegment | None:
        """End of stream: a swing that reached its follow-through is emitted even if cut short."""
        if self.state == State.FINISH and self._follow is not None:
            if self._finish is None:
                self._finish = self._history[-1] if self._history else self._follow
            return self._emit(self._history[-1] if self._history else self._finish)
        return None


def find_swings(sequence: PoseSequence, settings: DetectorSettings | None = None) -> list[SwingSegment]:
    """Run the streaming detector over a whole sequence; frame indices are the sequence's own."""
    detector = SwingDetector(settings)
    found = []
    for row, (index, keypoints) in enumerate(zip(sequence.frame_indices, sequence.keypoints, strict=True)):
        time_s = row / sequence.fps
        pose = None if np.isnan(keypoints[:, 0]).all() else keypoints
        if (segment := detector.update(int(index), time_s, pose)) is not None:
            found.append(segment)
    if len(sequence) and (
        segment := detector.flush(int(sequence.frame_indices[-1]), (len(sequence) - 1) / sequence.fps)
    ):
        found.append(segment)
    return found
