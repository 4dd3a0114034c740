"""`swingcoach bench posture`: recognition on people and recordings never trained on (cross-validated
by person / recording), repetition counting on real videos, form errors and live speed.

The recognition figures retrain the classifiers per fold (the `train` extra); counting, form limits
and speed use the shipped models."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

Log = Callable[[str], None]


@dataclass
class Figure:
    name: str
    value: float
    goal: str
    met: bool
    detail: str = ""


@dataclass
class PostureBench:
    figures: list[Figure] = field(default_factory=list)
    misses: dict[str, list[str]] = field(default_factory=dict)

    def add(
        self, name: str, value: float, goal: float, higher_is_better: bool = True, detail: str = ""
    ) -> None:
        met = value >= goal if higher_is_better else value <= goal
        self.figures.append(
            Figure(name, round(value, 4), ("≥ " if higher_is_better else "≤ ") + f"{goal:g}", met, detail)
        )


def _fold_classifier(kind: str, train: list, steps: int) -> object:
    from swingcoach.posture.classifier import PostureClassifier
    from swingcoach.train.posture import PostureTrainConfig, build_bank, export_classifier, train_classifier

    model, names, prototypes = train_classifier(
        kind, train, PostureTrainConfig(steps=steps), log=lambda _: None
    )
    bank = build_bank(kind, model, names, prototypes, train, 0.05)
    folder = Path(tempfile.mkdtemp(prefix="posture-fold-"))
    inputs = PostureClassifier.inputs_for(kind, train[0].points[:2]).shape[-1]
    export_classifier(model, bank, folder / "fold", inputs)
    return PostureClassifier(folder / "fold.onnx")


def yoga_sequences(bench: PostureBench, root: Path, steps: int, folds: int, log: Log) -> None:
    """Leave-persons-out: each fold's people are never in its training data."""
    from swingcoach.posture.held import majority_label
    from swingcoach.train.posture_data import load_yoga_sequences

    data = load_yoga_sequences(root)
    people = sorted({s.group for s in data})
    per_frame, per_sequence, misses = [], [], []
    for k in range(folds):
        test = set(people[k::folds])
        classifier = _fold_classifier("held", [s for s in data if s.group not in test], steps)
        for s in (s for s in data if s.group in test):
            labels = np.array(classifier.bank.labels)[classifier.probabilities(s.points).argmax(1)]
            per_frame.append(labels == s.label)
            label, _ = majority_label(classifier, s.points)
            per_sequence.append(label == s.label)
            if label != s.label:
                misses.append(f"{s.name} -> {label}")
        log(
            f"yoga fold {k + 1}/{folds} ({', '.join(sorted(test))}): {np.mean(per_sequence):.3f} per sequence"
        )
    frames = np.concatenate(per_frame)
    bench.add(
        "yoga per sequence (leave-person-out)",
        float(np.mean(per_sequence)),
        0.98,
        detail=f"{len(per_sequence)} sequences",
    )
    bench.add("yoga per frame (leave-person-out)", float(frames.mean()), 0.95, detail=f"{len(frames)} frames")
    bench.misses["yoga sequences"] = misses


def yoga_images(bench: PostureBench, root: Path, cache: Path, steps: int, folds: int, log: Log) -> None:
    """k-fold over the photos, keypoints from our own pose backend; a photo without a pose is a miss."""
    from swingcoach.train.posture_data import image_poses

    data = image_poses(root, cache)
    found = [s for s in data if np.isfinite(s.points).any()]
    order = np.random.default_rng(0).permutation(len(data))
    fold_of = {data[i].name: n % folds for n, i in enumerate(order)}
    hits, misses = 0, []
    for k in range(folds):
        classifier = _fold_classifier("held", [s for s in found if fold_of[s.name] != k], steps)
        for s in (s for s in data if fold_of[s.name] == k):
            label = (
                classifier.bank.labels[int(classifier.probabilities(s.points)[0].argmax())]
                if np.isfinite(s.points).any()
                else "no pose"
            )
            hits += label == s.label
            if label != s.label:
                misses.append(f"{s.name} -> {label}")
        log(f"photo fold {k + 1}/{folds}: {hits} right so far")
    bench.add(
        "yoga photos, end to end (k-fold)",
        hits / len(data),
        0.97,
        detail=f"{len(data)} photos, {len(data) - len(found)} without a pose",
    )
    bench.misses["yoga photos"] = misses


