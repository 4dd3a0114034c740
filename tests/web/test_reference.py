"""The pro reference the analysis page draws is the demo swing's keypoints, regenerated exactly."""

from __future__ import annotations

import json

from swingcoach.pose.base import PoseSequence
from swingcoach.swing.events import EVENT_NAMES
from swingcoach.web.reference import REFERENCE_FILE, build_reference


def test_shipped_reference_is_current(demo_poses: PoseSequence) -> None:
    shipped = json.loads(REFERENCE_FILE.read_text())
    assert shipped == json.loads(json.dumps(build_reference(demo_poses))), (
        "regenerate: python -m swingcoach.web.reference tests/fixtures/golfdb_demo_poses.npz"
    )


def test_reference_is_one_whole_swing() -> None:
    reference = json.loads(REFERENCE_FILE.read_text())
    frames = [reference["events"][name] for name in EVENT_NAMES]
    assert frames == sorted(frames) and frames[0] >= 0 and frames[-1] < len(reference["frames"])
    assert reference["handedness"] == "right" and "CC BY-NC" in reference["attribution"]
    # Torso lengths from the hip centre at address: the hands reach well above the head at the top.
    top = reference["frames"][reference["events"]["top"]]
    assert min(top[9][1], top[10][1]) < top[0][1] < 0
