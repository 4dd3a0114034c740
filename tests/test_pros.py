"""The comparison with tour swings: percentiles among the same view and club, the golfer's pose over
the tour swings' median, and the largest angle differences; a swing against itself differs nowhere."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from swingcoach.analysis.pros import (
    PRO_FILE,
    ProReference,
    compare,
    event_poses,
    percentile,
    pro_record,
)
from swingcoach.analysis.swing import analyze_swing
from swingcoach.pose.base import PoseSequence
from swingcoach.pose.skeleton import K
from swingcoach.swing.events import RuleEventDetector


def test_percentile_counts_ties_half() -> None:
    assert percentile(5.0, [1.0, 2.0, 8.0, 9.0]) == 50.0
    assert percentile(2.0, [1.0, 2.0, 8.0, 9.0]) == 37.5
    assert percentile(0.0, [1.0, 2.0]) == 0.0


def test_event_poses_are_hip_centred_and_height_scaled() -> None:
    pose = np.zeros((17, 2))
    pose[K.NOSE] = (0, 0)
    pose[K.L_HIP], pose[K.R_HIP] = (60, 100), (40, 100)
    pose[K.L_ANKLE], pose[K.R_ANKLE] = (70, 200), (30, 200)
    poses = event_poses(np.repeat(pose[None], 3, axis=0), (0.0,) * 8)
    assert poses.shape == (8, 17, 2)
    np.testing.assert_allclose((poses[:, K.L_HIP] + poses[:, K.R_HIP]) / 2, 0.0, atol=1e-12)
    assert poses[0, K.L_ANKLE, 1] - poses[0, K.NOSE, 1] == pytest.approx(1.0)


def test_a_swing_compared_with_itself_shows_no_difference(demo_poses: PoseSequence) -> None:
    analysis = analyze_swing(demo_poses, RuleEventDetector())
    view = analysis.orientation.standard_view
    keypoints, positions = analysis.measured.body.keypoints, analysis.events.positions
    record = pro_record(analysis.report.metrics, keypoints, positions, "driver")
    itself = ProReference(name="itself", views={view: [record] * 5})
    comparison = compare(analysis.report.metrics, keypoints, positions, view, "driver", itself)
    assert comparison is not None and comparison.swings == 5
    assert comparison.differences == []
    assert comparison.poses == comparison.reference_poses
    assert comparison.percentiles and set(comparison.percentiles.values()) == {50.0}


def test_the_demo_swing_against_the_shipped_tour_swings(demo_poses: PoseSequence) -> None:
    report = analyze_swing(demo_poses, RuleEventDetector()).report
    comparison = report.comparison
    assert comparison is not None and comparison.swings >= 15
    assert "down-the-line" in comparison.reference and "driver" in comparison.reference
    measured = {n for n, m in report.metrics.items() if m.value is not None and m.status != "unavailable"}
    assert set(comparison.percentiles) <= measured and len(comparison.percentiles) >= 10
    assert all(0.0 <= p <= 100.0 for p in comparison.percentiles.values())
    assert 1 <= len(comparison.differences) <= 3
    for difference in comparison.differences:
        assert f"{abs(difference.value - difference.reference):.0f}°" in difference.text
        # Down the line, the shoulder and hip lines point at the camera: never compared.
        assert difference.angle not in ("shoulders", "hips")
    assert np.array(comparison.poses).shape == np.array(comparison.reference_poses).shape == (8, 17, 2)


def test_no_tour_swings_of_the_view_means_no_comparison(demo_poses: PoseSequence) -> None:
    nothing = ProReference(name="", views={})
    assert analyze_swing(demo_poses, RuleEventDetector(), pros=nothing).report.comparison is None


def test_the_shipped_reference_holds_both_views() -> None:
    reference = ProReference.shipped()
    for view in ("face-on", "down-the-line"):
        swings, described = reference.group(view, "driver")  # type: ignore[arg-type]
        assert len(swings) >= 15, described
        assert all(np.array(s["poses"]).shape == (8, 17, 2) for s in swings)


@pytest.mark.data
def test_the_shipped_reference_is_rebuilt_exactly(shared_data: Path, tmp_path: Path) -> None:
    from swingcoach.train.pros import build_pro_reference

    rebuilt = build_pro_reference(shared_data / "golfdb" / "poses", tmp_path / "pros.json")
    shipped = json.loads(PRO_FILE.read_text())
    assert rebuilt["skipped"] == shipped["skipped"]
    for view, swings in shipped["views"].items():
        assert [s["id"] for s in rebuilt["views"][view]] == [s["id"] for s in swings]
        for mine, theirs in zip(rebuilt["views"][view], swings, strict=True):
            assert mine["metrics"] == pytest.approx(theirs["metrics"], abs=0.05)
            np.testing.assert_allclose(mine["poses"], theirs["poses"], atol=2e-3)
