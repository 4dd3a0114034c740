"""The practice page's payload (static/js/payload.mjs, run with node) is a valid SwingPayload that
holds the browser's poses: packed as swingcoach.schemas packs them, on a regular time grid."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import numpy as np
import pytest

from swingcoach.pose.base import PoseSequence
from swingcoach.schemas import KEYPOINT_SCALE, SwingPayload, pack_points

NODE = shutil.which("node")
CLI = Path(__file__).with_name("payload_cli.mjs")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed (apt-get install nodejs)")


def js_payload(poses: list[tuple[float, np.ndarray | None]], start_s: float, end_s: float) -> dict:
    request = {
        "poses": [{"timeS": t, "keypoints": None if k is None else k.tolist()} for t, k in poses],
        "startS": start_s,
        "endS": end_s,
    }
    result = subprocess.run(
        [NODE, str(CLI)], input=json.dumps(request), capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(result.stdout)


def test_regular_poses_pack_exactly_like_python(demo_poses: PoseSequence) -> None:
    keypoints = np.nan_to_num(demo_poses.keypoints[60:150], nan=0.0)
    poses = [(i / demo_poses.fps, k) for i, k in enumerate(keypoints)]
    packed = js_payload(poses, 0.0, (len(poses) - 1) / demo_poses.fps)
    assert packed["frames"] == len(poses)
    assert packed["fps"] == pytest.approx(demo_poses.fps, rel=1e-6)
    assert packed["keypoints"] == pack_points(keypoints, KEYPOINT_SCALE)


def test_browser_paced_poses_land_on_a_regular_grid(demo_poses: PoseSequence) -> None:
    """Poses at the pace a browser keeps up with: every other frame or so, with jitter and drops."""
    rng = np.random.default_rng(3)
    frames = np.flatnonzero(~np.isnan(demo_poses.keypoints[:, 0, 0]))
    steps = np.cumsum(rng.integers(1, 4, size=len(frames) // 2))
    kept = frames[steps[steps < len(frames)]]
    times = kept / demo_poses.fps + rng.normal(0, 0.003, size=len(kept))
    poses = [(float(t), demo_poses.keypoints[f]) for t, f in zip(times, kept, strict=True)]
    dropped = {5, 6, 7, 40}  # the golfer was not found for a moment
    poses = [(t, None if i in dropped else k) for i, (t, k) in enumerate(poses)]
    start, end = poses[0][0], poses[-1][0]
    packed = js_payload([p for p in poses if p[1] is not None], start, end)
    payload = SwingPayload(swing_id=uuid.uuid4(), width=demo_poses.width, height=demo_poses.height, **packed)
    sequence = payload.to_sequence()
    step = 1 / payload.fps
    assert 1.5 < demo_poses.fps / payload.fps < 2.5  # the median pace: about every other frame
    assert len(sequence) == int((end - start) / step + 1e-6) + 1
    for row, keypoints in enumerate(sequence.keypoints):
        t = start + row * step
        nearest = min((p for p in poses if p[1] is not None), key=lambda p: abs(p[0] - t))
        if abs(nearest[0] - t) <= step / 2:
            # Half-pixel and 1e-4 confidence quantization.
            np.testing.assert_allclose(keypoints, nearest[1], atol=0.26)
        else:
            assert np.isnan(keypoints).all()
    assert np.isnan(sequence.keypoints[:, 0, 0]).sum() >= 1  # the drop left a gap, not invented poses
