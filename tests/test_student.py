"""The student pose model: decoding, ROI tracking, the shipped files, parity between runtimes and
precisions on real frames, and agreement with BlazePose on the demo swing."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from media_files import FIXTURES
from swingcoach.bench.pose import pck_against
from swingcoach.pose import create_backend
from swingcoach.pose.base import PoseSequence
from swingcoach.pose.roi import RotatedRect
from swingcoach.pose.skeleton import NUM_KEYPOINTS, K
from swingcoach.pose.student import (
    MODEL_DIR,
    StudentBackend,
    decode_heatmaps,
    load_model_card,
    model_path,
    roi_from_keypoints,
)
from swingcoach.video import open_source

# Demo frames for the parity checks: address, top, impact, finish of the demo swing.
PARITY_FRAMES = (20, 120, 160, 240)


def demo_crops(demo_video: Path, size: int) -> list[np.ndarray]:
    """Real model inputs (BGR crops): demo frames cut with the ROI the tracker derives from
    BlazePose's pose on them."""
    reference = PoseSequence.load(FIXTURES / "golfdb_demo_poses.npz")
    crops = []
    with open_source(demo_video) as source:
        for frame in source:
            if frame.index in PARITY_FRAMES:
                roi = roi_from_keypoints(reference.keypoints[frame.index])
                assert roi is not None
                crops.append(roi.crop(frame.image, size))
    return crops


def keypoints_of(precision: str, runtime: str, crops: list[np.ndarray]) -> np.ndarray:
    backend = StudentBackend(precision, runtime, smoothing=False)
    return np.array([backend.infer(crop)[0] for crop in crops])


def test_decoding_finds_the_heatmap_peak() -> None:
    size = 48
    target = np.array([[0.3, 0.7], [0.9, 0.1]])
    cells = (np.arange(size) + 0.5) / size
    logits = np.stack(
        [
            -((cells[None, :] - u) ** 2 + (cells[:, None] - v) ** 2) / (2 * (1.5 / size) ** 2)
            for u, v in target
        ]
    )
    assert decode_heatmaps(logits) == pytest.approx(target, abs=2e-3)


def test_next_roi_is_an_upright_square_around_a_standing_person() -> None:
    keypoints = np.full((NUM_KEYPOINTS, 3), np.nan, dtype=np.float32)
    body = {
        K.NOSE: (100, 20),
        K.L_SHOULDER: (115, 50),
        K.R_SHOULDER: (85, 50),
        K.L_WRIST: (120, 110),
        K.R_WRIST: (80, 110),
        K.L_HIP: (110, 110),
        K.R_HIP: (90, 110),
        K.L_ANKLE: (110, 200),
        K.R_ANKLE: (90, 200),
    }
    for joint, xy in body.items():
        keypoints[joint, :2] = xy
    roi = roi_from_keypoints(keypoints)
    assert roi is not None
    assert roi.angle == pytest.approx(0.0, abs=1e-6)
    assert (roi.cx, roi.cy) == pytest.approx((100.0, 110.0))
    corners = roi.to_image(np.array([[0.0, 0.0], [1.0, 1.0]], dtype=np.float32))
    inside = np.array(list(body.values()))
    assert (inside > corners[0]).all() and (inside < corners[1]).all()
    # A wrist drawn far into the background does not widen the next crop.
    thrown = keypoints.copy()
    thrown[K.L_WRIST, :2] = (600, 20)
    assert roi_from_keypoints(thrown).size == pytest.approx(roi.size)
    leaning = RotatedRect.from_alignment_points(np.array([0.0, 0.0]), np.array([1.0, -1.0]), 1.0)
    assert leaning.angle == pytest.approx(math.pi / 4)
    keypoints[[K.L_HIP, K.R_HIP], :2] = np.nan
    assert roi_from_keypoints(keypoints) is None


def test_shipped_student_meets_the_size_goals() -> None:
    card = load_model_card()
    assert card["params"] <= 1_000_000
    assert model_path("int8", "tflite").stat().st_size <= 2_000_000
    assert model_path("int8", "onnx").stat().st_size <= 2_000_000
    for runtime in ("onnx", "tflite"):
        assert model_path("int8", runtime).stat().st_size < 0.5 * model_path("fp32", runtime).stat().st_size


