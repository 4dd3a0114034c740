"""Metrics on constructed poses with known answers, scoring, advice and the payload contract."""

from __future__ import annotations

import json
import uuid

import numpy as np
import pytest
from pydantic import ValidationError

from swingcoach.analysis.metrics import measure
from swingcoach.analysis.reference import load_references
from swingcoach.analysis.score import advise, metric_score, overall_score, score_metrics
from swingcoach.analysis.swing import analyze_swing
from swingcoach.geometry import joint_angle, line_heading, tilt_from_vertical, turn_between
from swingcoach.pose.base import PoseSequence
from swingcoach.pose.skeleton import K
from swingcoach.schemas import KEYPOINT_SCALE, SwingPayload, pack_points
from swingcoach.swing.events import RuleEventDetector, SwingEvents


def test_geometry() -> None:
    assert joint_angle(np.array([1.0, 0, 0]), np.zeros(3), np.array([0, 1.0, 0])) == pytest.approx(90)
    assert turn_between(170.0, -170.0) == pytest.approx(20)
    assert line_heading(np.zeros(3), np.array([0, 0, 1.0])) == pytest.approx(90)
    assert tilt_from_vertical(np.zeros(3), np.array([0, -1.0, 0])) == pytest.approx(0)  # y is down
    assert tilt_from_vertical(np.zeros(3), np.array([1.0, -1.0, 0])) == pytest.approx(45)


def body(turn_shoulders: float = 0.0, turn_hips: float = 0.0, hands: float = 0.0) -> np.ndarray:
    """A 3D standing pose in metres (x right, y down, z depth), shoulders and hips turned about y."""

    def rotated(x: float, y: float, degrees: float) -> list[float]:
        a = np.radians(degrees)
        return [x * np.cos(a), y, x * np.sin(a)]

    p = np.zeros((17, 3))
    p[K.L_HIP], p[K.R_HIP] = rotated(0.12, 0, turn_hips), rotated(-0.12, 0, turn_hips)
    p[K.L_SHOULDER], p[K.R_SHOULDER] = rotated(0.2, -0.5, turn_shoulders), rotated(-0.2, -0.5, turn_shoulders)
    p[K.L_KNEE], p[K.R_KNEE] = [0.13, 0.45, -0.1], [-0.13, 0.45, -0.1]
    p[K.L_ANKLE], p[K.R_ANKLE] = [0.14, 0.9, 0], [-0.14, 0.9, 0]
    y_hands = 0.1 - 0.9 * hands  # hands 0: at address, 1: above the head
    p[K.L_ELBOW], p[K.R_ELBOW] = [0.1, -0.3, -0.2], [-0.1, -0.3, -0.2]
    p[K.L_WRIST], p[K.R_WRIST] = [0.02, y_hands, -0.3], [-0.02, y_hands, -0.3]
    for i, offset in zip(
        [K.NOSE, K.L_EYE, K.R_EYE, K.L_EAR, K.R_EAR], [0, 0.03, -0.03, 0.07, -0.07], strict=True
    ):
        p[i] = [offset, -0.75, -0.05]
    return p


def synthetic_swing(shoulder_turn: float, hip_turn: float) -> tuple[PoseSequence, SwingEvents]:
    """Address for 30 frames, a backswing to the top (held frames 57-62), a 10-frame downswing."""
    frames = []
    for i in range(100):
        if i < 30:
            progress = 0.0
        elif i < 62:
            progress = min((i - 30) / 27, 1.0)
        else:
            progress = max(1 - (i - 62) / 10, 0.0)
        pose = body(shoulder_turn * progress, hip_turn * progress, hands=progress)
        frames.append(pose)
    world = np.array(frames, dtype=np.float32)
    # Face-on camera 3 m away: pixels = metres * 300 + centre; depth ignored.
    keypoints = np.concatenate([world[..., :2] * 300 + [320, 300], np.ones((100, 17, 1))], axis=-1)
    sequence = PoseSequence(keypoints, fps=30.0, width=640, height=640, world=world)
    return sequence, SwingEvents((29, 42, 48, 60, 66, 70, 76, 85))


def test_turns_and_tempo_from_a_known_motion() -> None:
    sequence, events = synthetic_swing(shoulder_turn=90, hip_turn=45)
    values = measure(sequence, events, "face-on")
    assert values["shoulder_turn_top"].value == pytest.approx(90, abs=1)
    assert values["hip_turn_top"].value == pytest.approx(45, abs=1)
    assert values["x_factor_top"].value == pytest.approx(45, abs=1)
    assert values["downswing_s"].value == pytest.approx(10 / 30)
    assert values["backswing_s"].value == pytest.approx((60 - 29) / 30, abs=0.05)
    assert values["tempo_ratio"].value == pytest.approx(values["backswing_s"].value / (10 / 30))
    assert values["knee_flex_address"].value == pytest.approx(
        180 - joint_angle(*body()[[K.L_HIP, K.L_KNEE, K.L_ANKLE]]), abs=0.5
    )
    assert values["head_sway_top"].value == pytest.approx(0, abs=0.5)


