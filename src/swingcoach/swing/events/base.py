"""The event interface every detector implements: 8 GolfDB events per swing, in order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from swingcoach.pose.base import PoseSequence

EVENT_NAMES = (
    "address",
    "toe_up",
    "mid_backswing",
    "top",
    "mid_downswing",
    "impact",
    "mid_follow_through",
    "finish",
)
# How advice names each event ("at the top, your ...").
EVENT_WORDS = {
    "address": "at address",
    "toe_up": "at takeaway",
    "mid_backswing": "at mid-backswing",
    "top": "at the top",
    "mid_downswing": "at mid-downswing",
    "impact": "at impact",
    "mid_follow_through": "at mid-follow-through",
    "finish": "at the finish",
}

# The five coarse phases of the phone-swing labels, and the event that ends each one:
# Setup ..address] Takeaway ..toe_up] Backswing ..top] Downswing ..impact] Follow-through to the end.
PHASE_NAMES = ("Setup", "Takeaway", "Backswing", "Downswing", "Follow-through")
PHASE_END_EVENTS = ("address", "toe_up", "top", "impact")


@dataclass(frozen=True)
class SwingEvents:
    """8 event frames (indices into the sequence the detector was given, non-decreasing) and the
    same events at sub-frame precision (fractional rows; the frames themselves when not known finer).
    Times are measured on the sub-frame positions, so they hold when the frame rate changes."""

    frames: tuple[int, ...]
    positions: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if len(self.frames) != len(EVENT_NAMES):
            raise ValueError(f"expected {len(EVENT_NAMES)} event frames, got {len(self.frames)}")
        if any(b < a for a, b in zip(self.frames, self.frames[1:], strict=False)):
            raise ValueError(f"event frames must be in swing order, got {self.frames}")
        if self.positions is None:
            object.__setattr__(self, "positions", tuple(float(f) for f in self.frames))
        elif len(self.positions) != len(EVENT_NAMES):
            raise ValueError(f"expected {len(EVENT_NAMES)} event positions, got {len(self.positions)}")

    def __getitem__(self, name: str) -> int:
        return self.frames[EVENT_NAMES.index(name)]

    def position(self, name: str) -> float:
        """The event's sub-frame row."""
        assert self.positions is not None
        return self.positions[EVENT_NAMES.index(name)]

    def as_dict(self) -> dict[str, int]:
        return dict(zip(EVENT_NAMES, self.frames, strict=True))

    def shifted(self, offset: int) -> SwingEvents:
        assert self.positions is not None
        return SwingEvents(tuple(f + offset for f in self.frames), tuple(p + offset for p in self.positions))

    def phases(self, length: int) -> np.ndarray:
        """Coarse phase index (into PHASE_NAMES) of every frame of a sequence of `length` frames."""
        ends = np.array([self[name] for name in PHASE_END_EVENTS])
        return np.searchsorted(ends, np.arange(length), side="left").astype(np.int64)


class EventDetector(Protocol):
    """Finds the 8 events of one swing in a right-handed pose sequence.

    Left-handed swings are mirrored before they reach a detector.
    """

    name: str
    version: str

    def detect(self, sequence: PoseSequence) -> SwingEvents: ...
