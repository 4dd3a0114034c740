"""Swing finding, events, handedness and view on real poses (the demo video's) and edited copies."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from swingcoach.analysis.body import shipped_lifter
from swingcoach.analysis.swing import orient
from swingcoach.cli.app import app
from swingcoach.errors import NoSwingError
from swingcoach.pose.base import PoseSequence
from swingcoach.pose.landmark_files import load_landmark_file
from swingcoach.pose.skeleton import BLAZEPOSE_TO_COCO, K
from swingcoach.swing.detect import find_swings
from swingcoach.swing.events import EVENT_NAMES, PHASE_NAMES, RuleEventDetector, SwingEvents

# Seen on the demo video frame by frame: takeaway ~60-80, top 119, impact ~142, finish ~190.
DEMO_TOP = 119
DEMO_IMPACT = 142


def stitch(*pieces: np.ndarray, fps: float, width: int, height: int) -> PoseSequence:
    return PoseSequence(np.concatenate(pieces), fps=fps, width=width, height=height)


def still(pose: np.ndarray, frames: int) -> np.ndarray:
    return np.repeat(pose[None], frames, axis=0)


def test_one_swing_in_the_demo(demo_poses: PoseSequence) -> None:
    swings = find_swings(demo_poses)
    assert len(swings) == 1
    swing = swings[0]
    assert swing.start < 70 < swing.takeaway < DEMO_TOP - 15
    assert abs(swing.top - DEMO_TOP) <= 4
    assert abs(swing.impact - DEMO_IMPACT) <= 4
    assert DEMO_IMPACT < swing.finish <= swing.end


def test_several_swings_with_idle_gaps_are_all_found(demo_poses: PoseSequence) -> None:
    address = demo_poses.keypoints[45]
    nobody = np.full((90, 17, 3), np.nan, dtype=np.float32)
    waiting = still(address, 60)
    sequence = stitch(
        demo_poses.keypoints,
        nobody,
        waiting,
        demo_poses.keypoints,
        waiting,
        demo_poses.keypoints,
        fps=demo_poses.fps,
        width=demo_poses.width,
        height=demo_poses.height,
    )
    swings = find_swings(sequence)
    assert len(swings) == 3
    length = len(demo_poses)
    starts = [0, length + 150, 2 * length + 210]
    for swing, start in zip(swings, starts, strict=True):
        assert abs(swing.impact - (start + DEMO_IMPACT)) <= 4


def test_back_to_back_swings_never_share_frames(demo_poses: PoseSequence) -> None:
    """The next golfer starts within the previous swing's post-roll: the cut starts after it."""
    sequence = stitch(
        demo_poses.keypoints[:200],
        demo_poses.keypoints,
        demo_poses.keypoints,
        fps=demo_poses.fps,
        width=demo_poses.width,
        height=demo_poses.height,
    )
    swings = find_swings(sequence)
    assert len(swings) == 3
    for before, after in itertools.pairwise(swings):
        assert after.start > before.end


def test_waggles_are_not_swings(demo_poses: PoseSequence) -> None:
    address = demo_poses.keypoints[45].copy()
    torso = np.linalg.norm(address[K.L_SHOULDER, :2] - address[K.L_HIP, :2])
    frames = []
    for i in range(240):  # 8 s of address with three waggles of the hands
        pose = address.copy()
        phase = (i % 80) / 80
        if phase < 0.5:
            offset = np.sin(phase * 2 * np.pi) * 0.5 * torso
            pose[[K.L_WRIST, K.R_WRIST], 0] -= offset
            pose[[K.L_WRIST, K.R_WRIST], 1] -= 0.3 * offset
        frames.append(pose)
    sequence = PoseSequence(np.array(frames), fps=30.0, width=demo_poses.width, height=demo_poses.height)
    assert find_swings(sequence) == []
    with_swing = stitch(
        np.array(frames), demo_poses.keypoints, fps=30.0, width=demo_poses.width, height=demo_poses.height
    )
    assert len(find_swings(with_swing)) == 1


