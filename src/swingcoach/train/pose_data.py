"""Training data for the student pose model: LSPET crops and golf video frames, labelled by the teacher.

The teacher is our BlazePose-full backend, run exactly as the benchmark runs it (`bench.pose.two_pass`
on LSPET crops; detect-then-track through whole videos for golf). Its keypoints and visibilities
are the soft targets; LSPET's own annotation is the hard target for the 12 joints it shares with
COCO-17. Labels are cached (never committed): the cache holds derived data of research-only sets.

Golf videos are split by file: the phase-labelled phone swings and the GolfDB demo video are held
out for evaluation (agreement with the teacher, event accuracy), the rest are training data.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from swingcoach.bench.pose import (
    PCK_ALPHA,
    Lspet,
    load_lspet,
    lspet_to_coco,
    lspet_training_indices,
    two_pass,
)
from swingcoach.pose.blazepose import BlazePoseBackend
from swingcoach.pose.roi import RotatedRect
from swingcoach.pose.skeleton import MIRROR, NUM_KEYPOINTS, K
from swingcoach.pose.student import roi_from_keypoints
from swingcoach.video import open_source

log = logging.getLogger(__name__)

TRAIN_VIDEOS = (
    "phone_swings/golf_swing.mp4",
    "phone_swings/swing6.mp4",
    "phone_swings/new_swing.mp4",
    "golfdb/clips/0.mp4",
)
HELD_OUT_VIDEOS = (
    "phone_swings/swing1.mp4",
    "phone_swings/swing2.mp4",
    "phone_swings/swing3.mp4",
    "videos/golfdb_test_video.mp4",
)
DEFAULT_CACHE = Path("/tmp/swingcoach-pose")
SAVE_EVERY = 250


def teacher() -> BlazePoseBackend:
    return BlazePoseBackend("full", threads=1, smoothing=False)


def label_lspet(data_dir: Path, cache: Path) -> Path:
    """Teacher keypoints (N, 17, 3) and its two ROIs (N, 2, 4) for every LSPET training image.

    Resumable: partial results are saved as it goes and picked up on the next call.
    """
    out = cache / "lspet_teacher.npz"
    if out.is_file():
        return out
    cache.mkdir(parents=True, exist_ok=True)
    partial = cache / "lspet_teacher.partial.npz"
    lspet = load_lspet(data_dir)
    indices = lspet_training_indices()
    keypoints = np.full((len(indices), NUM_KEYPOINTS, 3), np.nan, dtype=np.float32)
    rois = np.full((len(indices), 2, 4), np.nan, dtype=np.float32)
    done = 0
    if partial.is_file():
        with np.load(partial) as z:
            done = int(z["done"])
            keypoints[:done], rois[:done] = z["keypoints"][:done], z["rois"][:done]
    model = teacher()
    for row in range(done, len(indices)):
        for step, frame in enumerate(two_pass(model, lspet.image(int(indices[row])))):
            keypoints[row] = frame.keypoints
            rois[row, step] = frame.roi
        if (row + 1) % SAVE_EVERY == 0 or row + 1 == len(indices):
            with partial.with_suffix(".tmp").open("wb") as f:
                np.savez(f, done=row + 1, keypoints=keypoints, rois=rois)
            partial.with_suffix(".tmp").replace(partial)
            log.info("teacher on LSPET: %d / %d", row + 1, len(indices))
    np.savez_compressed(out, indices=indices, keypoints=keypoints, rois=rois)
    partial.unlink()
    return out


def label_video(video: Path, out_dir: Path) -> Path:
    """Teacher keypoints (T, 17, 3) and ROIs (T, 4) through a video, with its frames saved as JPEG."""
    out = out_dir / f"{video.stem}.npz"
    if out.is_file():
        return out
    frame_dir = out_dir / video.stem
    frame_dir.mkdir(parents=True, exist_ok=True)
    model = teacher()
    keypoints, rois, names = [], [], []
    with open_source(video) as source:
        for frame in source:
            pose = model(frame.image, frame.time_s)
            name = f"{frame.index:06d}.jpg"
            cv2.imwrite(str(frame_dir / name), frame.image, [cv2.IMWRITE_JPEG_QUALITY, 92])
            names.append(name)
            keypoints.append(np.full((NUM_KEYPOINTS, 3), np.nan) if pose is None else pose.keypoints)
            rois.append(np.full(4, np.nan) if pose is None or pose.roi is None else pose.roi)
    np.savez_compressed(
        out, keypoints=np.array(keypoints, np.float32), rois=np.array(rois, np.float32), names=names
    )
    log.info("teacher on %s: %d frames", video.name, len(names))
    return out


def label_all(data_dir: Path, cache: Path) -> None:
    for relative in TRAIN_VIDEOS:
        label_video(data_dir / relative, cache / "golf")
    label_lspet(data_dir, cache)


@dataclass(frozen=True)
class Sample:
    """One training image: teacher keypoints (17, 3; NaN = no label), ground truth in COCO-17
    (17, 3; NaN where LSP has no such joint or it is not annotated) and the ROIs the runtime
    would have cropped it with (K, 4)."""

    image_path: Path
    teacher: np.ndarray
    truth: np.ndarray
    rois: np.ndarray


def lspet_samples(lspet: Lspet, labels: Path) -> list[Sample]:
    with np.load(labels) as z:
        indices, keypoints, rois = z["indices"], z["keypoints"], z["rois"]
    truth = lspet_to_coco(lspet.joints[indices])
    return [
        Sample(lspet.image_dir / str(lspet.names[i]), keypoints[row], truth[row], rois[row])
        for row, i in enumerate(indices)
    ]


def golf_samples(cache: Path) -> list[Sample]:
    samples = []
    no_truth = np.full((NUM_KEYPOINTS, 3), np.nan, dtype=np.float32)
    for relative in TRAIN_VIDEOS:
        stem = Path(relative).stem
        with np.load(cache / "golf" / f"{stem}.npz") as z:
            for name, keypoints, roi in zip(z["names"], z["keypoints"], z["rois"], strict=True):
                if np.isfinite(keypoints[:, 0]).any():
                    samples.append(Sample(cache / "golf" / stem / str(name), keypoints, no_truth, roi[None]))
    return samples


# Teacher and annotation disagree about left and right on some LSPET images (the Mechanical Turk
# labels are not always from the person's own point of view); when the mirrored annotation fits the
# teacher by this many more joints, the annotation is mirrored for training (never for testing).
MIRROR_MARGIN = 2
# Below this agreement with the annotation the teacher is taken to have failed on the image.
TEACHER_MIN_AGREEMENT = 0.5
TORSO_PAIRS = ((K.R_SHOULDER, K.L_HIP), (K.L_SHOULDER, K.R_HIP))


def _agreement(teacher: np.ndarray, truth: np.ndarray) -> tuple[int, int]:
    """Joints of `truth` that `teacher` finds within PCK_ALPHA torso diameters, and how many are scored."""
    torso = next(
        (
            float(np.linalg.norm(truth[a, :2] - truth[b, :2]))
            for a, b in TORSO_PAIRS
            if np.isfinite(truth[[a, b], 0]).all()
        ),
        math.nan,
    )
    scored = np.isfinite(truth[:, 0])
    if not math.isfinite(torso) or not scored.any():
        return 0, 0
    error = np.linalg.norm(teacher[scored, :2] - truth[scored, :2], axis=-1)
    return int((np.nan_to_num(error, nan=np.inf) <= PCK_ALPHA * torso).sum()), int(scored.sum())


def reconcile(sample: Sample) -> Sample:
    """Align the annotation's left/right with the teacher, and drop the teacher where it failed."""
    if not np.isfinite(sample.truth[:, 0]).any() or not np.isfinite(sample.teacher[:, 0]).any():
        return sample
    hits, scored = _agreement(sample.teacher, sample.truth)
    mirrored = sample.truth[MIRROR]
    mirrored_hits, _ = _agreement(sample.teacher, mirrored)
    truth = sample.truth
    if mirrored_hits >= hits + MIRROR_MARGIN:
        truth, hits = mirrored, mirrored_hits
    teacher = sample.teacher
    if scored == 0 or hits < TEACHER_MIN_AGREEMENT * scored:
        teacher = np.full_like(sample.teacher, np.nan)
    return replace(sample, teacher=teacher, truth=truth)


