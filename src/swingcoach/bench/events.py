"""Event and phase accuracy: the GolfDB PCE ablation (4-fold CV over `split`) and phone-swing phases.

Protocol (DESIGN.md): an event is correct if |pred - true| <= max(1, round((impact - address) / 30))
frames, with the true address and impact; PCE is the mean over events and swings. Every learned
variant is trained here, fold by fold (train on three GolfDB splits, test on the fourth, so each
of the clips is scored once), exported to ONNX and scored through the run-time detector on
onnxruntime. Training is seeded and single-threaded, so a rerun prints the same figures.
"""

from __future__ import annotations

import csv
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from swingcoach.pose.base import PoseSequence
from swingcoach.swing.events import PHASE_NAMES, EventDetector, RuleEventDetector
from swingcoach.swing.events.model import LearnedEventDetector
from swingcoach.train.events_data import Clip, load_golfdb, pce_hits

LATENCY_FRAMES = 90  # a 3-second swing at 30 fps
LABELLED_PHONE_SWINGS = ("swing1", "swing2", "swing3")
ROWS = {
    "rules": "(a) rules",
    "ce": "(b) MLP, cross-entropy",
    "triplet": "(c) triplet embedding + MLP",
    "supcon": "(d) SupCon embedding + MLP",
    "gru": "(e) bi-GRU reference",
}


@dataclass
class Scores:
    """PCE hits of every scored clip, and detection times of the real-time (30 fps) ones."""

    hits: list[np.ndarray] = field(default_factory=list)
    seconds_per_frame: list[float] = field(default_factory=list)

    def add(self, detector: EventDetector, clip: Clip) -> None:
        started = time.perf_counter()
        events = detector.detect(clip.sequence)
        if not clip.slow:
            self.seconds_per_frame.append((time.perf_counter() - started) / len(clip.sequence))
        self.hits.append(pce_hits(np.array(events.frames), clip.events))

    @property
    def per_event(self) -> list[float]:
        return [float(v) for v in np.mean(self.hits, axis=0)]

    @property
    def mean(self) -> float:
        return float(np.mean(self.hits))

    @property
    def latency_ms(self) -> float:
        """Median time of one detection for a 3-second swing at 30 fps (real-time clips, scaled)."""
        return 1000 * LATENCY_FRAMES * statistics.median(self.seconds_per_frame)


@dataclass
class AblationRow:
    name: str
    label: str
    per_event: list[float]
    mean: float
    params: int
    latency_ms: float
    int8_mean: float | None = None
    int8_latency_ms: float | None = None


def rules_row(clips: list[Clip]) -> AblationRow:
    scores = Scores()
    detector = RuleEventDetector()
    for clip in clips:
        scores.add(detector, clip)
    return AblationRow("rules", ROWS["rules"], scores.per_event, scores.mean, 0, scores.latency_ms)


def learned_row(
    clips: list[Clip],
    variant: str,
    steps_scale: float,
    with_int8: bool,
    log: Callable[[str], None],
    seed: int,
) -> AblationRow:
    """4-fold CV of one variant: train, export (and quantize), score the held-out split."""
    import torch

    from swingcoach.train.events import TrainConfig, export_event_model, parameter_count, train_model

    torch.set_num_threads(1)
    config = TrainConfig(variant=variant, seed=seed).scaled(steps_scale)
    fp32, int8 = Scores(), Scores()
    params = 0
    with tempfile.TemporaryDirectory() as tmp:
        for split in sorted({clip.split for clip in clips}):
            train = [clip for clip in clips if clip.split != split]
            test = [clip for clip in clips if clip.split == split]
            model = train_model(train, config, log=lambda _: None)
            params = parameter_count(model)
            paths = export_event_model(model, train, Path(tmp) / f"{variant}_{split}", quantize=with_int8)
            for path, scores in zip(paths, (fp32, int8), strict=False):
                detector = LearnedEventDetector(path)
                for clip in test:
                    scores.add(detector, clip)
            log(f"{variant} fold {split}: PCE {100 * np.mean(fp32.hits[-len(test) :]):.1f}%")
    return AblationRow(
        variant,
        ROWS[variant],
        fp32.per_event,
        fp32.mean,
        params,
        fp32.latency_ms,
        int8.mean if with_int8 else None,
        int8.latency_ms if with_int8 else None,
    )


def read_phase_labels(path: Path) -> np.ndarray:
    """`frame,phase` CSV -> phase index (into PHASE_NAMES) per frame."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return np.array([PHASE_NAMES.index(row["phase"]) for row in rows])


def phases_per_frame(sequence: PoseSequence, detector: EventDetector) -> np.ndarray:
    """Coarse phase of every frame of a one-swing video, through the whole analysis pipeline
    (swing cut, handedness, events); frames outside the cut swing are Setup or Follow-through."""
    from swingcoach.pipeline import analyze_poses

    swing = analyze_poses(sequence, detector)[0]
    return swing.report.events.to_events().phases(len(sequence))


@dataclass
class PhaseResult:
    video: str
    frames: int
    fps: float
    accuracy: dict[str, float]  # detector name -> per-frame accuracy


def phone_phase_accuracy(phone: Path, detectors: dict[str, EventDetector], backend: str) -> list[PhaseResult]:
    """Video -> poses -> swing -> events -> 5 phases per frame, against the hand labels."""
    from swingcoach.pipeline import extract_poses
    from swingcoach.pose import create_backend

    results = []
    for name in LABELLED_PHONE_SWINGS:
        labels = read_phase_labels(phone / f"{name}_phases.csv")
        sequence, info = extract_poses(phone / f"{name}.mp4", create_backend(backend, threads=1))
        accuracy = {
            detector_name: float(np.mean(phases_per_frame(sequence, detector) == labels))
            for detector_name, detector in detectors.items()
        }
        results.append(PhaseResult(name, len(labels), info.fps, accuracy))
    return results


@dataclass
class EventBench:
    rows: list[AblationRow]
    phases: list[PhaseResult]
    clips: int
    quick: bool
    seed: int


def run_event_bench(
    data: Path,
    phone: Path | None,
    variants: list[str],
    quick: bool,
    log: Callable[[str], None],
    seed: int = 0,
) -> EventBench:
    """`seed` seeds every learned variant's training: rerun with others to see the spread."""
    clips = load_golfdb(data)
    rows = [rules_row(clips)]
    for variant in variants:
        rows.append(learned_row(clips, variant, 0.25 if quick else 1.0, variant == "supcon", log, seed))
    phases = []
    if phone is not None:
        detectors: dict[str, EventDetector] = {
            "rules": RuleEventDetector(),
            "learned": LearnedEventDetector(),
        }
        phases = phone_phase_accuracy(phone, detectors, "blazepose-full")
    return EventBench(rows, phases, len(clips), quick, seed)
