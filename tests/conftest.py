"""Shared fixtures. Tests marked `data` read ../shared/data (or $SWINGCOACH_DATA) and are skipped
when it is absent; everything else runs from the files in this repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from media_files import DEMO_VIDEO, FIXTURES, REPO
from swingcoach.pose.base import PoseSequence

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