def to_crop(points: np.ndarray, roi: RotatedRect) -> np.ndarray:
    """Image pixels (N, 2) -> crop-relative u, v (the inverse of RotatedRect.to_image)."""
    local = (points - np.array([roi.cx, roi.cy], dtype=np.float32)) @ roi.rotation()
    return local / roi.size + 0.5


@dataclass(frozen=True)
class Augment:
    scale: float = 0.2  # log-uniform range of the ROI size
    shift: float = 0.08  # of the ROI size
    rotation_deg: float = 12.0  # standard deviation
    max_rotation_deg: float = 35.0
    flip: float = 0.5
    negative: float = 0.08  # share of crops moved off the person: "nobody here" examples
    photometric: bool = True


@dataclass
class Example:
    """One crop (the `roi` of its image) and its targets, crop-relative: teacher and annotation
    positions (17, 2) with weights (17,), and the visibility target (17,) with its weight."""

    image: np.ndarray
    roi: RotatedRect
    teacher_uv: np.ndarray
    teacher_weight: np.ndarray
    truth_uv: np.ndarray
    truth_weight: np.ndarray
    visibility: np.ndarray
    visibility_weight: np.ndarray


def candidate_rois(sample: Sample) -> list[RotatedRect]:
    """ROIs the runtime could crop this person with: the teacher run's tracked and detector ROIs
    (in that order), and those the student's own tracking rule derives from the labels."""
    rois = [RotatedRect(*(float(v) for v in roi)) for roi in sample.rois[::-1] if np.isfinite(roi).all()]
    for keypoints in (sample.teacher, sample.truth):
        if np.isfinite(keypoints[:, 0]).any():
            roi = roi_from_keypoints(keypoints)
            if roi is not None and math.isfinite(roi.size) and roi.size > 1:
                rois.append(roi)
    return rois


