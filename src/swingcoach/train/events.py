"""Training the learned event detector on GolfDB landmark files (torch, from the `train` extra).

All variants share the data, the features (`swing.events.model.swing_features`), the
augmentation, the targets and the decoding; they differ in the network and the loss:
- "ce": window encoder + MLP head, trained end to end with cross-entropy only;
- "triplet": the encoder trained alone with a batch-hard triplet loss, then the head on the frozen
  embedding (the metric-learning recipe);
- "supcon": the same with a supervised contrastive loss (the shipped model);
- "gru": a small bidirectional GRU over the whole grid, cross-entropy (a temporal reference).
Targets per grid step: a soft event class (a Gaussian of half a PCE tolerance around each event)
and the fine phase (between which events the step lies); the loss is the sum of both
cross-entropies.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from swingcoach.swing.events.model import NUM_EVENT_CLASSES, NUM_FEATURES, NUM_OUTPUTS, swing_features
from swingcoach.train.events_data import (
    Augmentation,
    Clip,
    augment,
    clock_labels,
    event_targets,
    phase_labels,
    tolerance,
)

VARIANTS = ("ce", "triplet", "supcon", "gru")
# Grid steps either side that a step's embedding sees: dense near the step, sparse further out.
# 48 steps are 1.5 tempo units, enough to see the takeaway from address and the whole finish.
WINDOW = (0, 1, 2, 3, 5, 8, 12, 17, 24, 34, 48)
METRIC_VARIANTS = ("triplet", "supcon")


@dataclass(frozen=True)
class TrainConfig:
    variant: str = "supcon"
    steps: int = 1500  # optimiser steps of the classifier (the whole network, or the head)
    pretrain_steps: int = 1500  # encoder steps of the metric-learning variants
    batch: int = 8  # clips per step, each with all its grid steps
    lr: float = 3e-3
    weight_decay: float = 1e-4
    projection: int = 12  # per-step features before the window
    hidden: int = 64
    embedding: int = 64
    head_hidden: int = 64
    sigma: float = 0.5  # width of the event targets, in PCE tolerances
    temperature: float = 0.2  # SupCon
    margin: float = 0.2  # triplet
    pairs: int = 512  # embeddings per contrastive / triplet batch
    gru_crop: int = 160  # grid steps per training sequence of the GRU (it is slow on long ones)
    seed: int = 0
    augmentation: Augmentation = field(default_factory=Augmentation)

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown variant {self.variant!r}; choose from {', '.join(VARIANTS)}")

    def scaled(self, factor: float) -> TrainConfig:
        """The same recipe with `factor` times the optimiser steps (a quick benchmark)."""
        return replace(
            self,
            steps=max(1, round(self.steps * factor)),
            pretrain_steps=max(1, round(self.pretrain_steps * factor)),
        )


class WindowEncoder(nn.Module):
    """Embedding of each grid step from a window around it: a per-step linear projection, then
    an MLP over the projected steps at the WINDOW offsets either side (edges repeat the end)."""

    def __init__(self, config: TrainConfig) -> None:
        super().__init__()
        self.offsets = [-o for o in reversed(WINDOW[1:])] + list(WINDOW)
        self.project = nn.Linear(NUM_FEATURES, config.projection)
        self.mlp = nn.Sequential(
            nn.Linear(len(self.offsets) * config.projection, config.hidden),
            nn.ReLU(),
            nn.Linear(config.hidden, config.embedding),
        )
        self.normalized = config.variant in METRIC_VARIANTS

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        steps, reach = x.shape[1], WINDOW[-1]
        projected = F.pad(self.project(x).transpose(1, 2), (reach, reach), mode="replicate").transpose(1, 2)
        window = torch.cat([projected[:, reach + o : reach + o + steps] for o in self.offsets], dim=2)
        embedding = self.mlp(window)
        return F.normalize(embedding, dim=-1) if self.normalized else embedding


class WindowModel(nn.Module):
    """Window encoder, then a two-layer MLP head: (1, steps, features) -> (1, steps, outputs)."""

    def __init__(self, config: TrainConfig) -> None:
        super().__init__()
        self.encoder = WindowEncoder(config)
        self.head = nn.Sequential(
            nn.Linear(config.embedding, config.head_hidden),
            nn.ReLU(),
            nn.Linear(config.head_hidden, NUM_OUTPUTS),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))


class GRUModel(nn.Module):
    def __init__(self, config: TrainConfig) -> None:
        super().__init__()
        self.project = nn.Linear(NUM_FEATURES, config.hidden)
        self.gru = nn.GRU(config.hidden, config.embedding, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * config.embedding, NUM_OUTPUTS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.gru(torch.relu(self.project(x)))[0])


def build_model(config: TrainConfig) -> nn.Module:
    return GRUModel(config) if config.variant == "gru" else WindowModel(config)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@dataclass
class Batch:
    x: torch.Tensor  # (B, S, features)
    events: torch.Tensor  # (B, S, 9) soft event targets
    phases: torch.Tensor  # (B, S) fine phase
    clock: torch.Tensor  # (B, S) contrastive class
    mask: torch.Tensor  # (B, S) real (not padding) steps


def make_batch(clips: list[Clip], rng: np.random.Generator, config: TrainConfig) -> Batch:
    items = []
    for clip in clips:
        points, events, tempo = augment(clip, rng, config.augmentation)
        features, times = swing_features(points, tempo)
        if config.variant == "gru" and len(features) > config.gru_crop:
            start = int(rng.integers(0, len(features) - config.gru_crop + 1))
            features, times = (
                features[start : start + config.gru_crop],
                times[start : start + config.gru_crop],
            )
        items.append(
            (
                features,
                event_targets(times, events, config.sigma * tolerance(events)),
                phase_labels(times, events),
                clock_labels(times, events, tempo),
            )
        )
    steps = max(len(item[0]) for item in items)
    x = np.zeros((len(items), steps, NUM_FEATURES), np.float32)
    targets = np.zeros((len(items), steps, NUM_EVENT_CLASSES), np.float32)
    phases = np.zeros((len(items), steps), np.int64)
    clock = np.zeros((len(items), steps), np.int64)
    mask = np.zeros((len(items), steps), bool)
    for i, (f, t, p, c) in enumerate(items):
        # Padding repeats the last step, as the window encoder's edge padding does at run time.
        x[i, : len(f)], x[i, len(f) :] = f, f[-1]
        targets[i, : len(f)], phases[i, : len(f)], clock[i, : len(f)], mask[i, : len(f)] = t, p, c, True
    return Batch(*(torch.from_numpy(a) for a in (x, targets, phases, clock, mask)))


def event_phase_loss(logits: torch.Tensor, batch: Batch) -> torch.Tensor:
    """Soft cross-entropy of the event outputs plus cross-entropy of the phase outputs."""
    events, phases = logits[..., :NUM_EVENT_CLASSES], logits[..., NUM_EVENT_CLASSES:]
    event_loss = -(batch.events * F.log_softmax(events, dim=-1)).sum(-1)
    phase_loss = F.cross_entropy(phases.transpose(1, 2), batch.phases, reduction="none")
    return (event_loss + phase_loss)[batch.mask].mean()


def supcon_loss(z: torch.Tensor, labels: torch.Tensor, temperature: float) -> torch.Tensor:
    """Supervised contrastive loss (Khosla et al. 2020, L_out) of L2-normalised embeddings."""
    self_pair = torch.eye(len(z), dtype=torch.bool)
    similarity = (z @ z.T / temperature).masked_fill(self_pair, -1e9)
    log_prob = similarity - torch.logsumexp(similarity, dim=1, keepdim=True)
    positives = (labels[:, None] == labels[None, :]) & ~self_pair
    counts = positives.sum(1)
    has_positive = counts > 0
    return -((log_prob * positives).sum(1)[has_positive] / counts[has_positive]).mean()


def triplet_loss(
    z: torch.Tensor, labels: torch.Tensor, margin: float, generator: torch.Generator
) -> torch.Tensor:
    """Triplet loss with one random positive and one random negative per anchor (batch-hard
    mining collapses the embedding to a point here)."""
    # Distances of unit vectors, kept off zero where the square root has no gradient.
    distance = (2 - 2 * z @ z.T).clamp_min(1e-9).sqrt()
    same = labels[:, None] == labels[None, :]
    positive = same & ~torch.eye(len(z), dtype=torch.bool)
    usable = positive.any(1) & (~same).any(1)
    anchors = usable.nonzero()[:, 0]
    positives = torch.multinomial(positive[usable].float(), 1, generator=generator)[:, 0]
    negatives = torch.multinomial((~same[usable]).float(), 1, generator=generator)[:, 0]
    return F.relu(distance[anchors, positives] - distance[anchors, negatives] + margin).mean()


def train_model(clips: list[Clip], config: TrainConfig, log: Callable[[str], None] = print) -> nn.Module:
    """Train one variant on `clips` (seeded, deterministic on one thread); returns it in eval mode."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    model = build_model(config)
    started = time.monotonic()

    def optimise(
        parameters: list[nn.Parameter], steps: int, loss_of: Callable[[Batch], torch.Tensor], stage: str
    ) -> None:
        optimizer = torch.optim.AdamW(parameters, lr=config.lr, weight_decay=config.weight_decay)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, config.lr, total_steps=steps)
        for step in range(steps):
            picked = [clips[i] for i in rng.integers(0, len(clips), config.batch)]
            loss = loss_of(make_batch(picked, rng, config))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            if (step + 1) % 250 == 0 or step + 1 == steps:
                elapsed = time.monotonic() - started
                log(f"{stage} step {step + 1}/{steps}: loss {loss.item():.4f} ({elapsed:.0f} s)")

    model.train()
    if isinstance(model, WindowModel) and config.variant in METRIC_VARIANTS:
        encoder = model.encoder

        def metric_loss(batch: Batch) -> torch.Tensor:
            z, labels = encoder(batch.x)[batch.mask], batch.clock[batch.mask]
            pick = torch.randperm(len(z), generator=generator)[: config.pairs]
            if config.variant == "supcon":
                return supcon_loss(z[pick], labels[pick], config.temperature)
            return triplet_loss(z[pick], labels[pick], config.margin, generator)

        optimise(list(encoder.parameters()), config.pretrain_steps, metric_loss, config.variant)
        encoder.requires_grad_(False)
        optimise(
            list(model.head.parameters()), config.steps, lambda b: event_phase_loss(model(b.x), b), "head"
        )
    else:
        optimise(
            list(model.parameters()), config.steps, lambda b: event_phase_loss(model(b.x), b), config.variant
        )
    return model.eval()


def calibration_inputs(clips: list[Clip]) -> list[np.ndarray]:
    """Model inputs of real swings (no augmentation), for static INT8 calibration."""
    return [swing_features(clip.points, clip.tempo)[0][None] for clip in clips]


def export_event_model(model: nn.Module, clips: list[Clip], stem: Path, quantize: bool = True) -> list[Path]:
    """`stem`.onnx (fp32) and, with `quantize`, `stem`_int8.onnx calibrated on `clips`."""
    from swingcoach.export.onnx import export_onnx, quantize_int8

    fp32 = export_onnx(
        model,
        torch.zeros(1, 64, NUM_FEATURES),
        stem.with_suffix(".onnx"),
        input_name="features",
        output_names=("logits",),
        dynamic_axes={"features": {1: "steps"}, "logits": {1: "steps"}},
    )
    if not quantize:
        return [fp32]
    int8 = quantize_int8(fp32, stem.with_name(f"{stem.name}_int8.onnx"), calibration_inputs(clips))
    return [fp32, int8]
