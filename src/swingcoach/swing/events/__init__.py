"""Swing events: 8 GolfDB events per swing behind one interface, whichever detector finds them."""

from collections.abc import Callable

from swingcoach.swing.events.base import (
    EVENT_NAMES,
    EVENT_WORDS,
    PHASE_END_EVENTS,
    PHASE_NAMES,
    EventDetector,
    SwingEvents,
)
from swingcoach.swing.events.model import DEFAULT_MODEL, INT8_MODEL, LearnedEventDetector
from swingcoach.swing.events.rules import RuleEventDetector

# The learned model (docs/events.md): 73 % mean PCE in 4-fold CV on GolfDB against 54 % for the rules.
DEFAULT_DETECTOR = "learned"
DETECTORS: dict[str, Callable[[], EventDetector]] = {
    "learned": lambda: LearnedEventDetector(DEFAULT_MODEL),
    "learned-int8": lambda: LearnedEventDetector(INT8_MODEL),
    "rules": RuleEventDetector,
}


def detector_names() -> list[str]:
    return list(DETECTORS)


def create_event_detector(name: str | None = None) -> EventDetector:
    """The named detector (default: DEFAULT_DETECTOR)."""
    try:
        return DETECTORS[name or DEFAULT_DETECTOR]()
    except KeyError:
        raise ValueError(
            f"unknown event detector {name!r}; choose from {', '.join(detector_names())}"
        ) from None


__all__ = [
    "DEFAULT_DETECTOR",
    "EVENT_NAMES",
    "EVENT_WORDS",
    "PHASE_END_EVENTS",
    "PHASE_NAMES",
    "EventDetector",
    "LearnedEventDetector",
    "RuleEventDetector",
    "SwingEvents",
    "create_event_detector",
    "detector_names",
]
