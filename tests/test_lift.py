"""The 2D -> 3D lifter: joint correspondence, normalisation, windows, the shipped models, metrics."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from swingcoach.bench.lift import LiftScores, evaluate, mpjpe, pa_mpjpe
from swingcoach.errors import SwingcoachError
from swingcoach.pipeline import analyze_poses
from swingcoach.pose.base import PoseSequence
from swingcoach.pose.lift import (
    H36M,
    H36M_AT_INPUT,
    H36M_JOINTS,
    H36M_MIRROR,
    H36M_PARENTS,
    INPUT_JOINTS,
    INPUT_MIRROR,
    Lifter,
    constant_bone_lengths,
    finish_sequence,
    frame_stride,
    h36m_to_coco,
    lifter_names,
    mirror_h36m,
    normalize_input,
    window_indices,
)
from swingcoach.pose.skeleton import KEYPOINT_NAMES, K, mirror_keypoints
from swingcoach.swing.events import RuleEventDetector
from swingcoach.train.h36m import OFFSET_TAKES, Take, load_takes


def standing_pose() -> np.ndarray:
    """A plausible H36M pose (metres, camera frame: x right, y down, z away), facing the camera."""
    joints = {
        "pelvis": (0, 0, 0),
        "right_hip": (-0.13, 0, 0),
        "right_knee": (-0.14, 0.44, 0.02),
        "right_ankle": (-0.15, 0.88, 0.05),
        "left_hip": (0.13, 0, 0),
        "left_knee": (0.14, 0.44, 0.02),
        "left_ankle": (0.15, 0.88, 0.05),
        "spine": (0, -0.23, 0.01),
        "thorax": (0, -0.48, 0.0),
        "neck_nose": (0, -0.6, -0.08),
        "head": (0, -0.71, 0),
        "left_shoulder": (0.16, -0.45, 0.02),
        "left_elbow": (0.3, -0.22, 0.03),
        "left_wrist": (0.35, 0.02, -0.05),
        "right_shoulder": (-0.16, -0.45, 0.02),
        "right_elbow": (-0.3, -0.22, 0.03),
        "right_wrist": (-0.35, 0.02, -0.05),
    }
    return np.array([joints[name] for name in H36M_JOINTS], dtype=np.float64)


def test_shared_joints_have_the_same_names_in_both_skeletons() -> None:
    assert len(INPUT_JOINTS) == 12
    for coco, h36m in zip(INPUT_JOINTS, H36M_AT_INPUT, strict=True):
        coco_name = KEYPOINT_NAMES[coco].replace("l_", "left_").replace("r_", "right_")
        assert coco_name == H36M_JOINTS[h36m]
    assert K.NOSE not in INPUT_JOINTS


def test_mirror_tables_swap_left_and_right() -> None:
    for table, names in (
        (INPUT_MIRROR, [KEYPOINT_NAMES[k] for k in INPUT_JOINTS]),
        (H36M_MIRROR, H36M_JOINTS),
    ):
        assert (table[table] == np.arange(len(table))).all()
        for i, j in enumerate(table):
            a, b = names[i], names[j]
            assert a == b or {a.split("_")[0][0], b.split("_")[0][0]} == {"l", "r"}


def test_normalisation_ignores_position_and_image_scale() -> None:
    rng = np.random.default_rng(0)
    points = rng.normal(300, 60, size=(20, 12, 2))
    a = normalize_input(points)
    b = normalize_input(points * 2.5 + np.array([400.0, -90.0]))
    assert np.allclose(a, b, atol=1e-5)
    hips = (a[:, list(INPUT_JOINTS).index(K.L_HIP)] + a[:, list(INPUT_JOINTS).index(K.R_HIP)]) / 2
    assert np.allclose(hips, 0, atol=1e-6)


def test_normalisation_refuses_a_pose_without_extent() -> None:
    with pytest.raises(SwingcoachError):
        normalize_input(np.ones((5, 12, 2)))


def test_centred_and_causal_windows() -> None:
    targets = np.array([0, 5, 9])
    first, last = np.zeros(3, dtype=int), np.full(3, 9)
    centred = window_indices(targets, first, last, 5, 1, causal=False)
    assert centred.tolist() == [[0, 0, 0, 1, 2], [3, 4, 5, 6, 7], [7, 8, 9, 9, 9]]
    causal = window_indices(targets, first, last, 3, 2, causal=True)
    assert causal.tolist() == [[0, 0, 0], [1, 3, 5], [5, 7, 9]]
    chunk = window_indices(np.array([2]), np.array([0]), np.array([9]), 3, 1, causal=False, outputs=4)
    assert chunk.tolist() == [[1, 2, 3, 4, 5, 6]]  # targets 2..5 with one frame either side


def test_frame_stride_keeps_the_training_rate() -> None:
    assert [frame_stride(f) for f in (21, 25, 29.97, 50, 60, 120, 240)] == [1, 1, 1, 2, 2, 5, 10]


def test_coco_output_keeps_shared_joints_and_builds_a_symmetric_head() -> None:
    pose = standing_pose()
    coco = h36m_to_coco(pose[None])[0]
    assert np.allclose(coco[INPUT_JOINTS], pose[H36M_AT_INPUT])
    assert np.allclose(coco[K.NOSE], pose[H36M["neck_nose"]])
    # Facing the camera (-z): eyes are in front of the ears, left eye and ear on the image right.
    assert coco[K.L_EYE, 0] > coco[K.NOSE, 0] > coco[K.R_EYE, 0]
    assert coco[K.L_EAR, 2] > coco[K.L_EYE, 2]
    assert np.linalg.norm(coco[K.L_EAR] - coco[K.R_EAR]) == pytest.approx(0.15, abs=1e-6)
    # Mirroring before or after the conversion is the same.
    mirrored = mirror_h36m(pose)
    assert np.allclose(h36m_to_coco(mirrored[None])[0], mirror_keypoints(coco, None), atol=1e-6)


def test_bones_are_held_at_their_median_length_in_their_own_direction() -> None:
    pose = standing_pose()
    scales = np.random.default_rng(3).uniform(0.8, 1.2, size=(9, 16))  # each bone of each frame
    frames = np.repeat(pose[None], 9, 0)
    for joint in range(1, 17):  # parents first, so each bone is scaled on its already scaled parent
        bone = pose[joint] - pose[H36M_PARENTS[joint]]
        frames[:, joint] = frames[:, H36M_PARENTS[joint]] + scales[:, joint - 1, None] * bone
    fixed = constant_bone_lengths(frames)

    def bones(poses: np.ndarray) -> np.ndarray:
        return poses[:, 1:] - poses[:, H36M_PARENTS[1:]]

    lengths = np.linalg.norm(bones(fixed), axis=-1)
    true_lengths = np.linalg.norm(bones(pose[None]), axis=-1)
    assert np.allclose(lengths, np.median(scales, axis=0) * true_lengths)  # one length per bone
    cosines = np.sum(bones(fixed) * bones(frames), axis=-1) / (
        lengths * np.linalg.norm(bones(frames), axis=-1)
    )
    assert np.allclose(cosines, 1)
    assert np.all(fixed[:, 0] == 0)
    assert np.allclose(constant_bone_lengths(np.repeat(pose[None], 4, 0)), pose)


def test_procrustes_error_ignores_rotation_scale_and_translation() -> None:
    pose = standing_pose()[None]
    angle = np.radians(40)
    rotation = np.array([[np.cos(angle), 0, np.sin(angle)], [0, 1, 0], [-np.sin(angle), 0, np.cos(angle)]])
    moved = 1.3 * pose @ rotation.T + np.array([0.2, -0.1, 3.0])
    assert mpjpe(moved, pose)[0] > 0.1
    assert pa_mpjpe(moved, pose)[0] == pytest.approx(0, abs=1e-9)
    # A mirror image is not a rotation: it keeps an error.
    assert pa_mpjpe(pose * np.array([-1, 1, 1]), pose)[0] > 0.01


def test_protocol_averages_frames_per_action_then_actions() -> None:
    pose = standing_pose().astype(np.float32)
    gt2d = np.random.default_rng(1).normal(500, 80, size=(30, 12, 2)).astype(np.float32)

    def take(name: str, length: int, error_m: float) -> Take:
        truth = pose.copy()
        truth[1:, 0] += error_m  # every joint but the pelvis
        return Take("S9", name, "54138969", 50.0, np.repeat(truth[None], length, 0), gt2d[:length], None)

    takes = [take("Walking 1", 30, 0.010), take("Walking", 10, 0.040), take("Eating", 20, 0.030)]

    def run(windows: np.ndarray) -> np.ndarray:
        return np.repeat(pose[None], len(windows), 0)

    scores = LiftScores.from_takes(evaluate(run, 9, False, takes, "gt"))
    per_frame = 16 / 17  # the pelvis is at 0 in both
    walking = (30 * 10 + 10 * 40) / 40 * per_frame  # frames of both takes together
    assert scores.mpjpe_by_action == pytest.approx({"Eating": 30 * per_frame, "Walking": walking}, rel=1e-5)
    assert scores.mpjpe == pytest.approx((walking + 30 * per_frame) / 2, rel=1e-5)
    assert scores.pa_mpjpe_by_action["Walking"] < scores.mpjpe_by_action["Walking"]
    assert scores.frames == 60
    # Per joint: every frame counts once, whatever its action; the pelvis is exact.
    all_frames = (30 * 10 + 10 * 40 + 20 * 30) / 60
    assert scores.mpjpe_by_joint["pelvis"] == 0
    assert scores.mpjpe_by_joint["left_wrist"] == pytest.approx(all_frames, rel=1e-5)
    assert evaluate(run, 9, False, takes, "sh") == []  # no SH detections in these takes


@pytest.fixture(scope="module")
def lifter() -> Lifter:
    return Lifter.shipped("lifter")


def test_shipped_lifters_are_described(lifter: Lifter) -> None:
    assert {"lifter", "lifter-int8", "lifter-causal", "lifter-causal-int8"} <= set(lifter_names())
    assert lifter.params <= 1_000_000
    assert lifter.receptive_field == 27
    assert not lifter.causal and Lifter.shipped("lifter-causal").causal
    with pytest.raises(SwingcoachError):
        Lifter.shipped("nope")


def test_lifted_golf_swing_is_hip_centred_metric_and_image_scale_free(
    lifter: Lifter, demo_poses: PoseSequence
) -> None:
    world = lifter.lift(demo_poses)
    valid = demo_poses.valid
    assert world.shape == demo_poses.keypoints.shape
    assert np.isfinite(world[valid]).all() and np.isnan(world[~valid]).all()
    hips = (world[valid, K.L_HIP] + world[valid, K.R_HIP]) / 2
    assert np.abs(hips).max() < 1e-4
    thigh = np.linalg.norm(world[valid, K.L_HIP] - world[valid, K.L_KNEE], axis=-1)
    assert 0.3 < np.median(thigh) < 0.55  # metres, an adult's thigh
    assert np.ptp(thigh) < 1e-5  # one length through the video: the bones are held constant
    # A twice-as-large video of the same swing gives the same 3D.
    bigger = PoseSequence(
        keypoints=demo_poses.keypoints * np.array([2, 2, 1], dtype=np.float32),
        fps=demo_poses.fps,
        width=demo_poses.width * 2,
        height=demo_poses.height * 2,
    )
    assert np.allclose(lifter.lift(bigger)[valid], world[valid], atol=1e-4)


@pytest.mark.parametrize("name", ["lifter", "lifter-int8", "lifter-causal", "lifter-causal-int8"])
@pytest.mark.parametrize("fps", [29.97, 60.0, 240.0])
def test_sequence_form_gives_every_frames_window_result(
    name: str, fps: float, demo_poses: PoseSequence
) -> None:
    """The whole-sequence form of each shipped lifter (a seventh of the CPU) is the window form on
    every frame's window, at every stride and at both ends."""
    lifter = Lifter.shipped(name)
    points = demo_poses.keypoints[demo_poses.valid][:, INPUT_JOINTS, :2]
    normalized = normalize_input(points).astype(np.float32)
    length = len(normalized)
    windows = window_indices(
        np.arange(length),
        np.zeros(length, np.int64),
        np.full(length, length - 1),
        lifter.receptive_field,
        frame_stride(fps),
        lifter.causal,
    )
    by_windows = finish_sequence(lifter.run_windows(normalized[windows]), lifter.causal)
    assert np.allclose(lifter.lift_h36m(normalized, fps), by_windows, atol=1e-5)


