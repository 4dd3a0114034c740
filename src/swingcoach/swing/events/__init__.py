"""Swing events: 8 GolfDB events per swing behind one interface, whichever detector finds them."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from swingcoach.swing.events.base import (
    EVENT_NAMES,
    EVENT_WORDS,
    PHASE_END_EVENTS,
    PHASE_NAMES,
    EventDetector,
    SwingEvents,
)

if TYPE_CHECKING:
    from swingcoach.swing.events.model import LearnedEventDetector
    from swingcoach.swing.events.rules import RuleEventDetector

# The detectors load scipy and onnxruntime: imported when first used, so the command line starts fast.
_LAZY = {
    "LearnedEventDetector": "swingcoach.swing.events.model",
    "RuleEventDetector": "swingcoach.swing.events.rules",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# The learned model (docs/events.md): 73 % mean PCE in 4-fold CV on GolfDB against 54 % for the rules.
DEFAULT_DETECTOR = "learned"
DETECTORS = ("learned", "learned-int8", "rules")


def detector_names() -> list[str]:
    return list(DETECTORS)


def create_event_detector(name: str | None = None) -> EventDetector:
    """The named detector (default: DEFAULT_DETECTOR)."""
    from swingcoach.swing.events.model import DEFAULT_MODEL, INT8_MODEL, LearnedEventDetector
    from swingcoach.swing.events.rules import RuleEventDetector

    factories: dict[str, Callable[[], EventDetector]] = {
        "learned": lambda: LearnedEventDetector(DEFAULT_MODEL),
        "learned-int8": lambda: LearnedEventDetector(INT8_MODEL),
        "rules": RuleEventDetector,
    }
    try:
        return factories[name or DEFAULT_DETECTOR]()
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