def test_half_practice_swing_is_not_a_swing(demo_poses: PoseSequence) -> None:
    """The same motion, but the hands never get above the chest."""
    keypoints = demo_poses.keypoints.copy()
    hips_y = (keypoints[:, K.L_HIP, 1] + keypoints[:, K.R_HIP, 1]) / 2
    shoulders_y = (keypoints[:, K.L_SHOULDER, 1] + keypoints[:, K.R_SHOULDER, 1]) / 2
    limit = hips_y - 0.4 * (hips_y - shoulders_y)
    for wrist in (K.L_WRIST, K.R_WRIST):
        keypoints[:, wrist, 1] = np.maximum(keypoints[:, wrist, 1], limit)
    sequence = PoseSequence(keypoints, fps=demo_poses.fps, width=demo_poses.width, height=demo_poses.height)
    assert find_swings(sequence) == []


def test_walking_across_the_frame_is_not_a_swing(demo_poses: PoseSequence) -> None:
    standing = demo_poses.keypoints[45].copy()
    frames = []
    for i in range(150):
        pose = standing.copy()
        pose[:, 0] += i * 1.5
        swing = np.sin(i / 5) * 25
        pose[K.L_WRIST, 0] += swing
        pose[K.R_WRIST, 0] -= swing
        frames.append(pose)
    sequence = PoseSequence(np.array(frames), fps=30.0, width=600, height=demo_poses.height)
    assert find_swings(sequence) == []


def test_rule_events_on_the_demo(demo_poses: PoseSequence) -> None:
    events = RuleEventDetector().detect(demo_poses)
    assert list(events.frames) == sorted(events.frames)
    assert abs(events["top"] - DEMO_TOP) <= 3
    assert abs(events["impact"] - DEMO_IMPACT) <= 3
    assert 55 <= events["address"] <= 85
    assert events["finish"] > events["impact"] + 20


def test_events_are_unchanged_by_mirroring(demo_poses: PoseSequence) -> None:
    detector = RuleEventDetector()
    assert detector.detect(demo_poses.mirrored()).frames == detector.detect(demo_poses).frames


def test_handedness_and_view(demo_poses: PoseSequence) -> None:
    lifter = shipped_lifter()
    right = orient(demo_poses, lifter.lift(demo_poses), None)
    left = orient(demo_poses.mirrored(), lifter.lift(demo_poses.mirrored()), None)
    assert right.handedness == "right" and right.view == "down-the-line"
    assert right.azimuth > 60 and left.azimuth == pytest.approx(right.azimuth, abs=0.5)
    assert right.handedness_score > 1.0
    # Every cue flips with the mirror image; calling it left-handed needs stronger evidence
    # (right-handers are the large majority), which the phone-swing test below has.
    assert left.handedness_score == pytest.approx(-right.handedness_score, abs=0.05)


def test_phases_follow_the_events() -> None:
    events = SwingEvents((10, 20, 25, 30, 33, 36, 40, 60))
    phases = events.phases(70)
    assert [PHASE_NAMES[p] for p in phases[[0, 10, 11, 20, 21, 30, 31, 36, 37, 69]]] == [
        "Setup",
        "Setup",
        "Takeaway",
        "Takeaway",
        "Backswing",
        "Backswing",
        "Downswing",
        "Downswing",
        "Follow-through",
        "Follow-through",
    ]
    with pytest.raises(ValueError, match="swing order"):
        SwingEvents((10, 9, 25, 30, 33, 36, 40, 60))


def test_standing_still_has_no_events(demo_poses: PoseSequence) -> None:
    sequence = PoseSequence(still(demo_poses.keypoints[45], 90), fps=30.0, width=354, height=492)
    with pytest.raises(NoSwingError):
        RuleEventDetector().detect(sequence)


def _as_mediapipe_file(sequence: PoseSequence, path: Path) -> Path:
    """Write COCO keypoints into the MediaPipe-33 landmark file format (normalised x, y)."""
    landmarks = np.full((len(sequence), 33, 4), np.nan, dtype=np.float32)
    landmarks[:, BLAZEPOSE_TO_COCO, 0] = sequence.keypoints[..., 0] / sequence.width
    landmarks[:, BLAZEPOSE_TO_COCO, 1] = sequence.keypoints[..., 1] / sequence.height
    landmarks[:, BLAZEPOSE_TO_COCO, 2] = 0.0
    landmarks[:, BLAZEPOSE_TO_COCO, 3] = sequence.keypoints[..., 2]
    np.savez(path, landmarks=landmarks, width=sequence.width, height=sequence.height, fps=np.float32(30.0))
    return path