def test_lifter_agrees_with_itself_in_a_mirror(lifter: Lifter, demo_poses: PoseSequence) -> None:
    """A left-handed swing (the mirror image) gets exactly the mirrored 3D of the right-handed one."""
    valid = demo_poses.valid
    world = lifter.lift(demo_poses)[valid]
    mirrored = mirror_keypoints(lifter.lift(demo_poses.mirrored()), None)[valid]
    assert np.allclose(mirrored, world, atol=1e-5)


def test_lifter_3d_agrees_with_blazepose_world_up_to_alignment(
    lifter: Lifter, demo_poses: PoseSequence
) -> None:
    lifted = lifter.lift(demo_poses)
    valid = demo_poses.valid
    a, b = demo_poses.world[valid][:, INPUT_JOINTS], lifted[valid][:, INPUT_JOINTS]
    assert 1000 * pa_mpjpe(b, a).mean() < 80


def test_analysis_measures_with_the_lifted_3d_whatever_the_backend_gave(demo_poses: PoseSequence) -> None:
    """The backend's own world landmarks (or none, as in a browser payload) do not change the analysis."""
    (with_world,) = analyze_poses(demo_poses, RuleEventDetector())
    (without,) = analyze_poses(dataclasses.replace(demo_poses, world=None), RuleEventDetector())
    assert with_world.report.model_dump() == without.report.model_dump()
    assert 0 < with_world.report.metrics["knee_flex_address"].value < 60