def test_an_implausibly_small_turn_with_hands_overhead_is_not_scored() -> None:
    sequence, events = synthetic_swing(shoulder_turn=5, hip_turn=2)
    values = measure(sequence, events, "down-the-line")
    assert values["shoulder_turn_top"].value is None
    assert "did not resolve the torso rotation" in (values["shoulder_turn_top"].note or "")
    assert "head_sway_top" not in values  # lateral movement is not visible down the line


def test_metric_score_is_full_inside_and_falls_off_outside() -> None:
    reference = load_references().metrics["shoulder_turn_top"]
    low, high = reference.range
    assert metric_score((low + high) / 2, reference) == (100.0, "ok")
    assert metric_score(low - reference.tolerance / 2, reference) == (pytest.approx(50.0), "low")
    assert metric_score(high + 2 * reference.tolerance, reference) == (0.0, "high")


def test_scores_and_advice_for_a_short_turn() -> None:
    sequence, events = synthetic_swing(shoulder_turn=55, hip_turn=40)
    results = score_metrics(measure(sequence, events, "face-on"), "face-on", has_3d=True)
    assert results["shoulder_turn_top"].status == "low"
    assert results["weight_shift_finish"].status in {"ok", "low", "high"}
    assert 0 <= overall_score(results) <= 100
    advice = advise(results)
    assert 1 <= len(advice) <= 3
    assert all(a.score < 75 for a in advice)
    assert [a.score for a in advice] == sorted(a.score for a in advice)


def test_every_reference_cites_a_known_source() -> None:
    references = load_references()
    for name, metric in references.metrics.items():
        assert metric.source in references.sources, name
        assert metric.range[0] < metric.range[1], name


def test_analysis_of_the_demo_swing(demo_poses: PoseSequence) -> None:
    analysis = analyze_swing(demo_poses, RuleEventDetector())
    report = analysis.report
    assert report.handedness == "right" and report.view == "down-the-line"
    assert report.events.top == 119 or abs(report.events.top - 119) <= 3
    assert set(report.metrics) == set(load_references().metrics)
    assert report.metrics["head_sway_top"].status == "unavailable"
    assert report.metrics["spine_tilt_address"].value == pytest.approx(40, abs=8)
    assert [p.phase for p in report.phases] == [
        "Setup",
        "Takeaway",
        "Backswing",
        "Downswing",
        "Follow-through",
    ]
    json.loads(report.model_dump_json())


def test_payload_round_trip_is_compact(demo_poses: PoseSequence) -> None:
    swing = demo_poses.slice(60, 150)  # 3 s at 30 fps
    payload = SwingPayload.from_sequence(uuid.uuid4(), swing, handedness="right", device="test")
    encoded = payload.model_dump_json()
    assert len(encoded) < 30_000
    back = SwingPayload.model_validate_json(encoded).to_sequence()
    assert np.allclose(back.keypoints[..., :2], swing.keypoints[..., :2], atol=0.25, equal_nan=True)
    assert np.allclose(back.keypoints[..., 2], swing.keypoints[..., 2], atol=1e-4, equal_nan=True)
    assert np.allclose(back.world, swing.world, atol=5e-4, equal_nan=True)
    assert list(back.frame_indices) == list(range(60, 150))


def _payload(**change: object) -> dict:
    keypoints = np.full((5, 17, 3), [100.0, 200.0, 0.9])
    return {
        "swing_id": str(uuid.uuid4()),
        "fps": 30,
        "width": 640,
        "height": 480,
        "frames": 5,
        "keypoints": pack_points(keypoints, KEYPOINT_SCALE),
    } | change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"fps": -1}, "greater than 0"),
        ({"frames": 6}, "6 frames of 17 x 3 int16 need"),
        ({"frames": 1}, "greater than or equal to 3"),
        ({"keypoints": "%%% not base64"}, "not valid base64"),
        ({"keypoints": pack_points(np.full((5, 17, 3), np.nan), KEYPOINT_SCALE)}, "no frame holds a person"),
        ({"swing_id": "not-a-uuid"}, "UUID"),
        ({"surprise": 1}, "Extra inputs"),
        (
            {
                "events": {
                    "address": 0,
                    "toe_up": 1,
                    "mid_backswing": 1,
                    "top": 2,
                    "mid_downswing": 2,
                    "impact": 3,
                    "mid_follow_through": 4,
                    "finish": 9,
                }
            },
            "must index rows",
        ),
    ],
)
def test_malformed_payloads_are_rejected(change: dict, message: str) -> None:
    SwingPayload.model_validate(_payload())
    with pytest.raises(ValidationError, match=message):
        SwingPayload.model_validate(_payload(**change))