def _jitter(roi: RotatedRect, rng: np.random.Generator, augment: Augment) -> RotatedRect:
    size = roi.size * math.exp(rng.uniform(-augment.scale, augment.scale))
    dx, dy = rng.uniform(-augment.shift, augment.shift, 2) * roi.size
    turn = math.radians(
        float(
            np.clip(rng.normal(0, augment.rotation_deg), -augment.max_rotation_deg, augment.max_rotation_deg)
        )
    )
    return RotatedRect(roi.cx + dx, roi.cy + dy, size, roi.angle + turn)


def _photometric(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = image.astype(np.float32) * rng.uniform(0.7, 1.3) + rng.uniform(-25, 25)
    if rng.random() < 0.1:
        out = np.repeat(out.mean(axis=2, keepdims=True), 3, axis=2)
    if rng.random() < 0.15:  # the club and hands blur at impact
        length = int(rng.integers(3, 9))
        kernel = np.zeros((length, length), np.float32)
        kernel[length // 2] = 1.0 / length
        center = (length / 2 - 0.5, length / 2 - 0.5)
        rotation = cv2.getRotationMatrix2D(center, float(rng.uniform(0, 180)), 1.0)
        kernel = cv2.warpAffine(kernel, rotation, (length, length))
        out = cv2.filter2D(out, -1, kernel / max(kernel.sum(), 1e-6))
    return np.clip(out, 0, 255).astype(np.uint8)


def _inside(uv: np.ndarray) -> np.ndarray:
    return ((uv >= 0) & (uv <= 1)).all(axis=1)


def make_example(
    sample: Sample, size: int, rng: np.random.Generator | None, augment: Augment | None = None
) -> Example | None:
    """Crop `sample` for the network. With `rng` the crop is augmented; without, it is the first
    candidate ROI as is. None if no ROI can be made."""
    rois = candidate_rois(sample)
    if not rois:
        return None
    image = cv2.imread(str(sample.image_path))
    if image is None:
        raise FileNotFoundError(sample.image_path)
    roi = rois[0 if rng is None else int(rng.integers(len(rois)))]
    augment = augment or Augment()
    if rng is not None:
        roi = _jitter(roi, rng, augment)
    teacher_uv = to_crop(sample.teacher[:, :2], roi)
    truth_uv = to_crop(sample.truth[:, :2], roi)
    negative = False
    if rng is not None and rng.random() < augment.negative:
        angle = rng.uniform(0, 2 * math.pi)
        away = rng.uniform(1.0, 1.6) * roi.size
        moved = replace(roi, cx=roi.cx + away * math.cos(angle), cy=roi.cy + away * math.sin(angle))
        labelled = np.concatenate(
            [to_crop(sample.teacher[:, :2], moved), to_crop(sample.truth[:, :2], moved)]
        )
        labelled = labelled[np.isfinite(labelled[:, 0])]
        if not _inside(labelled).any():
            roi, negative = moved, True
    crop = cv2.cvtColor(roi.crop(image, size), cv2.COLOR_BGR2RGB)
    teacher_weight = np.where(np.isfinite(teacher_uv[:, 0]), 1.0, 0.0)
    truth_weight = np.where(np.isfinite(truth_uv[:, 0]), 1.0, 0.0)
    has_teacher = teacher_weight > 0
    visibility = np.where(has_teacher, np.nan_to_num(sample.teacher[:, 2]), truth_weight)
    visibility = np.where(_inside(np.where(has_teacher[:, None], teacher_uv, truth_uv)), visibility, 0.0)
    visibility_weight = np.maximum(teacher_weight, truth_weight)
    if negative:
        teacher_weight = truth_weight = np.zeros(NUM_KEYPOINTS)
        visibility, visibility_weight = np.zeros(NUM_KEYPOINTS), np.ones(NUM_KEYPOINTS)
    if rng is not None and rng.random() < augment.flip:
        crop = crop[:, ::-1]
        teacher_uv, truth_uv = teacher_uv[MIRROR], truth_uv[MIRROR]
        teacher_uv[:, 0], truth_uv[:, 0] = 1 - teacher_uv[:, 0], 1 - truth_uv[:, 0]
        teacher_weight, truth_weight = teacher_weight[MIRROR], truth_weight[MIRROR]
        visibility, visibility_weight = visibility[MIRROR], visibility_weight[MIRROR]
    if rng is not None and augment.photometric:
        crop = _photometric(crop, rng)
    f32 = np.float32
    return Example(
        np.ascontiguousarray(crop),
        roi,
        np.nan_to_num(teacher_uv).astype(f32),
        teacher_weight.astype(f32),
        np.nan_to_num(truth_uv).astype(f32),
        truth_weight.astype(f32),
        visibility.astype(f32),
        visibility_weight.astype(f32),
    )