def test_student_is_a_registered_backend_and_finds_nobody_in_an_empty_frame() -> None:
    backend = create_backend("student")
    assert backend.name == "student" and not backend.has_world
    assert backend.version.startswith("student-w")
    assert backend(np.full((480, 640, 3), 90, dtype=np.uint8), 0.0) is None


def test_onnx_and_tflite_agree_on_real_frames(demo_video: Path) -> None:
    """fp32: the same graph, so the same keypoints to float precision. int8: two quantizers
    (onnxruntime QDQ, PT2E for LiteRT) round differently; both must stay close to fp32."""
    crops = demo_crops(demo_video, load_model_card()["input_size"])
    fp32_onnx, fp32_tflite = keypoints_of("fp32", "onnx", crops), keypoints_of("fp32", "tflite", crops)
    assert np.abs(fp32_onnx - fp32_tflite).max() < 1e-4  # crop-relative: 1e-4 of a 192 px crop
    for runtime in ("onnx", "tflite"):
        error = np.linalg.norm(keypoints_of("int8", runtime, crops) - fp32_onnx, axis=-1)
        assert np.median(error) < 0.01  # 2 px of a 192 px crop
        assert error.max() < 0.06  # the worst joint of the shipped model: 0.038 (7 px)


def test_student_follows_the_demo_swing_like_blazepose(demo_video: Path, demo_poses: PoseSequence) -> None:
    """The demo video (held out of training) through the shipped int8 model, detect-then-track:
    the golfer is found in every frame and the body joints agree with BlazePose full."""
    backend = StudentBackend(smoothing=False)
    rows = []
    with open_source(demo_video) as source:
        for frame in source:
            pose = backend(frame.image, frame.time_s)
            assert pose is not None, f"golfer lost at frame {frame.index}"
            rows.append(pose.keypoints)
    # The shipped model: 0.92 (the teacher's own keypoints are the reference).
    assert pck_against(np.array(rows), demo_poses.keypoints) > 0.9


def test_torch_onnx_and_tflite_agree(demo_video: Path) -> None:
    """The shipped PyTorch weights, the exported ONNX graph and the TFLite graph give the same
    heatmaps on real crops."""
    torch = pytest.importorskip("torch")
    from swingcoach.train.pose_train import load_student

    model, _ = load_student(MODEL_DIR / "student.pt")
    inputs = [StudentBackend.preprocess(crop) for crop in demo_crops(demo_video, model.config.input_size)]
    with torch.no_grad():
        expected = np.array([model(torch.from_numpy(x))[0].numpy() for x in inputs])
    for runtime in ("onnx", "tflite"):
        session = StudentBackend("fp32", runtime, smoothing=False).session
        found = np.array([next(o for o in session.run(x) if o.ndim == 4) for x in inputs])
        assert np.abs(found - expected).max() < 1e-3  # heatmap logits span tens


@pytest.mark.slow
def test_analyze_runs_end_to_end_with_the_student_backend(tmp_path: Path, demo_video: Path) -> None:
    from typer.testing import CliRunner

    from swingcoach.cli.app import app
    from swingcoach.schemas import Report

    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["analyze", str(demo_video), "--out", str(out), "--backend", "student"])
    assert result.exit_code == 0, result.output
    report = Report.model_validate_json((out / "report.json").read_text())
    assert len(report.swings) == 1
    assert report.models.pose.startswith("student-w")
    assert abs(report.swings[0].events.impact - 142) <= 6  # the BlazePose backends land within 4


@pytest.mark.data
def test_student_scores_close_to_the_teacher_on_lspet_test_images(shared_data: Path) -> None:
    """The benchmark protocol (detect, then track once) on the first 200 test images: the shipped
    int8 model's PCK@0.2 and BlazePose full's, pinned (the goal, 95% of the teacher's, is not reached:
    docs/pose.md)."""
    from swingcoach.bench.pose import load_lspet, lspet_test_indices, pck_hits, predict_lspet
    from swingcoach.pose.blazepose import BlazePoseBackend

    lspet = load_lspet(shared_data)
    indices = lspet_test_indices()[:200]
    truth = lspet.joints[indices]
    student = pck_hits(predict_lspet(StudentBackend(smoothing=False), lspet, indices), truth).mean()
    teacher = pck_hits(predict_lspet(BlazePoseBackend("full", smoothing=False), lspet, indices), truth).mean()
    assert teacher == pytest.approx(0.604, abs=0.01)
    assert student == pytest.approx(0.438, abs=0.03)
