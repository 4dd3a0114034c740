"""Held poses, movements and form: behaviour on synthetic bodies, and the shipped models."""

import json
from pathlib import Path

import numpy as np
import pytest
from tests.posture.poses import jitter, squats, stick_figure
from typer.testing import CliRunner

from swingcoach.cli.app import app
from swingcoach.errors import InputError
from swingcoach.posture.classifier import PostureClassifier
from swingcoach.posture.features import frame_features, joint_angles, mirror_points
from swingcoach.posture.form import load_rules, plank_hips
from swingcoach.posture.held import TAKE_YOUR_POSE, HeldPoseCoach, compare_to_reference
from swingcoach.posture.keypoints import load_keypoint_file
from swingcoach.posture.movement import RepetitionCounter, repetitions

runner = CliRunner()


def test_features_ignore_position_size_and_camera_roll_but_keep_the_pose() -> None:
    body = stick_figure(arms_deg=90, knee_deg=120)
    moved = body * 2.5 + [400.0, -80.0]
    assert np.allclose(frame_features(body), frame_features(moved), atol=1e-5)
    roll = np.radians(10)
    rotation = np.array([[np.cos(roll), -np.sin(roll)], [np.sin(roll), np.cos(roll)]])
    rolled = (body - body.mean(0)) @ rotation.T
    a, b = frame_features(body), frame_features(rolled)
    assert np.allclose(a[:24], b[:24], atol=1e-4)  # body-frame joints
    assert np.allclose(a[26:], b[26:], atol=1e-4)  # joint angles
    assert not np.allclose(frame_features(stick_figure(arms_deg=20)), a, atol=0.1)


def test_joint_angles_of_a_known_pose() -> None:
    angles = dict(
        zip(
            ("le", "re", "ls", "rs", "lh", "rh", "lk", "rk"),
            joint_angles(stick_figure(90, 120, 150)),
            strict=True,
        )
    )
    assert angles["le"] == pytest.approx(180, abs=0.5) and angles["ls"] == pytest.approx(90, abs=2)
    assert angles["lk"] == pytest.approx(150, abs=0.5) and angles["rk"] == pytest.approx(120, abs=0.5)


def test_a_pose_and_its_mirror_image_get_the_same_probabilities() -> None:
    classifier = PostureClassifier.for_sport("yoga")
    body = stick_figure(arms_deg=150, knee_deg=90, left_knee_deg=180)[None]
    p = classifier.probabilities(body)
    assert p.shape == (1, len(classifier.bank.labels)) and p.sum() == pytest.approx(1, abs=1e-5)
    assert np.allclose(p, classifier.probabilities(mirror_points(body)), atol=1e-5)