def test_causal_lifter_ignores_the_future(lifter: Lifter) -> None:
    normalized = np.random.default_rng(2).normal(0, 1, size=(120, 12, 2)).astype(np.float32)
    changed = normalized.copy()
    changed[80:] += 0.5
    causal = Lifter.shipped("lifter-causal")
    assert np.allclose(causal.lift_h36m(changed, 25)[:80], causal.lift_h36m(normalized, 25)[:80], atol=1e-6)
    assert not np.allclose(
        lifter.lift_h36m(changed, 25)[:80], lifter.lift_h36m(normalized, 25)[:80], atol=1e-3
    )


def test_int8_lifter_stays_close_to_fp32(lifter: Lifter, demo_poses: PoseSequence) -> None:
    valid = demo_poses.valid
    fp32 = lifter.lift(demo_poses)[valid]
    int8 = Lifter.shipped("lifter-int8").lift(demo_poses)[valid]
    assert 1000 * mpjpe(int8, fp32).mean() < 10


@pytest.fixture(scope="module")
def s9_takes(shared_data: Path) -> list[Take]:
    return load_takes(shared_data / "h36m", ("S9",))


@pytest.mark.data
def test_projection_lands_on_the_detections(s9_takes: list[Take]) -> None:
    # README: S9 Walking, camera 54138969: 9.7 px over the 12 limb joints.
    take = next(t for t in s9_takes if t.take == "Walking" and t.camera == "54138969")
    assert np.linalg.norm(take.gt2d - take.sh2d, axis=-1).mean() == pytest.approx(9.7, abs=0.1)
    offset = next(t for t in s9_takes if (t.subject, t.take) in OFFSET_TAKES)
    assert np.linalg.norm(offset.gt2d - offset.sh2d, axis=-1).mean() > 25
    assert all(np.abs(t.pose3d[:, 0]).max() == 0 for t in s9_takes)
    assert all(t.pose3d[:, :, 2].min() > -1.2 for t in s9_takes)  # root-relative, metres


@pytest.mark.data
def test_shipped_lifter_accuracy_on_s9(s9_takes: list[Take]) -> None:
    """Every 16th frame of S9 (a quarter of the protocol's subjects and frames)."""
    lifter = Lifter.shipped("lifter")
    scores = {
        source: LiftScores.from_takes(
            evaluate(lifter.run_windows, lifter.receptive_field, lifter.causal, s9_takes, source, every=16)
        )
        for source in ("sh", "gt")
    }
    # The shipped model's figures on this subset with constant bone lengths (model card): 70.7 mm from
    # SH, 57.0 mm from GT 2D.
    assert scores["sh"].mpjpe == pytest.approx(70.7, abs=2.0)
    assert scores["gt"].mpjpe == pytest.approx(57.0, abs=2.0)
    assert scores["sh"].pa_mpjpe < scores["sh"].mpjpe
