"""Held poses (yoga): the class with its confidence, "Take your pose" below the threshold, an accuracy %
against the class's reference pose, one guidance line at a time, a hold timer and the side held."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from swingcoach.posture.classifier import PostureClassifier
from swingcoach.posture.features import ANGLE_MIRROR, ANGLE_NAMES, joint_angles

TAKE_YOUR_POSE = "Take your pose"
# A joint this far (degrees) from the reference scores 0 in the accuracy; deviations under the
# tolerance are not worth a guidance line.
ZERO_ACCURACY_DEG = 60.0
GUIDANCE_TOLERANCE_DEG = 15.0
SMOOTHING = 0.3  # weight of the newest frame in the on-screen probabilities
HOLD_GRACE_S = 0.5  # a shorter dip below the threshold does not restart the hold timer


@dataclass(frozen=True)
class HeldPoseReading:
    label: str | None  # None below the threshold
    confidence: float
    probabilities: dict[str, float]
    accuracy: float | None  # % against the reference pose of `label`
    side: str | None  # "left" / "right": the side whose leg and arm are the more bent
    guidance: str | None
    hold_s: float

    @property
    def caption(self) -> str:
        if self.label is None:
            return TAKE_YOUR_POSE
        return f"{self.label} {self.accuracy:.0f}%"


def side_of(angles: np.ndarray) -> str:
    return "left" if angles[0::2].sum() < angles[1::2].sum() else "right"


def compare_to_reference(angles: np.ndarray, reference: dict[str, float]) -> tuple[float, str | None, str]:
    """(8,) joint angles (deg) -> accuracy %, one guidance line (the largest deviation) or None, side.

    The reference is stored for the side held most often; a pose held on the other side is compared
    with its mirror image, and the guidance names the person's own joint."""
    side = side_of(angles)
    target = np.array([reference[name] for name in ANGLE_NAMES])
    if side == "right":
        target = target[ANGLE_MIRROR]
    deviation = angles - target
    seen = np.isfinite(deviation)
    if not seen.any():
        return 0.0, None, side
    accuracy = 100 * float(np.clip(1 - np.abs(deviation[seen]) / ZERO_ACCURACY_DEG, 0, 1).mean())
    worst = int(np.nanargmax(np.abs(np.where(seen, deviation, 0))))
    if abs(deviation[worst]) < GUIDANCE_TOLERANCE_DEG:
        return accuracy, None, side
    joint = ANGLE_NAMES[worst]
    verb = (
        ("straighten" if joint.endswith(("elbow", "knee")) else "open")
        if deviation[worst] < 0
        else ("bend" if joint.endswith(("elbow", "knee")) else "close")
    )
    return accuracy, f"{joint} {angles[worst]:.0f}° → {verb} to {target[worst]:.0f}°", side


class HeldPoseCoach:
    """Frame by frame: smoothed probabilities, the label above the threshold, accuracy, guidance and
    how long the pose has been held."""

    def __init__(self, classifier: PostureClassifier, threshold: float | None = None) -> None:
        if classifier.bank.kind != "held":
            raise ValueError("a held-pose coach needs a held-pose model (yoga)")
        self.classifier = classifier
        self.threshold = classifier.bank.threshold if threshold is None else threshold
        self.reset()

    def reset(self) -> None:
        self._smoothed: np.ndarray | None = None
        self._held_label: str | None = None
        self._hold_start = self._last_seen = 0.0

    def update(self, points: np.ndarray, time_s: float) -> HeldPoseReading:
        """`points` (12, 2): one frame's image-space body joints (NaN where unseen)."""
        bank = self.classifier.bank
        probabilities = self.classifier.probabilities(points[None])[0]
        self._smoothed = (
            probabilities
            if self._smoothed is None
            else (SMOOTHING * probabilities + (1 - SMOOTHING) * self._smoothed)
        )
        best = int(self._smoothed.argmax())
        confidence = float(self._smoothed[best])
        label = bank.labels[best] if confidence >= self.threshold else None
        accuracy = guidance = side = None
        if label is not None:
            reference = bank.references.get(label)
            if reference:
                accuracy, guidance, side = compare_to_reference(joint_angles(points), reference)
            if label != self._held_label or time_s - self._last_seen > HOLD_GRACE_S:
                self._held_label, self._hold_start = label, time_s
            self._last_seen = time_s
        held = label is not None and label == self._held_label
        return HeldPoseReading(
            label=label,
            confidence=confidence,
            probabilities={
                name: round(float(p), 4) for name, p in zip(bank.labels, self._smoothed, strict=True)
            },
            accuracy=accuracy,
            side=side,
            guidance=guidance,
            hold_s=time_s - self._hold_start if held else 0.0,
        )


def majority_label(classifier: PostureClassifier, points: np.ndarray) -> tuple[str, float]:
    """A recording's class: the most frequent per-frame class (ties to the higher mean probability),
    with its mean probability over the recording."""
    probabilities = classifier.probabilities(points)
    votes = np.bincount(probabilities.argmax(1), minlength=len(classifier.bank.labels)).astype(float)
    votes += 1e-3 * probabilities.mean(0)
    best = int(votes.argmax())
    return classifier.bank.labels[best], float(probabilities[:, best].mean())