def test_events_command_prints_json(tmp_path: Path, demo_poses: PoseSequence) -> None:
    path = _as_mediapipe_file(demo_poses, tmp_path / "demo.npz")
    result = CliRunner().invoke(app, ["events", "--landmarks", str(path), "--json"])
    assert result.exit_code == 0, result.output
    events = json.loads(result.stdout)["events"]
    assert len(events) == len(EVENT_NAMES) and events == sorted(events)
    assert abs(events[3] - DEMO_TOP) <= 3 and abs(events[5] - DEMO_IMPACT) <= 3


def test_events_command_takes_the_detector_as_analyze_does(tmp_path: Path, demo_poses: PoseSequence) -> None:
    path = _as_mediapipe_file(demo_poses, tmp_path / "demo.npz")
    result = CliRunner().invoke(app, ["events", "--landmarks", str(path), "--events", "rules", "--json"])
    assert result.exit_code == 0, result.output
    from swingcoach.pipeline import analyze_poses

    (swing,) = analyze_poses(load_landmark_file(path, None), RuleEventDetector())
    assert json.loads(result.stdout)["events"] == list(swing.report.events.model_dump().values())


def test_events_command_rejects_a_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    np.savez(bad, landmarks=np.zeros((10, 17, 3)))
    result = CliRunner().invoke(app, ["events", "--landmarks", str(bad), "--json"])
    assert result.exit_code == 2
    assert "must be (T, 33, 4)" in result.output
    assert "Traceback" not in result.output


def pce_hits(predicted: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """GolfDB PCE: within max(1, round((impact - address) / 30)) frames of the true event."""
    tolerance = max(1, round((truth[5] - truth[0]) / 30))
    return np.abs(predicted - truth) <= tolerance


@pytest.mark.data
def test_rule_detector_pce_on_golfdb(shared_data: Path) -> None:
    """Pinned: the rule detector reaches 54 % mean PCE on the 80 GolfDB landmark files."""
    hits = []
    detector = RuleEventDetector()
    for path in sorted((shared_data / "golfdb" / "poses").glob("*.npz")):
        truth = np.load(path)["events"]
        hits.append(pce_hits(np.array(detector.detect(load_landmark_file(path)).frames), truth))
    assert len(hits) == 80
    assert np.mean(hits) == pytest.approx(0.54, abs=0.02)
    assert np.mean(hits, axis=0)[5] > 0.9  # impact


@pytest.mark.data
def test_left_handed_phone_swing(shared_data: Path) -> None:
    """swing6 is a left-handed golfer filmed down the line (checked frame by frame)."""
    from swingcoach.pipeline import extract_poses
    from swingcoach.pose import create_backend

    sequence, _ = extract_poses(shared_data / "phone_swings" / "swing6.mp4", create_backend("blazepose-full"))
    orientation = orient(sequence, shipped_lifter().lift(sequence), None)
    assert orientation.handedness == "left"
    assert orientation.view == "down-the-line"


@pytest.mark.data
def test_swings_found_in_the_phone_landmarks(shared_data: Path) -> None:
    for path in sorted((shared_data / "phone_swings").glob("*_landmarks.npz")):
        assert len(find_swings(load_landmark_file(path))) == 1, path.name


@pytest.mark.data
def test_the_camera_view_against_golfdb_labels(shared_data: Path) -> None:
    """The 80 GolfDB landmark files: face on and down the line are measured as the labelled view
    (58 of 59 when pinned); GolfDB's "other" cameras are mostly near down the line."""
    from swingcoach.pose.landmark_files import load_landmark_file

    right, standard = 0, 0
    for path in sorted((shared_data / "golfdb" / "poses").glob("*.npz")):
        label = str(np.load(path)["view"])
        if label == "other":
            continue
        sequence = load_landmark_file(path)
        orientation = orient(sequence, shipped_lifter().lift(sequence), None)
        standard += 1
        right += orientation.standard_view == label
    assert standard == 59 and right >= 57
