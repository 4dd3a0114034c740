"""Form errors as measurements with learnt limits: plank hips (too high / too low), lunge front knee
over the toes, biceps curl leaning back, squat depth. Each measure works on COCO-17 keypoints of any
backend; the limits are fitted on labelled rows (`train posture`, data: Exercise-Correction, MIT) and
stored in `models/form.json`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from swingcoach.pose.skeleton import K

FORM_LIMITS = Path(__file__).parent / "models" / "form.json"


def _mid(keypoints: np.ndarray, a: int, b: int) -> np.ndarray:
    return np.nanmean(keypoints[..., [a, b], :2], axis=-2)


def _facing(keypoints: np.ndarray) -> np.ndarray:
    """+1 when the person faces the image's right (nose right of the hips), else -1."""
    return np.where(keypoints[..., K.NOSE, 0] >= _mid(keypoints, K.L_HIP, K.R_HIP)[..., 0], 1.0, -1.0)


def plank_hips(keypoints: np.ndarray) -> np.ndarray:
    """Hips above (+) or below (-) the shoulder-ankle line, in shoulder-ankle lengths."""
    shoulders = _mid(keypoints, K.L_SHOULDER, K.R_SHOULDER)
    hips = _mid(keypoints, K.L_HIP, K.R_HIP)
    ankles = _mid(keypoints, K.L_ANKLE, K.R_ANKLE)
    line = ankles - shoulders
    length = np.linalg.norm(line, axis=-1) + 1e-9
    cross = line[..., 0] * (hips - shoulders)[..., 1] - line[..., 1] * (hips - shoulders)[..., 0]
    # Image y points down, so "above" is toward -y; the sign of the cross product flips with the
    # side the ankles are on.
    return -cross / length**2 * np.sign(line[..., 0] + 1e-9)


def lunge_knee_over_toe(keypoints: np.ndarray) -> np.ndarray:
    """How far the front knee is ahead of its ankle, in shin lengths (+ = over the toes). The front
    leg is the one whose shin stands more upright (the back shin points back toward the floor)."""
    ahead, upright = [], []
    for knee, ankle in ((K.L_KNEE, K.L_ANKLE), (K.R_KNEE, K.R_ANKLE)):
        shin = keypoints[..., knee, :2] - keypoints[..., ankle, :2]
        length = np.linalg.norm(shin, axis=-1) + 1e-9
        ahead.append(shin[..., 0] * _facing(keypoints) / length)
        upright.append(np.abs(shin[..., 1]) / length)
    return np.where(upright[0] >= upright[1], ahead[0], ahead[1])


def curl_lean(keypoints: np.ndarray) -> np.ndarray:
    """The torso's lean from vertical in degrees, either way (swinging the weight up with the back)."""
    up = _mid(keypoints, K.L_SHOULDER, K.R_SHOULDER) - _mid(keypoints, K.L_HIP, K.R_HIP)
    return np.abs(np.degrees(np.arctan2(up[..., 0], -up[..., 1])))


def squat_depth(keypoints: np.ndarray) -> np.ndarray:
    """Hips below (+) or above (-) the knees, in thigh lengths (parallel = 0)."""
    hips, knees = _mid(keypoints, K.L_HIP, K.R_HIP), _mid(keypoints, K.L_KNEE, K.R_KNEE)
    thigh = np.linalg.norm(hips - knees, axis=-1) + 1e-9
    return (hips[..., 1] - knees[..., 1]) / thigh


MEASURES = {
    "plank_hips": plank_hips,
    "lunge_knee_over_toe": lunge_knee_over_toe,
    "curl_lean": curl_lean,
    "squat_depth": squat_depth,
}


@dataclass(frozen=True)
class FormRule:
    """An error when `measure` is above `above` (or below `below`)."""

    exercise: str
    error: str
    measure: str
    message: str
    above: float | None = None
    below: float | None = None

    def flags(self, keypoints: np.ndarray) -> np.ndarray:
        value = MEASURES[self.measure](keypoints)
        hit = np.zeros(np.shape(value), dtype=bool)
        if self.above is not None:
            hit |= value > self.above
        if self.below is not None:
            hit |= value < self.below
        return hit


def f1_score(truth: np.ndarray, flagged: np.ndarray) -> float:
    """F1 of flagging the rows where `truth` is an error."""
    tp = float(np.sum(truth & flagged))
    return 2 * tp / max(1.0, float(np.sum(truth)) + float(np.sum(flagged)))


def load_rules(path: Path = FORM_LIMITS) -> list[FormRule]:
    return [FormRule(**rule) for rule in json.loads(path.read_text())["rules"]]


def form_errors(exercise: str, keypoints: np.ndarray, rules: list[FormRule] | None = None) -> list[str]:
    """The messages of the rules of `exercise` that one frame's (17, 3) keypoints break."""
    return [r.message for r in rules or load_rules() if r.exercise == exercise and bool(r.flags(keypoints))]
