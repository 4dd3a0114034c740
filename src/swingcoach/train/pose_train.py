"""Train the student pose model by knowledge distillation from BlazePose (Fast Pose Distillation style).

Loss per joint, on integral-regression (soft-argmax) outputs:
    alpha * teacher term + (1 - alpha) * annotation term + beta * visibility term
where each position term is an L1 distance on [-1, 1] crop coordinates plus the DSNT regulariser
(Jensen-Shannon divergence between the heatmap's softmax and a Gaussian at the target), so the
heatmap stays one sharp peak. The teacher term uses BlazePose's keypoints on every image it did not
fail on (and is the only term for the face keypoints and the golf frames); the annotation term uses
LSPET's joints; the visibility term is binary cross-entropy against the teacher's visibility.

Training is bounded and resumable: a run stops after `max_minutes` with a checkpoint, and the
same command continues it. Early epochs run at lower resolutions (progressive resizing: the
network is fully convolutional), which is most of what makes training affordable on a CPU.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel

from swingcoach.bench.pose import load_lspet, pck_hits
from swingcoach.train.pose_data import (
    Example,
    Sample,
    golf_samples,
    label_all,
    lspet_samples,
    make_example,
    reconcile,
)
from swingcoach.train.pose_model import StudentConfig, StudentPoseNet, count_parameters

log = logging.getLogger(__name__)

VALIDATION_SEED = 11
SIGMA_CELLS = 1.0  # of the Gaussian the heatmaps are regularised towards, in heatmap cells
EMA_DECAY = 0.999


def ema_update(average: torch.Tensor, current: torch.Tensor, updates: torch.Tensor) -> torch.Tensor:
    """Exponential moving average of the weights whose decay ramps up from 0.1 (as in timm and
    YOLO): a fixed 0.999 would still hold half of the random initialisation after 700 steps."""
    decay = min(EMA_DECAY, (1 + float(updates)) / (10 + float(updates)))
    return decay * average + (1 - decay) * current


@dataclass(frozen=True)
class TrainConfig:
    width: float = 0.5
    activation: str = "relu"
    # (crop size, epochs) in order; the last size is the model's input size.
    stages: tuple[tuple[int, int], ...] = ((96, 24), (128, 8), (192, 6))
    batch_size: int = 32
    lr: float = 3e-3
    weight_decay: float = 1e-4
    teacher_weight: float = 0.5  # alpha
    visibility_weight: float = 0.2  # beta
    validation_images: int = 400  # LSPET training images kept out of training to pick the epoch
    golf_repeats: int = 2  # golf frames are few: each appears this many times an epoch
    seed: int = 0
    init: str | None = None  # start from this checkpoint's weights (a further cycle), not at random

    @property
    def input_size(self) -> int:
        return self.stages[-1][0]

    @property
    def epochs(self) -> int:
        return sum(epochs for _, epochs in self.stages)

    def student(self) -> StudentConfig:
        return StudentConfig(self.width, self.input_size, self.activation)

    def size_at(self, epoch: int) -> int:
        ends = np.cumsum([epochs for _, epochs in self.stages])
        return self.stages[int(np.searchsorted(ends, epoch, side="right"))][0]


def soft_argmax(logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, J, h, w) logits -> softmax (B, J, h, w) and expected u, v (B, J, 2) in [0, 1]."""
    b, j, h, w = logits.shape
    prob = torch.softmax(logits.float().reshape(b, j, h * w), dim=-1).reshape(b, j, h, w)
    xs = (torch.arange(w, dtype=prob.dtype) + 0.5) / w
    ys = (torch.arange(h, dtype=prob.dtype) + 0.5) / h
    uv = torch.stack([(prob.sum(2) * xs).sum(-1), (prob.sum(3) * ys).sum(-1)], dim=-1)
    return prob, uv


def gaussian_maps(uv: torch.Tensor, h: int, w: int, sigma: float = SIGMA_CELLS) -> torch.Tensor:
    """Normalised Gaussians (B, J, h, w) centred on crop-relative u, v (B, J, 2)."""
    xs = torch.arange(w, dtype=uv.dtype) + 0.5
    ys = torch.arange(h, dtype=uv.dtype) + 0.5
    gx = torch.exp(-((xs - uv[..., :1] * w) ** 2) / (2 * sigma**2))
    gy = torch.exp(-((ys - uv[..., 1:] * h) ** 2) / (2 * sigma**2))
    maps = gy[..., :, None] * gx[..., None, :]
    return maps / maps.sum(dim=(-2, -1), keepdim=True).clamp_min(1e-12)


