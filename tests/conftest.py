"""Shared fixtures. Tests marked `data` read ../shared/data (or $SWINGCOACH_DATA) and are skipped
when it is absent; everything else runs from the files in this repository."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from swingcoach.pose.base import PoseSequence

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
DEMO_VIDEO = REPO / "examples" / "golfdb_demo.mp4"
SHARED_DATA = Path(os.environ.get("SWINGCOACH_DATA", REPO.parent / "shared" / "data"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SHARED_DATA.is_dir():
        return
    skip = pytest.mark.skip(reason=f"shared data not found at {SHARED_DATA}")
    for item in items:
        if "data" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_video() -> Path:
    return DEMO_VIDEO


@pytest.fixture
def demo_poses() -> PoseSequence:
    """BlazePose-full keypoints of the demo video (one right-handed swing, down the line, slow motion)."""
    return PoseSequence.load(FIXTURES / "golfdb_demo_poses.npz")


def write_video(
    path: Path, frames: list[np.ndarray], fps: float = 30.0, codec: str = "libx264", rotation: int = 0
) -> Path:
    """Encode BGR frames to a video file with PyAV (any container its extension names)."""
    from fractions import Fraction

    import av

    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
        h, w = frames[0].shape[:2]
        stream.width, stream.height = w, h
        stream.pix_fmt = "yuv420p"
        if rotation:
            stream.set_display_rotation(rotation)
        for image in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
