"""Training of the posture classifiers: an embedding MLP with a cosine head whose rows are the class
prototypes, so the runtime (`posture.classifier`) classifies by similarity to a bank of prototypes
and a new class needs only the mean embedding of its examples."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from swingcoach.posture.classifier import ClassBank, reference_angles
from swingcoach.posture.features import (
    NUM_FEATURES,
    describe_movement,
    frame_features,
    mirror_points,
    movement_features,
)
from swingcoach.train.posture_data import FormRows, Sequence

Kind = str  # "held" (one frame) or "movement" (a whole sequence)


@dataclass(frozen=True)
class PostureTrainConfig:
    steps: int = 2000
    batch: int = 256
    hidden: int = 128
    embedding: int = 64
    lr: float = 3e-3
    scale: float = 16.0  # cosine-logit scale while training
    seed: int = 0


class EmbeddingNet(nn.Module):
    """features -> L2-normalised embedding."""

    def __init__(self, inputs: int, config: PostureTrainConfig) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(inputs, config.hidden),
            nn.GELU(),
            nn.Dropout(0.1),
            nn.Linear(config.hidden, config.hidden),
            nn.GELU(),
            nn.Linear(config.hidden, config.embedding),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(self.net(x), dim=-1)


class CosineClassifier(nn.Module):
    def __init__(self, inputs: int, classes: int, config: PostureTrainConfig) -> None:
        super().__init__()
        self.embed = EmbeddingNet(inputs, config)
        self.prototypes = nn.Parameter(torch.randn(classes, config.embedding))
        self.scale = config.scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * self.embed(x) @ nn.functional.normalize(self.prototypes, dim=-1).T


def augment_points(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(N, T, 12, 2) image-space joints -> a random variant of each of the N: mirror, aspect (the frame
    size is unknown), camera roll, joint noise and a few joints lost."""
    n = len(points)
    flip = rng.random(n) < 0.5
    out = np.where(flip[:, None, None, None], mirror_points(points), points)
    out = out - np.nanmean(out, axis=(1, 2), keepdims=True)
    radius = np.sqrt(np.nanmean((out**2).sum(-1), axis=(1, 2)))[:, None, None, None]
    out[..., 0] *= np.exp(rng.uniform(-0.3, 0.3, n))[:, None, None]
    roll = np.radians(rng.normal(0, 8, n))
    cos, sin = np.cos(roll)[:, None, None], np.sin(roll)[:, None, None]
    x, y = out[..., 0], out[..., 1]
    out = np.stack([x * cos - y * sin, x * sin + y * cos], axis=-1)
    out = out + rng.normal(0, 0.03, out.shape) * radius
    out[rng.random(out.shape[:-1]) < 0.03] = np.nan
    return out.astype(np.float32)


def crop(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random stretch of at least 60 % of a sequence (a movement seen from part-way through)."""
    length = len(points)
    size = max(2, int(length * rng.uniform(0.6, 1.0)))
    start = int(rng.integers(0, length - size + 1))
    return points[start : start + size]


def batch_of(
    kind: Kind, data: list[Sequence], labels: np.ndarray, rng: np.random.Generator, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """A batch balanced over classes: one random frame of each example for held poses, a random
    stretch of each for movements."""
    classes = np.unique(labels)
    picked = np.array([rng.choice(np.flatnonzero(labels == c)) for c in rng.choice(classes, size)])
    if kind == "held":
        frames = np.stack([data[i].points[rng.integers(len(data[i].points))] for i in picked])
        return frame_features(augment_points(frames[:, None], rng)[:, 0]), labels[picked]
    # One feature pass over all the crops at once, then each crop's own summary.
    crops = [augment_points(crop(data[i].points, rng)[None], rng)[0] for i in picked]
    frames = np.split(frame_features(np.concatenate(crops)), np.cumsum([len(c) for c in crops])[:-1])
    return np.stack([describe_movement(f) for f in frames]), labels[picked]


def train_classifier(
    kind: Kind,
    data: list[Sequence],
    config: PostureTrainConfig = PostureTrainConfig(),
    log: Callable[[str], None] = print,
) -> tuple[EmbeddingNet, list[str], np.ndarray]:
    """-> the embedding net, the class names and their prototypes (C, E), unit length."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    names = sorted({s.label for s in data})
    labels = np.array([names.index(s.label) for s in data])
    inputs = NUM_FEATURES if kind == "held" else movement_features(data[0].points).shape[-1]
    model = CosineClassifier(inputs, len(names), config)
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=1e-3)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, config.lr, total_steps=config.steps)
    batch = config.batch if kind == "held" else config.batch // 4
    for step in range(config.steps):
        x, y = batch_of(kind, data, labels, rng, batch)
        loss = nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        if step % 500 == 0 or step == config.steps - 1:
            log(f"{kind} step {step}: loss {loss.item():.3f}")
    model.eval()
    prototypes = nn.functional.normalize(model.prototypes.detach(), dim=-1).numpy()
    return model.embed, names, prototypes


def embed(model: EmbeddingNet, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(np.asarray(x, dtype=np.float32))).numpy()


