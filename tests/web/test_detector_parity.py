"""The browser's swing finder (a JavaScript port, run here with node) finds the same swings as
swingcoach.swing.detect on the same real pose sequences."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from dataclasses import astuple
from pathlib import Path

import numpy as np
import pytest

from swingcoach.pose.base import PoseSequence
from swingcoach.pose.landmark_files import load_landmark_file
from swingcoach.swing.detect import SwingSegment, find_swings

NODE = shutil.which("node")
CLI = Path(__file__).with_name("detector_cli.mjs")
TOLERANCE_FRAMES = 1
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed (apt-get install nodejs)")


def js_find_swings(sequence: PoseSequence) -> list[SwingSegment]:
    keypoints = np.where(np.isnan(sequence.keypoints), None, sequence.keypoints.astype(np.float64))
    request = {
        "fps": sequence.fps,
        "frame_indices": sequence.frame_indices.tolist(),
        "keypoints": keypoints.tolist(),
    }
    result = subprocess.run(
        [NODE, str(CLI)], input=json.dumps(request), capture_output=True, text=True, check=True, timeout=120
    )
    keys = ("start", "end", "takeaway", "top", "impact", "finish", "startTimeS", "endTimeS")
    return [SwingSegment(*(s[key] for key in keys)) for s in json.loads(result.stdout)]


def assert_same_swings(sequence: PoseSequence) -> list[SwingSegment]:
    expected, found = find_swings(sequence), js_find_swings(sequence)
    assert len(found) == len(expected), f"python found {expected}, javascript {found}"
    for want, got in zip(expected, found, strict=True):
        frames = np.array(astuple(got)[:6]) - np.array(astuple(want)[:6])
        assert np.abs(frames).max() <= TOLERANCE_FRAMES, f"python {want} vs javascript {got}"
        times = np.array(astuple(got)[6:]) - np.array(astuple(want)[6:])
        assert np.abs(times).max() <= TOLERANCE_FRAMES / sequence.fps
    return expected


def stitched(parts: list[PoseSequence], gap_s: float) -> PoseSequence:
    """One long recording: the parts one after another, with nobody in view between them."""
    fps = parts[0].fps
    gap = np.full((round(gap_s * fps), 17, 3), np.nan, dtype=np.float32)
    rows = []
    for part in parts:
        rows += [part.keypoints, gap]
    keypoints = np.concatenate(rows)
    return PoseSequence(keypoints, fps, parts[0].width, parts[0].height)


def test_demo_swing(demo_poses: PoseSequence) -> None:
    assert len(assert_same_swings(demo_poses)) == 1


def test_stitched_session(demo_poses: PoseSequence) -> None:
    """Several swings, a left-handed one, dropped keypoints and poses at a third of the rate."""
    rng = np.random.default_rng(7)
    dropped = demo_poses.keypoints.copy()
    dropped[rng.random(dropped.shape[:2]) < 0.03] = np.nan
    sparse = demo_poses.keypoints.copy()
    sparse[np.arange(len(sparse)) % 3 != 0] = np.nan
    parts = [
        demo_poses,
        demo_poses.mirrored(),
        PoseSequence(dropped, demo_poses.fps, demo_poses.width, demo_poses.height),
        PoseSequence(sparse, demo_poses.fps, demo_poses.width, demo_poses.height),
        demo_poses,
    ]
    found = assert_same_swings(stitched(parts, gap_s=2.0))
    assert len(found) >= 4


@pytest.mark.data
def test_golfdb_and_phone_landmarks(shared_data: Path) -> None:
    """Every GolfDB pose file and phone landmark file, as one long stitched recording per source."""
    golfdb = [load_landmark_file(path) for path in sorted((shared_data / "golfdb" / "poses").glob("*.npz"))]
    assert len(golfdb) >= 50
    by_rate: dict[tuple[float, int, int], list[PoseSequence]] = {}
    for sequence in golfdb:
        by_rate.setdefault((sequence.fps, sequence.width, sequence.height), []).append(sequence)
    found = sum(len(assert_same_swings(stitched(group, gap_s=1.0))) for group in by_rate.values())
    assert found >= 40  # 51 of the 80 trimmed GolfDB clips hold a whole swing with a still address
    phone = [load_landmark_file(path) for path in sorted((shared_data / "phone_swings").glob("*.npz"))]
    assert sum(len(assert_same_swings(sequence)) for sequence in phone) == len(phone)


def test_back_to_back_swings_never_share_frames(demo_poses: PoseSequence) -> None:
    """Swings with no pause between them: the next cut starts after the previous one ends."""
    found = assert_same_swings(stitched([demo_poses.slice(0, 200), demo_poses, demo_poses], gap_s=0.0))
    assert len(found) == 3
    for before, after in itertools.pairwise(found):
        assert after.start > before.end and after.start_time_s >= before.end_time_s
