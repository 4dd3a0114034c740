"""The posture datasets (`../shared/data/posture`, see its README) as labelled body-joint arrays.

Nothing here ships: the data is for research and evaluation only."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from swingcoach.posture.features import body_points, fill_gaps
from swingcoach.posture.keypoints import load_image_pose, load_keypoint_file

EXERCISES = (
    "bench_press",
    "clean_and_jerk",
    "jump_rope",
    "jumping_jacks",
    "pullup",
    "pushup",
    "situp",
    "squat",
)
# Annotations the data's README calls wrong (joints far outside the frame) or empty.
BAD_EXERCISE_FILES = {"jump_rope/1024", "jump_rope/1032", "pushup/1516"}


@dataclass
class Sequence:
    """One labelled recording: (T, 12, 2) image-space body joints (y down, NaN where unseen)."""

    points: np.ndarray
    label: str
    group: str  # who or what must not be split across training and test (person, video id)
    name: str


def _points(keypoints: np.ndarray) -> np.ndarray:
    return fill_gaps(body_points(keypoints))


def load_yoga_sequences(root: Path) -> list[Sequence]:
    out = []
    for path in sorted((root / "yoga_sequences").glob("*/*.npz")):
        with np.load(path) as z:
            label, person = str(z["asana"]), str(z["person"])
        out.append(
            Sequence(_points(load_keypoint_file(path).keypoints), label, person, f"{label}/{path.stem}")
        )
    return out


def load_exercises(root: Path) -> list[Sequence]:
    out = []
    for label in EXERCISES:
        for path in sorted((root / "exercise_keypoints" / label).glob("*.npz")):
            if f"{label}/{path.stem}" in BAD_EXERCISE_FILES:
                continue
            points = _points(load_keypoint_file(path).keypoints)
            out.append(Sequence(points, label, path.stem, f"{label}/{path.stem}"))
    return out


def image_poses(root: Path, cache: Path, backend: str = "blazepose-full") -> list[Sequence]:
    """The yoga images through our pose backend (cached as keypoints; images without a person are
    kept with NaN points, so they count as errors)."""
    cache_file = cache / f"yoga_images_{backend}.npz"
    with (root / "yoga_images" / "labels.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    if cache_file.is_file():
        keypoints = np.load(cache_file)["keypoints"]
    else:
        keypoints = np.full((len(rows), 17, 3), np.nan, dtype=np.float32)
        for i, row in enumerate(rows):
            try:
                keypoints[i] = load_image_pose(root / "yoga_images" / row["file"], backend).keypoints[0]
            except Exception:
                continue
        cache.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(cache_file, keypoints=keypoints)
    return [
        Sequence(body_points(keypoints[i : i + 1]), row["class"], row["file"], row["file"])
        for i, row in enumerate(rows)
    ]


@dataclass
class RepetitionVideo:
    path: Path
    fps: float
    ends: list[int]

    @property
    def count(self) -> int:
        return len(self.ends)


def load_repetition_videos(root: Path) -> list[RepetitionVideo]:
    out = []
    for meta in sorted((root / "repetition_videos").glob("*.json")):
        info = json.loads(meta.read_text())
        out.append(
            RepetitionVideo(meta.with_name(info["video"]), float(info["fps"]), list(info["rep_end_frames"]))
        )
    return out


def video_points(video: Path, cache: Path, backend: str = "blazepose-full") -> tuple[np.ndarray, float]:
    """A video through our pose backend -> (T, 12, 2) body joints and its frame rate (cached)."""
    from swingcoach.pipeline import extract_poses
    from swingcoach.pose import create_backend

    cache_file = cache / f"{video.stem}_{backend}.npz"
    if not cache_file.is_file():
        sequence, _ = extract_poses(video, create_backend(backend))
        cache.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(cache_file, keypoints=sequence.keypoints, fps=sequence.fps)
    with np.load(cache_file) as z:
        return body_points(z["keypoints"]), float(z["fps"])


@dataclass
class FormRows:
    """Labelled frames of one exercise: (N, 17, 3) COCO-17 keypoints and their labels."""

    exercise: str
    keypoints: np.ndarray
    labels: np.ndarray


# file, exercise; the labels are the file's own (C = correct).
FORM_FILES = {
    "plank": "plank_model/test.csv",
    "lunge": "lunge_model/err.test.csv",
    "bicep_curl": "bicep_model/test.csv",
}
FORM_ASPECT = 16 / 9  # the rows are normalised to an unrecorded (landscape) frame


def _coco_column(name: str) -> str:
    for short, long in (("l_", "left_"), ("r_", "right_")):
        if name.startswith(short):
            return long + name[len(short) :]
    return name


def load_form_rows(root: Path) -> list[FormRows]:
    from swingcoach.pose.skeleton import KEYPOINT_NAMES

    out = []
    for exercise, name in FORM_FILES.items():
        with (root / "exercise_form" / name).open(newline="") as f:
            rows = list(csv.DictReader(f))
        keypoints = np.full((len(rows), 17, 3), np.nan, dtype=np.float32)
        for j, joint in enumerate(KEYPOINT_NAMES):
            column = _coco_column(joint)
            if f"{column}_x" in rows[0]:
                for i, row in enumerate(rows):
                    x, y, v = (float(row[f"{column}_{c}"]) for c in "xyv")
                    keypoints[i, j] = (x * FORM_ASPECT, y, v)
        out.append(FormRows(exercise, keypoints, np.array([row["label"] for row in rows])))
    return out
