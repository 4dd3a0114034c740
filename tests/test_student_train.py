"""Training the student: crop geometry and augmentation, label reconciliation, the loss, export."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from swingcoach.pose.skeleton import NUM_KEYPOINTS, K
from swingcoach.pose.student import decode_heatmaps

torch = pytest.importorskip("torch")

from swingcoach.train.pose_data import Augment, Sample, make_example, reconcile  # noqa: E402
from swingcoach.train.pose_model import StudentConfig, StudentPoseNet, count_parameters  # noqa: E402
from swingcoach.train.pose_train import (  # noqa: E402
    TrainConfig,
    batch_tensors,
    distillation_loss,
    gaussian_maps,
    soft_argmax,
)


@pytest.fixture(autouse=True)
def one_thread() -> None:
    torch.set_num_threads(1)  # the machine is shared; more threads only wait on each other


def standing_person() -> np.ndarray:
    """COCO-17 keypoints (17, 3) of a person standing in a 200 x 300 image, all visible."""
    points = {
        K.NOSE: (100, 40), K.L_EYE: (105, 35), K.R_EYE: (95, 35), K.L_EAR: (110, 38), K.R_EAR: (90, 38),
        K.L_SHOULDER: (120, 80), K.R_SHOULDER: (80, 80), K.L_ELBOW: (130, 120), K.R_ELBOW: (70, 120),
        K.L_WRIST: (135, 155), K.R_WRIST: (65, 150), K.L_HIP: (112, 160), K.R_HIP: (88, 160),
        K.L_KNEE: (115, 210), K.R_KNEE: (85, 210), K.L_ANKLE: (116, 260), K.R_ANKLE: (84, 260),
    }  # fmt: skip
    keypoints = np.ones((NUM_KEYPOINTS, 3), dtype=np.float32)
    for joint, xy in points.items():
        keypoints[joint, :2] = xy
    return keypoints


def marked_sample(tmp_path: Path, joint: K) -> Sample:
    """A black image with one white dot on `joint`, labelled by a 'teacher' only."""
    teacher = standing_person()
    image = np.zeros((300, 200, 3), dtype=np.uint8)
    cv2.circle(image, tuple(int(v) for v in teacher[joint, :2]), 3, (255, 255, 255), -1)
    path = tmp_path / "person.png"
    cv2.imwrite(str(path), image)
    truth = np.full((NUM_KEYPOINTS, 3), np.nan, dtype=np.float32)
    return Sample(path, teacher, truth, np.full((1, 4), np.nan, dtype=np.float32))


@pytest.mark.parametrize("seed", range(6))
def test_augmented_crops_keep_labels_on_their_pixels(tmp_path: Path, seed: int) -> None:
    """Whatever the jitter, rotation and flip, the target of the marked joint lands on the dot;
    a flip moves the label to the mirrored joint."""
    sample = marked_sample(tmp_path, K.L_WRIST)
    augment = Augment(negative=0.0, photometric=False, flip=0.5)
    example = make_example(sample, 96, np.random.default_rng(seed), augment)
    assert example is not None
    gray = example.image.mean(axis=2)
    dot = np.array(np.unravel_index(np.argmax(gray), gray.shape)[::-1]) + 0.5
    labelled = [j for j in (K.L_WRIST, K.R_WRIST) if np.linalg.norm(example.teacher_uv[j] * 96 - dot) < 2.5]
    assert len(labelled) == 1
    inside = ((example.teacher_uv >= 0) & (example.teacher_uv <= 1)).all(axis=1)
    assert (example.visibility[~inside] == 0).all()


def test_moved_off_crops_teach_that_nobody_is_there(tmp_path: Path) -> None:
    sample = marked_sample(tmp_path, K.NOSE)
    example = make_example(sample, 64, np.random.default_rng(0), Augment(negative=1.0))
    assert example is not None
    assert example.teacher_weight.sum() == 0 and example.truth_weight.sum() == 0
    assert (example.visibility == 0).all() and (example.visibility_weight == 1).all()


def test_reconcile_mirrors_a_swapped_annotation_and_drops_a_failed_teacher(tmp_path: Path) -> None:
    teacher = standing_person()
    swapped = teacher[[0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]].copy()
    swapped[: K.L_SHOULDER] = np.nan  # LSP has no face joints
    sample = Sample(tmp_path / "x.png", teacher, swapped, np.full((1, 4), np.nan))
    fixed = reconcile(sample)
    assert np.allclose(fixed.truth[K.L_WRIST, :2], teacher[K.L_WRIST, :2])
    assert np.isfinite(fixed.teacher).all()
    wrong = teacher.copy()
    wrong[:, :2] += 200  # the teacher found someone else
    assert np.isnan(reconcile(Sample(sample.image_path, wrong, teacher, sample.rois)).teacher).all()


def test_training_decoder_matches_the_runtime_decoder() -> None:
    target = torch.tensor([[[0.25, 0.6], [0.8, 0.3]]])
    maps = gaussian_maps(target, 48, 48)
    _, uv = soft_argmax(torch.log(maps))
    assert torch.allclose(uv, target, atol=2e-3)
    assert np.allclose(decode_heatmaps(torch.log(maps)[0].numpy()), uv[0].numpy(), atol=1e-5)


def test_distillation_fits_a_batch(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = StudentPoseNet(StudentConfig(width=0.35, input_size=64))
    examples = [
        make_example(marked_sample(tmp_path, joint), 64, np.random.default_rng(i), Augment(negative=0.0))
        for i, joint in enumerate((K.L_WRIST, K.R_ANKLE))
    ]
    batch = batch_tensors([e for e in examples if e is not None])
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    config = TrainConfig()
    losses = []
    for _ in range(40):
        loss, _ = distillation_loss(model, batch, config)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    assert count_parameters(StudentPoseNet(StudentConfig(width=0.5))) < 1_000_000