def test_a_class_is_learnt_from_twenty_examples_without_training(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    classifier = PostureClassifier.for_sport("yoga")
    star = stick_figure(arms_deg=120, knee_deg=180)
    star[10] += [60, -10]
    star[11] += [-60, -10]
    classifier.add_class("star", [jitter(star, rng)[None] for _ in range(20)])
    assert classifier.bank.labels[-1] == "star"
    probabilities = classifier.probabilities(np.stack([jitter(star, rng) for _ in range(10)]))
    assert (np.array(classifier.bank.labels)[probabilities.argmax(1)] == "star").all()
    saved = classifier.bank.save(tmp_path / "bank.json")
    again = PostureClassifier(classifier.model_path, saved)
    assert again.bank.labels == classifier.bank.labels and "star" in again.bank.references
    with pytest.raises(InputError):
        classifier.add_class("../../etc", [star[None]])


def test_guidance_names_the_joint_furthest_from_the_reference() -> None:
    reference = dict.fromkeys(
        ("left elbow", "right elbow", "left shoulder", "right shoulder", "left hip", "right hip"), 180.0
    ) | {"left shoulder": 90.0, "right shoulder": 90.0, "left knee": 90.0, "right knee": 180.0}
    angles = joint_angles(stick_figure(arms_deg=90, knee_deg=180, left_knee_deg=150))
    accuracy, guidance, side = compare_to_reference(angles, reference)
    assert side == "left" and guidance == "left knee 150° → bend to 90°"
    perfect, none, _ = compare_to_reference(joint_angles(stick_figure(90, 180, 90)), reference)
    assert none is None and perfect > accuracy
    # The same pose on the other leg is compared with the mirrored reference.
    _, guidance, side = compare_to_reference(joint_angles(stick_figure(90, 150, 180)), reference)
    assert side == "right" and guidance == "right knee 150° → bend to 90°"


def test_the_coach_says_take_your_pose_until_confident_and_times_the_hold() -> None:
    coach = HeldPoseCoach(PostureClassifier.for_sport("yoga"), threshold=1.01)
    assert coach.update(stick_figure(), 0.0).caption == TAKE_YOUR_POSE
    coach = HeldPoseCoach(PostureClassifier.for_sport("yoga"), threshold=0.0)
    readings = [coach.update(stick_figure(arms_deg=170, knee_deg=100), t / 30) for t in range(60)]
    assert readings[-1].label is not None and readings[-1].accuracy is not None
    assert readings[-1].hold_s == pytest.approx(59 / 30, abs=0.05)
    assert readings[-1].caption.startswith(readings[-1].label)


@pytest.mark.parametrize("count", [3, 8])
def test_repetitions_are_counted_with_tempo_and_range(count: int) -> None:
    points = squats(count, period_s=1.6)
    found = repetitions(points, 30.0)
    assert len(found) == count
    assert all(r.duration_s == pytest.approx(1.6, abs=0.2) for r in found[1:])
    assert all(r.joint.endswith("knee") and r.range_deg == pytest.approx(90, abs=12) for r in found)


def test_repetitions_are_announced_as_they_happen() -> None:
    points = squats(5, period_s=1.5)
    counter = RepetitionCounter(fps=30.0)
    announced = [i for i, frame in enumerate(points) if counter.update(frame) is not None]
    assert counter.count == 5 and len(announced) == 5
    ends = [r.end_frame for r in repetitions(points, 30.0)]
    # The cycle length needs two cycles of history: the first two are announced together after the
    # second; from then on each within a third of a second of its end.
    assert announced[1] - ends[1] <= 20
    assert all(0 < a - e <= 10 for a, e in zip(announced[2:], ends[2:], strict=True))


def test_still_or_random_bodies_have_no_repetitions() -> None:
    rng = np.random.default_rng(0)
    assert repetitions(np.stack([jitter(stick_figure(), rng, 1.0) for _ in range(150)]), 30.0) == []


def test_plank_hips_rules_flag_raised_and_sagging_hips() -> None:
    rules = {r.error: r for r in load_rules() if r.exercise == "plank"}
    keypoints = np.full((3, 17, 3), np.nan)
    for i, hips_y in enumerate((92.0, 60.0, 115.0)):  # a good plank, raised, sagging (y down)
        keypoints[i, [5, 6]] = (0, 100, 1)
        keypoints[i, [11, 12]] = (100, hips_y, 1)
        keypoints[i, [15, 16]] = (200, 100, 1)
        keypoints[i, 0] = (-20, 100, 1)
    assert plank_hips(keypoints)[0] == pytest.approx(0.04, abs=1e-6)
    assert list(rules["H"].flags(keypoints)) == [False, True, False]
    assert list(rules["L"].flags(keypoints)) == [False, False, True]


def _landmark_file(path: Path, frames: int = 30) -> Path:
    landmarks = np.zeros((frames, 33, 4), np.float32)
    body = stick_figure(arms_deg=90, knee_deg=100) / 1000
    for coco, mp in zip(range(5, 17), (11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28), strict=True):
        landmarks[:, mp, :2], landmarks[:, mp, 3] = body[coco - 5], 1.0
    np.savez(path, landmarks=landmarks)
    return path


def test_classify_prints_json_for_a_landmark_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["posture", "classify", str(_landmark_file(tmp_path / "pose.npz")), "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert (
        answer["label"] in PostureClassifier.for_sport("yoga").bank.labels and 0 < answer["confidence"] <= 1
    )


def test_penn_joints_load_with_left_and_right_as_the_body_has_them(tmp_path: Path) -> None:
    joints = np.zeros((4, 13, 3), np.float32)
    joints[:, 1], joints[:, 2] = (100, 50, 1), (200, 50, 1)  # Penn "left" on the image left, facing us
    np.savez(tmp_path / "penn.npz", joints=joints)
    keypoints = load_keypoint_file(tmp_path / "penn.npz").keypoints
    assert keypoints[0, 5, 0] == 200 and keypoints[0, 6, 0] == 100  # body's left is on the image right


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"not a zip", "not a keypoint file"), (None, "unknown keypoint format"), (b"", "not a keypoint file")],
)
def test_bad_keypoint_files_fail_with_one_line(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "bad.npz"
    if content is None:
        np.savez(path, something=np.zeros(3))
    else:
        path.write_bytes(content)
    result = runner.invoke(app, ["posture", "classify", str(path), "--json", "--model", "yoga"])
    assert result.exit_code == 2 and message in result.output and result.stdout.strip() == ""


def test_a_missing_file_and_an_unknown_model_are_errors(tmp_path: Path) -> None:
    assert runner.invoke(app, ["posture", "classify", str(tmp_path / "none.npz")]).exit_code == 2
    result = runner.invoke(
        app, ["posture", "classify", str(_landmark_file(tmp_path / "p.npz")), "--model", "golf"]
    )
    assert result.exit_code == 2 and "unknown posture model" in result.output


def test_analyze_with_sport_exercise_writes_a_repetition_report(tmp_path: Path) -> None:
    points = squats(4, period_s=1.5)
    joints = np.zeros((len(points), 13, 3), np.float32)
    # Penn Action order with its sides as the camera sees them (see keypoints.from_penn).
    swap = [1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10]
    joints[:, 1:, :2], joints[:, 1:, 2] = points[:, swap], 1.0
    joints[:, 0] = (320, 80, 1)
    np.savez(tmp_path / "squats.npz", joints=joints)
    out = tmp_path / "report"
    result = runner.invoke(
        app, ["analyze", str(tmp_path / "squats.npz"), "--sport", "exercise", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["sport"] == "exercise" and len(report["repetitions"]) == 4
    assert report["exercise"] in PostureClassifier.for_sport("exercise").bank.labels
    assert all(r["joint"].endswith("knee") for r in report["repetitions"])
    assert (out / "plot.png").stat().st_size > 1000 and "4 repetitions" in (out / "report.html").read_text()


def test_analyze_with_sport_yoga_reports_every_frame(tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = runner.invoke(
        app, ["analyze", str(_landmark_file(tmp_path / "p.npz")), "--sport", "yoga", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["sport"] == "yoga" and report["frames"] == 30
    assert all(p["label"] in PostureClassifier.for_sport("yoga").bank.labels for p in report["poses"])