def build_bank(
    kind: Kind,
    model: EmbeddingNet,
    names: list[str],
    prototypes: np.ndarray,
    data: list[Sequence],
    temperature: float,
) -> ClassBank:
    references = {name: reference_angles([s.points for s in data if s.label == name]) for name in names}
    return ClassBank(
        kind=kind,
        labels=list(names),
        prototypes=prototypes,
        temperature=temperature,
        references=references if kind == "held" else {},
    )


def fit_temperature(similarities: np.ndarray, truth: np.ndarray) -> float:
    """The softmax temperature over cosine similarities that minimises the held-out log loss."""
    best, best_loss = 0.05, np.inf
    for temperature in np.geomspace(0.005, 0.5, 60):
        logits = similarities / temperature
        logits = logits - logits.max(1, keepdims=True)
        log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
        loss = -log_p[np.arange(len(truth)), truth].mean()
        if loss < best_loss:
            best, best_loss = float(temperature), loss
    return best


def export_classifier(model: EmbeddingNet, bank: ClassBank, stem: Path, inputs: int) -> list[Path]:
    """`stem`.onnx (the embedding, fp32; a few hundred kB) and `stem`.json (the class bank)."""
    from swingcoach.export.onnx import export_onnx

    onnx_path = export_onnx(
        model,
        torch.zeros(2, inputs),
        stem.with_suffix(".onnx"),
        input_name="features",
        output_names=("embedding",),
        dynamic_axes={"features": {0: "n"}, "embedding": {0: "n"}},
    )
    return [onnx_path, bank.save(stem.with_suffix(".json"))]


# Each labelled error: (exercise, data label, measure, direction, message).
FORM_ERRORS = (
    ("plank", "H", "plank_hips", "above", "hips too high: lower them into one line with shoulders and heels"),
    ("plank", "L", "plank_hips", "below", "hips sagging: lift them into one line with shoulders and heels"),
    (
        "lunge",
        "L",
        "lunge_knee_over_toe",
        "above",
        "front knee past the toes: step longer, knee over the ankle",
    ),
    ("bicep_curl", "L", "curl_lean", "above", "leaning back: keep the torso still and upright"),
)
FORM_BLOCK_ROWS = 50  # consecutive rows are one video's frames: folds are blocks of rows


def best_limit(values: np.ndarray, is_error: np.ndarray, direction: str) -> float:
    """The limit on `values` that maximises F1 of flagging the errors: the middle of the range of
    limits that all reach the best F1, for the widest margin on both sides."""
    from swingcoach.posture.form import f1_score

    candidates = np.unique(np.round(values[np.isfinite(values)], 4))
    scores = np.array(
        [f1_score(is_error, (values > c) if direction == "above" else (values < c)) for c in candidates]
    )
    best = np.flatnonzero(scores >= scores.max() - 1e-9)
    return float((candidates[best[0]] + candidates[best[-1]]) / 2)


def form_rules(rows: list[FormRows], mask: dict[str, np.ndarray] | None = None) -> list[dict[str, object]]:
    """Fit each error's limit on the labelled rows (only those in `mask`, if given)."""
    from swingcoach.posture.form import MEASURES

    by_exercise = {r.exercise: r for r in rows}
    rules = []
    for exercise, label, measure, direction, message in FORM_ERRORS:
        data = by_exercise[exercise]
        keep = np.ones(len(data.labels), bool) if mask is None else mask[exercise]
        # Only rows that are correct or show this error decide its limit.
        keep &= np.isin(data.labels, ["C", label])
        values = MEASURES[measure](data.keypoints)[keep]
        limit = best_limit(values, data.labels[keep] == label, direction)
        rule = {
            "exercise": exercise,
            "error": label,
            "measure": measure,
            "message": message,
            direction: round(limit, 4),
        }
        rules.append(rule)
    return rules


def holdout_temperature(kind: Kind, data: list[Sequence], config: PostureTrainConfig) -> float:
    """Train on 80 % of the groups, fit the softmax temperature on the rest (per frame for held poses)."""
    groups = sorted({s.group for s in data})
    held_out = set(np.random.default_rng(config.seed).permutation(groups)[: max(1, len(groups) // 5)])
    train = [s for s in data if s.group not in held_out]
    model, names, prototypes = train_classifier(kind, train, config, log=lambda _: None)
    similarities, truth = [], []
    for s in data:
        if s.group in held_out and s.label in names:
            x = frame_features(s.points) if kind == "held" else movement_features(s.points)[None]
            similarities.append(embed(model, x) @ prototypes.T)
            truth += [names.index(s.label)] * len(x)
    return fit_temperature(np.concatenate(similarities), np.array(truth))


def train_posture_model(
    kind: Kind,
    data: list[Sequence],
    stem: Path,
    config: PostureTrainConfig,
    log: Callable[[str], None] = print,
) -> list[Path]:
    temperature = holdout_temperature(kind, data, config)
    log(f"{stem.name}: temperature {temperature:.4f}")
    model, names, prototypes = train_classifier(kind, data, config, log)
    bank = build_bank(kind, model, names, prototypes, data, temperature)
    inputs = NUM_FEATURES if kind == "held" else movement_features(data[0].points).shape[-1]
    return export_classifier(model, bank, stem, inputs)
