"""Pose classes by similarity to a bank of prototypes: an ONNX embedding (trained by `train posture`)
and a JSON bank of class prototypes, a calibrated temperature and, for held poses, reference angles.

A class is added without code by appending the mean embedding of ~20 examples (`add_class`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from swingcoach.errors import InputError
from swingcoach.posture.features import (
    ANGLE_NAMES,
    frame_features,
    joint_angles,
    mirror_points,
    movement_features,
)
from swingcoach.runtime import load_session

MODELS = Path(__file__).parent / "models"
SPORT_MODELS = {
    "yoga": MODELS / "yoga.onnx",
    "yoga-photos": MODELS / "yoga-photos.onnx",
    "exercise": MODELS / "exercise.onnx",
}
# Below this confidence a held pose is "Take your pose" (the reference design's 60 %).
DEFAULT_THRESHOLD = 0.6
MAX_LABEL_LENGTH = 40


def reference_angles(recordings: list[np.ndarray]) -> dict[str, float]:
    """The class's reference pose as the median of each joint angle over its examples (degrees),
    each example put on the side its class is most often held on (see `HeldPoseCoach.variant`)."""
    angles = np.concatenate([joint_angles(points) for points in recordings])
    angles = _canonical_side(angles)
    return {name: round(float(np.nanmedian(angles[:, i])), 1) for i, name in enumerate(ANGLE_NAMES)}


def _canonical_side(angles: np.ndarray) -> np.ndarray:
    """Put each row on the side whose left leg and arm are the more bent (left/right variants of one
    pose become one reference)."""
    from swingcoach.posture.features import ANGLE_MIRROR

    left, right = angles[:, 0::2].sum(1), angles[:, 1::2].sum(1)
    return np.where((left > right)[:, None], angles[:, ANGLE_MIRROR], angles)


@dataclass
class ClassBank:
    kind: str  # "held" or "movement"
    labels: list[str]
    prototypes: np.ndarray  # (C, E) unit vectors
    temperature: float
    references: dict[str, dict[str, float]] = field(default_factory=dict)
    threshold: float = DEFAULT_THRESHOLD

    def save(self, path: Path) -> Path:
        data = {
            "kind": self.kind,
            "labels": self.labels,
            "temperature": self.temperature,
            "threshold": self.threshold,
            "prototypes": np.round(self.prototypes, 6).tolist(),
            "references": self.references,
        }
        path.write_text(json.dumps(data, indent=1) + "\n")
        return path

    @classmethod
    def load(cls, path: Path) -> ClassBank:
        try:
            data = json.loads(path.read_text())
            return cls(
                kind=data["kind"],
                labels=list(data["labels"]),
                prototypes=np.asarray(data["prototypes"], dtype=np.float32),
                temperature=float(data["temperature"]),
                references=data.get("references", {}),
                threshold=float(data.get("threshold", DEFAULT_THRESHOLD)),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"not a class bank: {path} ({exc})") from None


class PostureClassifier:
    """Probabilities over a bank's classes for held poses (per frame) or movements (per sequence).

    Each input is scored with its mirror image too and the two averaged, so a pose held on the left
    and on the right get the same class."""

    def __init__(self, model: Path, bank: Path | None = None, threads: int = 1) -> None:
        if not model.is_file():
            raise InputError(f"posture model not found: {model}")
        self.model_path = model
        self.session = load_session(model, threads)
        self.bank_path = bank or model.with_suffix(".json")
        self.bank = ClassBank.load(self.bank_path)

    @classmethod
    def for_sport(cls, sport: str, threads: int = 1) -> PostureClassifier:
        if sport not in SPORT_MODELS:
            raise InputError(f"unknown posture model {sport!r}: choose from {', '.join(SPORT_MODELS)}")
        return cls(SPORT_MODELS[sport], threads=threads)

    @property
    def version(self) -> str:
        return f"{self.model_path.stem}:{len(self.bank.labels)} classes"

    @staticmethod
    def inputs_for(kind: str, points: np.ndarray) -> np.ndarray:
        """(T, 12, 2) -> model inputs: (T, F) per frame for held poses, (F,) for a movement."""
        return frame_features(points) if kind == "held" else movement_features(points)

    def inputs(self, points: np.ndarray) -> np.ndarray:
        """(T, 12, 2) -> model inputs of the pose and its mirror image stacked: (2T, F) or (2, F)."""
        both = [self.inputs_for(self.bank.kind, p) for p in (points, mirror_points(points))]
        return np.concatenate(both) if self.bank.kind == "held" else np.stack(both)

    def embed(self, features: np.ndarray) -> np.ndarray:
        return self.session.run(np.asarray(features, dtype=np.float32))[0]

    def probabilities(self, points: np.ndarray) -> np.ndarray:
        """(T, 12, 2) -> (T, C) per frame for held poses, (1, C) for a movement."""
        embedding = self.embed(self.inputs(points))
        logits = embedding @ self.bank.prototypes.T / self.bank.temperature
        logits -= logits.max(1, keepdims=True)
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum(1, keepdims=True)
        half = len(probabilities) // 2
        return (probabilities[:half] + probabilities[half:]) / 2

    def add_class(self, label: str, recordings: list[np.ndarray]) -> None:
        """Append (or replace) a class whose prototype is the mean embedding of its examples."""
        if (
            not label
            or len(label) > MAX_LABEL_LENGTH
            or not label.replace("_", "").replace("-", "").isalnum()
        ):
            raise InputError(
                f"a class name is 1 to {MAX_LABEL_LENGTH} letters, digits, '-' or '_': {label!r}"
            )
        embeddings = np.concatenate([self.embed(self.inputs(points)) for points in recordings])
        prototype = embeddings.mean(0)
        prototype /= np.linalg.norm(prototype) + 1e-9
        bank = self.bank
        if label in bank.labels:
            bank.prototypes[bank.labels.index(label)] = prototype
        else:
            bank.labels.append(label)
            bank.prototypes = np.vstack([bank.prototypes, prototype[None]])
        if bank.kind == "held":
            bank.references[label] = reference_angles(recordings)