def _kl(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    return (p * (torch.log(p.clamp_min(1e-12)) - torch.log(q.clamp_min(1e-12)))).sum(dim=(-2, -1))


def js_divergence(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    m = 0.5 * (p + q)
    return 0.5 * (_kl(p, m) + _kl(q, m))


def position_loss(
    prob: torch.Tensor, uv: torch.Tensor, target: torch.Tensor, weight: torch.Tensor
) -> torch.Tensor:
    per_joint = 2 * (uv - target).abs().sum(-1)
    per_joint = per_joint + js_divergence(prob, gaussian_maps(target, *prob.shape[-2:]))
    return (per_joint * weight).sum() / weight.sum().clamp_min(1.0)


def batch_tensors(examples: list[Example]) -> dict[str, torch.Tensor]:
    fields = ("teacher_uv", "teacher_weight", "truth_uv", "truth_weight", "visibility", "visibility_weight")
    batch = {name: torch.from_numpy(np.stack([getattr(e, name) for e in examples])) for name in fields}
    batch["image"] = torch.from_numpy(np.stack([e.image for e in examples])).float() / 255.0
    return batch


def distillation_loss(
    model: torch.nn.Module, batch: dict[str, torch.Tensor], config: TrainConfig
) -> tuple[torch.Tensor, dict[str, float]]:
    logits, visibility = model(batch["image"])
    prob, uv = soft_argmax(logits)
    teacher = position_loss(prob, uv, batch["teacher_uv"], batch["teacher_weight"])
    truth = position_loss(prob, uv, batch["truth_uv"], batch["truth_weight"])
    seen = F.binary_cross_entropy_with_logits(visibility, batch["visibility"], reduction="none")
    seen = (seen * batch["visibility_weight"]).sum() / batch["visibility_weight"].sum().clamp_min(1.0)
    alpha = config.teacher_weight
    loss = alpha * teacher + (1 - alpha) * truth + config.visibility_weight * seen
    parts = {"teacher": teacher.item(), "truth": truth.item(), "visibility": seen.item()}
    return loss, parts


def split_lspet(samples: list[Sample], count: int) -> tuple[list[Sample], list[Sample]]:
    """(training, validation): a seeded subset of the LSPET training images picks the best epoch."""
    order = np.random.default_rng(VALIDATION_SEED).permutation(len(samples))
    held = set(order[:count].tolist())
    return [s for i, s in enumerate(samples) if i not in held], [samples[i] for i in sorted(held)]


@torch.no_grad()
def validate(model: torch.nn.Module, samples: list[Sample], truth: np.ndarray, size: int) -> float:
    """PCK@0.2 on held-out LSPET images, each cropped with the tracker's ROI from the teacher run."""
    model.eval()
    predicted = np.full((len(samples), 17, 2), np.nan, dtype=np.float32)
    for start in range(0, len(samples), 64):
        chunk = [(i, make_example(s, size, None)) for i, s in enumerate(samples[start : start + 64], start)]
        chunk = [(i, e) for i, e in chunk if e is not None]
        if not chunk:
            continue
        logits, _ = model(torch.from_numpy(np.stack([e.image for _, e in chunk])).float() / 255.0)
        _, uv = soft_argmax(logits)
        for (i, example), point in zip(chunk, uv.numpy(), strict=True):
            predicted[i] = example.roi.to_image(point)
    return float(pck_hits(predicted, truth).mean())


def _checkpoint(path: Path, **state: object) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def train(data_dir: Path, cache: Path, out_dir: Path, config: TrainConfig, max_minutes: float) -> Path:
    """Train (or resume) until `config.epochs` are done or `max_minutes` pass; returns best.pt."""
    torch.manual_seed(config.seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    last, best = out_dir / "last.pt", out_dir / "best.pt"
    state = torch.load(last, weights_only=False) if last.is_file() else None
    if state is not None:
        config = load_config(state["config"])
        log.info("resuming %s at epoch %d batch %d", last, state["epoch"], state["batch"])
    label_all(data_dir, cache)
    lspet = load_lspet(data_dir)
    every = lspet_samples(lspet, cache / "lspet_teacher.npz")
    training_lspet, validation = split_lspet(every, config.validation_images)
    validation_truth = lspet.joints[[int(s.image_path.stem[2:]) - 1 for s in validation]]
    training = [reconcile(s) for s in training_lspet] + golf_samples(cache) * config.golf_repeats
    steps_per_epoch = len(training) // config.batch_size

    model = StudentPoseNet(config.student())
    if state is None and config.init:
        model.load_state_dict(torch.load(config.init, weights_only=False)["weights"])
        log.info("starting from the weights of %s", config.init)
    ema = AveragedModel(model, avg_fn=ema_update, use_buffers=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, config.lr, total_steps=config.epochs * steps_per_epoch, pct_start=0.05
    )
    epoch, first_batch, history = 0, 0, []
    if state is not None:
        model.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        epoch, first_batch, history = state["epoch"], state["batch"], state["history"]
    log.info("%d parameters, %d training crops an epoch", count_parameters(model), len(training))

    def save_progress(next_epoch: int, next_batch: int) -> None:
        _checkpoint(
            last,
            model=model.state_dict(),
            ema=ema.state_dict(),
            optimizer=optimizer.state_dict(),
            schedule=schedule.state_dict(),
            epoch=next_epoch,
            batch=next_batch,
            history=history,
            config=asdict(config),
        )

    deadline = time.monotonic() + 60 * max_minutes
    while epoch < config.epochs:
        size = config.size_at(epoch)
        rng = np.random.default_rng([config.seed, epoch])
        order = rng.permutation(len(training))
        model.train()
        started, losses = time.monotonic(), []
        for batch_index in range(first_batch, steps_per_epoch):
            picked = order[batch_index * config.batch_size : (batch_index + 1) * config.batch_size]
            sample_rng = np.random.default_rng([config.seed, epoch, batch_index])
            examples = [e for e in (make_example(training[i], size, sample_rng) for i in picked) if e]
            loss, parts = distillation_loss(model, batch_tensors(examples), config)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            ema.update_parameters(model)
            losses.append(loss.item())
            if batch_index % 20 == 0:
                rate = (batch_index + 1 - first_batch) * config.batch_size / (time.monotonic() - started)
                terms = {k: round(v, 4) for k, v in parts.items()}
                log.info(
                    "epoch %d batch %d/%d loss %.4f %s %.1f img/s",
                    epoch,
                    batch_index,
                    steps_per_epoch,
                    loss,
                    terms,
                    rate,
                )
            if time.monotonic() > deadline:
                save_progress(epoch, batch_index + 1)
                log.info("time is up at epoch %d batch %d; run again to continue", epoch, batch_index + 1)
                return best
        # The averaged and the current weights both compete for best.pt.
        candidates = {"ema": ema.module, "raw": model}
        scores = {name: validate(net, validation, validation_truth, size) for name, net in candidates.items()}
        source = max(scores, key=scores.__getitem__)
        pck = scores[source]
        record = {"epoch": epoch, "size": size, "loss": float(np.mean(losses)), "val_pck02": pck}
        history.append(record | {"weights": source, "val_pck02_ema": scores["ema"]})
        log.info("epoch %d: loss %.4f, validation PCK@0.2 %s at %d px", epoch, np.mean(losses), scores, size)
        epoch, first_batch = epoch + 1, 0
        final_size = size == config.input_size
        if final_size and pck >= max((h["val_pck02"] for h in history if h["size"] == size), default=0):
            weights = candidates[source].state_dict()
            _checkpoint(best, weights=weights, config=asdict(config), epoch=epoch - 1, val_pck02=pck)
        save_progress(epoch, 0)
        (out_dir / "history.json").write_text(json.dumps(history, indent=1))
    return best


def load_config(saved: dict) -> TrainConfig:
    """A TrainConfig from its checkpoint record (JSON-like: the stages come back as lists)."""
    return TrainConfig(**saved | {"stages": tuple(tuple(stage) for stage in saved["stages"])})


def load_student(checkpoint: Path) -> tuple[StudentPoseNet, dict]:
    """The trained network (best.pt: the better of the averaged and current weights) in eval mode,
    and its checkpoint record."""
    state = torch.load(checkpoint, weights_only=False)
    model = StudentPoseNet(load_config(state["config"]).student())
    model.load_state_dict(state["weights"])
    return model.eval(), state