def exercises(bench: PostureBench, root: Path, steps: int, folds: int, log: Log) -> None:
    from swingcoach.train.posture_data import load_exercises

    data = load_exercises(root)
    fold = np.random.default_rng(0).permutation(len(data)) % folds
    hits, misses = 0, []
    for k in range(folds):
        classifier = _fold_classifier(
            "movement", [s for s, f in zip(data, fold, strict=True) if f != k], steps
        )
        for s in (s for s, f in zip(data, fold, strict=True) if f == k):
            label = classifier.bank.labels[int(classifier.probabilities(s.points)[0].argmax())]
            hits += label == s.label
            if label != s.label:
                misses.append(f"{s.name} -> {label}")
        log(f"exercise fold {k + 1}/{folds}: {hits} right so far")
    bench.add(
        "exercise recognition (k-fold by recording)", hits / len(data), 0.97, detail=f"{len(data)} sequences"
    )
    bench.misses["exercises"] = misses


def repetition_counts(bench: PostureBench, root: Path, cache: Path, log: Log) -> None:
    """Counts from our own poses on each video against the marked repetition ends."""
    from swingcoach.posture.movement import repetitions
    from swingcoach.train.posture_data import load_repetition_videos, video_points

    errors, exact, misses = [], [], []
    for video in load_repetition_videos(root):
        points, fps = video_points(video.path, cache)
        counted = len(repetitions(points, fps))
        errors.append(abs(counted - video.count) / video.count)
        exact.append(counted == video.count)
        if counted != video.count:
            misses.append(f"{video.path.stem}: {counted} of {video.count}")
    log(f"counted {len(errors)} videos")
    bench.add(
        "repetitions: mean |error| / true count",
        float(np.mean(errors)),
        0.10,
        higher_is_better=False,
        detail=f"{len(errors)} videos",
    )
    bench.add("repetitions: counted exactly", float(np.mean(exact)), 0.80)
    bench.misses["repetition counts"] = misses


def form_errors(bench: PostureBench, root: Path) -> None:
    """Each error's limit fitted on alternate blocks of rows and scored on the others, both ways."""
    from swingcoach.posture.form import FormRule, f1_score
    from swingcoach.train.posture import FORM_BLOCK_ROWS, form_rules
    from swingcoach.train.posture_data import load_form_rows

    rows = load_form_rows(root)
    truth, flagged = [], []
    for half in (0, 1):
        train_mask = {r.exercise: (np.arange(len(r.labels)) // FORM_BLOCK_ROWS) % 2 == half for r in rows}
        rules = [FormRule(**rule) for rule in form_rules(rows, train_mask)]  # type: ignore[arg-type]
        for r in rows:
            test = ~train_mask[r.exercise]
            for rule in (rule for rule in rules if rule.exercise == r.exercise):
                relevant = test & np.isin(r.labels, ["C", rule.error])
                truth.append(r.labels[relevant] == rule.error)
                flagged.append(rule.flags(r.keypoints[relevant]))
    score = f1_score(np.concatenate(truth), np.concatenate(flagged))
    bench.add(
        "form errors F1 (held-out row blocks)", score, 0.90, detail="plank high/low, lunge knee, curl lean"
    )


def live_speed(bench: PostureBench, video: Path, log: Log) -> None:
    """One thread: decode, BlazePose lite and the held-pose coach on every frame of `video`."""
    from swingcoach.pose import create_backend
    from swingcoach.posture.classifier import PostureClassifier
    from swingcoach.posture.features import body_points
    from swingcoach.posture.held import HeldPoseCoach
    from swingcoach.video.source import open_source

    backend = create_backend("blazepose-lite", threads=1, live=True)
    coach = HeldPoseCoach(PostureClassifier.for_sport("yoga", threads=1))
    label_ms = []
    start, frames = time.perf_counter(), 0
    with open_source(video) as source:
        for frame in source:
            pose = backend(frame.image, frame.time_s)
            if pose is not None:
                t = time.perf_counter()
                coach.update(body_points(pose.keypoints), frame.time_s)
                label_ms.append(1000 * (time.perf_counter() - t))
            frames += 1
    fps = frames / (time.perf_counter() - start)
    log(f"live: {frames} frames of {video.name}")
    bench.add("live fps, one core (decode + BlazePose lite + coach)", fps, 25, detail=video.name)
    if label_ms:
        bench.add(
            "label after the pose, p99 ms", float(np.percentile(label_ms, 99)), 200, higher_is_better=False
        )


def run_posture_bench(
    root: Path, cache: Path, steps: int, folds: int, live_video: Path | None, log: Log = print
) -> PostureBench:
    bench = PostureBench()
    form_errors(bench, root)
    repetition_counts(bench, root, cache, log)
    yoga_sequences(bench, root, steps, 4, log)
    yoga_images(bench, root, cache, steps, folds, log)
    exercises(bench, root, steps, folds, log)
    if live_video is not None:
        live_speed(bench, live_video, log)
    return bench
