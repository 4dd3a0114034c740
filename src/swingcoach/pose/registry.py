"""Pose backends by name: the one place the CLI, edge client and server look them up."""

from __future__ import annotations

from collections.abc import Callable

from swingcoach.pose.base import PoseBackend
from swingcoach.pose.blazepose import BlazePoseBackend
from swingcoach.pose.student import StudentBackend

DEFAULT_BACKEND = "blazepose-full"

# `live`: a camera or stream, where the pose must keep up with the frames. Files are posed with
# BlazePose on each frame and its mirror image (twice the time): a left-handed swing then gets exactly
# the mirrored pose of the same swing right-handed (docs/metrics.md, consistency).
_FACTORIES: dict[str, Callable[[int, bool], PoseBackend]] = {
    "blazepose-lite": lambda threads, live: BlazePoseBackend("lite", threads=threads, flip=not live),
    "blazepose-full": lambda threads, live: BlazePoseBackend("full", threads=threads, flip=not live),
    "student": lambda threads, live: StudentBackend("int8", "tflite", threads=threads),
    "student-fp32": lambda threads, live: StudentBackend("fp32", "tflite", threads=threads),
}
# The names these backends had before (settings and device configs written with them keep working).
_ALIASES = {
    "mediapipe": "blazepose-full",
    "mediapipe-full": "blazepose-full",
    "mediapipe-lite": "blazepose-lite",
}


def backend_names() -> list[str]:
    return sorted(_FACTORIES)


def create_backend(name: str = DEFAULT_BACKEND, threads: int = 1, live: bool = False) -> PoseBackend:
    key = _ALIASES.get(name, name)
    if key not in _FACTORIES:
        raise ValueError(f"unknown pose backend {name!r}; choose from {', '.join(backend_names())}")
    return _FACTORIES[key](threads, live)
