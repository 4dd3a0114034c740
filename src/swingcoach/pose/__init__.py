"""Pose: frames in, COCO-17 keypoints (and metric 3D where the backend has it) out."""

from swingcoach.pose.base import PoseBackend, PoseFrame, PoseSequence
from swingcoach.pose.registry import DEFAULT_BACKEND, backend_names, create_backend

__all__ = ["DEFAULT_BACKEND", "PoseBackend", "PoseFrame", "PoseSequence", "backend_names", "create_backend"]
