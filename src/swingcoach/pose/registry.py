"""Pose backends by name: the one place the CLI, edge client and server look them up."""

from __future__ import annotations

from collections.abc import Callable

from swingcoach.pose.base import PoseBackend
from swingcoach.pose.blazepose import BlazePoseBackend
from swingcoach.pose.student import StudentBackend

DEFAULT_BACKEND = "mediapipe-full"

_FACTORIES: dict[str, Callable[[int], PoseBackend]] = {
    "mediapipe-lite": lambda threads: BlazePoseBackend("lite", threads=threads),
    "mediapipe-full": lambda threads: BlazePoseBackend("full", threads=threads),
    "student": lambda threads: StudentBackend("int8", "tflite", threads=threads),
    "student-fp32": lambda threads: StudentBackend("fp32", "tflite", threads=threads),
}
_ALIASES = {"mediapipe": "mediapipe-full"}


def backend_names() -> list[str]:
    return sorted(_FACTORIES)


def create_backend(name: str = DEFAULT_BACKEND, threads: int = 1) -> PoseBackend:
    key = _ALIASES.get(name, name)
    if key not in _FACTORIES:
        raise ValueError(f"unknown pose backend {name!r}; choose from {', '.join(backend_names())}")
    return _FACTORIES[key](threads)
