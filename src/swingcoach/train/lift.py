"""Training of the 2D -> 3D lifter on Human3.6M (S1 S5 S6 S7 S8), with optional distillation.

The model is a temporal convolution network (VideoPose3D, Pavllo et al. 2019) in its strided form:
a window of `3 ** stages` frames goes in, the 3D pose of one frame comes out (the middle frame, or
the last one for the causal variant used in streaming). The input is 2D of the 12 joints COCO-17
and Human3.6M share, normalised as in `swingcoach.pose.lift`; the output is the 17 Human3.6M
joints in metres, camera frame, pelvis at 0.

Each training sample is a window of Stacked-Hourglass detections or of projected ground truth with
Gaussian noise (half and half), mirrored left/right half the time, sometimes read at half speed
(golf swings are faster than anything in Human3.6M) and rescaled a little. With a teacher the loss
is the mean of the error to the ground truth and the error to the teacher's 3D of the same frame;
the teacher's 3D is computed once for every training frame (from SH and from clean projected GT)
with the network's dilated form, which slides the same weights along a whole take.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from swingcoach.bench.lift import LiftScores, evaluate
from swingcoach.export.onnx import export_onnx, lifter_sequence_form, quantize_int8
from swingcoach.pose.lift import (
    INPUT_JOINTS,
    NUM_H36M,
    TRAIN_FPS,
    mirror_h36m,
    mirror_windows,
    normalize_input,
    window_indices,
)
from swingcoach.train.h36m import TEST_SUBJECTS, TRAIN_SUBJECTS, Take, load_takes

log = logging.getLogger(__name__)
NUM_INPUT = len(INPUT_JOINTS)
WIDTH = 3  # temporal filter width of every stage


@dataclass
class LifterConfig:
    channels: int = 256
    stages: int = 4
    dropout: float = 0.1
    causal: bool = False

    @property
    def receptive_field(self) -> int:
        return WIDTH**self.stages


@dataclass
class TrainConfig:
    steps: int = 10000
    batch: int = 256
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup: int = 200
    sh_share: float = 0.5  # share of samples from SH detections (the rest: noisy projected GT)
    max_noise: float = 0.1  # std of the 2D noise on projected GT, in input units (bone lengths)
    slow_share: float = 0.2  # share of windows read at half speed
    scale_jitter: float = 0.1
    teacher_weight: float = 0.5
    seed: int = 0


class _Block(nn.Module):
    def __init__(self, channels: int, dropout: float, causal: bool) -> None:
        super().__init__()
        self.temporal = nn.Conv1d(channels, channels, WIDTH, stride=WIDTH, bias=False)
        self.temporal_bn = nn.BatchNorm1d(channels)
        self.pointwise = nn.Conv1d(channels, channels, 1, bias=False)
        self.pointwise_bn = nn.BatchNorm1d(channels)
        self.drop = nn.Dropout(dropout)
        # The residual keeps the frame of each triple the output stands for: the middle one, or
        # the newest one in the causal model.
        self.keep = WIDTH - 1 if causal else WIDTH // 2

    def forward(self, x: torch.Tensor, dilation: int | None) -> torch.Tensor:
        if dilation is None:
            y, residual = self.temporal(x), x[:, :, self.keep :: WIDTH]
        else:
            y = nn.functional.conv1d(x, self.temporal.weight, dilation=dilation)
            residual = x[:, :, self.keep * dilation : x.shape[2] - (WIDTH - 1 - self.keep) * dilation]
        y = self.drop(torch.relu(self.temporal_bn(y)))
        return residual + self.drop(torch.relu(self.pointwise_bn(self.pointwise(y))))

    def forward_grouped(self, x: torch.Tensor) -> torch.Tensor:
        """The strided form on (N, frames, channels): each triple of frames is one row of a matrix
        product, which runs about twice as fast on a CPU as the convolution."""
        y = self.drop(torch.relu(_batch_norm(self.temporal_bn, _grouped(self.temporal, x))))
        y = _batch_norm(self.pointwise_bn, nn.functional.linear(y, self.pointwise.weight[:, :, 0]))
        return x[:, self.keep :: WIDTH] + self.drop(torch.relu(y))


def _grouped(conv: nn.Conv1d, x: torch.Tensor) -> torch.Tensor:
    """A width-3, stride-3 convolution of (N, frames, channels) as a matrix product."""
    weight = conv.weight.permute(0, 2, 1).reshape(conv.out_channels, -1)  # (out, width x in)
    return nn.functional.linear(x.reshape(x.shape[0], x.shape[1] // WIDTH, -1), weight)


def _batch_norm(norm: nn.BatchNorm1d, x: torch.Tensor) -> torch.Tensor:
    return norm(x.reshape(-1, x.shape[-1])).reshape(x.shape)


class TemporalLifter(nn.Module):
    """Strided form (inference, exported): (N, receptive_field, 12, 2) normalised 2D -> (N, 17, 3)
    H36M joints in metres, pelvis at 0.

    Dilated form (`dilated = True`, teacher labels): the same weights slid along a sequence,
    (N, F + receptive_field - 1, 12, 2) -> (N, F, 17, 3): F outputs for little more than one's cost.

    In training mode the strided form runs as matrix products (the same arithmetic, faster on a
    CPU); evaluation and export use the convolutions, into which ONNX folds the batch norms.
    """

    def __init__(self, config: LifterConfig) -> None:
        super().__init__()
        self.config = config
        self.dilated = False
        self.expand = nn.Conv1d(NUM_INPUT * 2, config.channels, WIDTH, stride=WIDTH, bias=False)
        self.expand_bn = nn.BatchNorm1d(config.channels)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(
            [_Block(config.channels, config.dropout, config.causal) for _ in range(config.stages - 1)]
        )
        self.shrink = nn.Conv1d(config.channels, (NUM_H36M - 1) * 3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and not self.dilated:
            return self._forward_grouped(x)
        h = x.flatten(2).transpose(1, 2)  # (N, 24, frames)
        h = nn.functional.conv1d(h, self.expand.weight) if self.dilated else self.expand(h)
        h = self.drop(torch.relu(self.expand_bn(h)))
        for stage, block in enumerate(self.blocks, start=1):
            h = block(h, WIDTH**stage if self.dilated else None)
        joints = self.shrink(h).transpose(1, 2).reshape(x.shape[0], -1, NUM_H36M - 1, 3)
        joints = nn.functional.pad(joints, (0, 0, 1, 0))  # the pelvis, at 0
        return joints if self.dilated else joints[:, 0]

    def _forward_grouped(self, x: torch.Tensor) -> torch.Tensor:
        h = self.drop(torch.relu(_batch_norm(self.expand_bn, _grouped(self.expand, x.flatten(2)))))
        for block in self.blocks:
            h = block.forward_grouped(h)
        joints = nn.functional.linear(h[:, 0], self.shrink.weight[:, :, 0], self.shrink.bias)
        return nn.functional.pad(joints.reshape(-1, NUM_H36M - 1, 3), (0, 0, 1, 0))


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def mpjpe(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return torch.linalg.vector_norm(predicted - target, dim=-1).mean()


class WindowSampler:
    """Random training windows, one target frame each, from every frame of the training takes.

    With teacher labels (`guides`: the teacher's 3D for every frame from SH and from projected-GT
    input) each window also carries the teacher's 3D of its target.
    """

    def __init__(self, takes: list[Take], config: TrainConfig, receptive_field: int, causal: bool) -> None:
        self.config = config
        self.receptive_field = receptive_field
        self.causal = causal
        self.gt = np.concatenate([normalize_input(t.gt2d) for t in takes])
        # A take without SH detections falls back to its projected ground truth.
        self.sh = np.concatenate([normalize_input(t.sh2d if t.sh2d is not None else t.gt2d) for t in takes])
        self.pose = np.concatenate([t.pose3d for t in takes])
        self.lengths = np.array([len(t.pose3d) for t in takes])
        self.starts = np.cumsum(self.lengths) - self.lengths
        self.first = np.repeat(self.starts, self.lengths)
        self.last = np.repeat(self.starts + self.lengths - 1, self.lengths)
        self.guides: dict[str, np.ndarray] | None = None
        self.rng = np.random.default_rng(config.seed)

    def __len__(self) -> int:
        return len(self.pose)

    def sample(self, size: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """(size, receptive_field, 12, 2) input windows, (size, 17, 3) targets and teacher labels
        (None without a teacher)."""
        c, rng = self.config, self.rng
        targets = rng.integers(0, len(self), size)
        strides = np.where(rng.random(size) < c.slow_share, 2, 1)
        windows = window_indices(
            targets, self.first[targets], self.last[targets], self.receptive_field, strides, self.causal
        )
        from_sh = rng.random(size) < c.sh_share
        x = np.where(from_sh[:, None, None, None], self.sh[windows], self.gt[windows])
        noise = (rng.uniform(0, c.max_noise, size) * ~from_sh).astype(np.float32)
        x += rng.standard_normal(x.shape, dtype=np.float32) * noise[:, None, None, None]
        x *= rng.uniform(1 - c.scale_jitter, 1 + c.scale_jitter, size).astype(np.float32)[:, None, None, None]
        y = self.pose[targets]
        guide = None
        if self.guides is not None:
            guide = np.where(from_sh[:, None, None], self.guides["sh"][targets], self.guides["gt"][targets])
        flip = rng.random(size) < 0.5
        x[flip] = mirror_windows(x[flip])
        for target in (y, guide) if guide is not None else (y,):
            target[flip] = mirror_h36m(target[flip])
        return torch.from_numpy(x), torch.from_numpy(y), None if guide is None else torch.from_numpy(guide)

    def predict_all(self, model: TemporalLifter, source: str) -> np.ndarray:
        """The model's 3D for every frame from `source` ("sh" or "gt") input, slid over each take."""
        inputs = self.sh if source == "sh" else self.gt
        out = np.empty_like(self.pose)
        model.eval()
        model.dilated = True
        with torch.no_grad():
            for start, length in zip(self.starts, self.lengths, strict=True):
                window = window_indices(
                    np.array([start]),
                    np.array([start]),
                    np.array([start + length - 1]),
                    model.config.receptive_field,
                    1,
                    model.config.causal,
                    length,
                )
                out[start : start + length] = model(torch.from_numpy(inputs[window]))[0].numpy()
        return out


def load_checkpoint(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=False)


def model_from_checkpoint(path: Path) -> TemporalLifter:
    state = load_checkpoint(path)
    model = TemporalLifter(LifterConfig(**state["model_config"]))
    model.load_state_dict(state["model"])
    return model.eval()


def _torch_runner(model: TemporalLifter) -> Callable[[np.ndarray], np.ndarray]:
    def run(windows: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return np.concatenate(
                [model(torch.from_numpy(windows[i : i + 1024])).numpy() for i in range(0, len(windows), 1024)]
            )

    return run


def validate(model: TemporalLifter, takes: list[Take]) -> dict[str, float]:
    """MPJPE (mm) on every 64th test frame, SH and projected-GT input: a quick check while training."""
    model.eval()
    run = _torch_runner(model)
    out = {}
    for source in ("sh", "gt"):
        errors = evaluate(run, model.config.receptive_field, model.config.causal, takes, source, every=64)
        out[source] = LiftScores.from_takes(errors).mpjpe
    model.train()
    return out


def teacher_labels(teacher_path: Path, sampler: WindowSampler, cache: Path) -> dict[str, np.ndarray]:
    """The teacher's 3D for every training frame, from SH and from projected-GT input (computed once,
    kept in `cache` beside the teacher's checkpoint for every student). A sample's label is the
    teacher's 3D of its target frame, however the sample's input was augmented: the pose to reach is
    the same."""
    if cache.is_file():
        with np.load(cache) as z:
            return {source: z[source] for source in ("sh", "gt")}
    teacher = model_from_checkpoint(teacher_path)
    if teacher.config.causal:
        raise ValueError("the teacher must be a centred model: it should see what the student cannot")
    started = time.monotonic()
    guides = {source: sampler.predict_all(teacher, source) for source in ("sh", "gt")}
    log.info("teacher labels from %s in %.0f s", teacher_path, time.monotonic() - started)
    np.savez(cache, **guides)
    return guides


def _learning_rate(step: int, config: TrainConfig) -> float:
    if step < config.warmup:
        return config.lr * (step + 1) / config.warmup
    progress = (step - config.warmup) / max(1, config.steps - config.warmup)
    return config.lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * progress)))


def train(
    data_dir: Path,
    out_dir: Path,
    model_config: LifterConfig,
    config: TrainConfig,
    teacher_path: Path | None = None,
    max_minutes: float | None = None,
    eval_every: int = 1000,
) -> Path:
    """Train (or resume from out_dir/checkpoint.pt) and return the checkpoint path.

    Stops early after `max_minutes` with the checkpoint saved; run again to continue.
    """
    torch.set_num_threads(1)
    torch.manual_seed(config.seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    checkpoint_path = out_dir / "checkpoint.pt"
    model = TemporalLifter(model_config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    sampler = WindowSampler(
        load_takes(data_dir, TRAIN_SUBJECTS), config, model_config.receptive_field, model_config.causal
    )
    test_takes = load_takes(data_dir, TEST_SUBJECTS)
    if teacher_path is not None:
        sampler.guides = teacher_labels(teacher_path, sampler, teacher_path.with_name("teacher_labels.npz"))
    step = 0
    if checkpoint_path.is_file():
        state = load_checkpoint(checkpoint_path)
        if state["model_config"] != asdict(model_config) or state["train_config"] != asdict(config):
            raise ValueError(f"{checkpoint_path} was made with other settings; use another --out")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        sampler.rng.bit_generator.state = state["sampler_rng"]
        torch.set_rng_state(state["torch_rng"])
        step = state["step"]
        log.info("resumed at step %d", step)
    log.info(
        "%d parameters, receptive field %d, causal %s; %d training frames",
        parameter_count(model),
        model_config.receptive_field,
        model_config.causal,
        len(sampler),
    )

    def save() -> None:
        state = {
            "model_config": asdict(model_config),
            "train_config": asdict(config),
            "teacher": str(teacher_path) if teacher_path else None,
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "sampler_rng": sampler.rng.bit_generator.state,
            "torch_rng": torch.get_rng_state(),
            "step": step,
        }
        torch.save(state, checkpoint_path.with_suffix(".tmp"))
        checkpoint_path.with_suffix(".tmp").replace(checkpoint_path)

    started = time.monotonic()
    model.train()
    running = 0.0
    while step < config.steps:
        for group in optimizer.param_groups:
            group["lr"] = _learning_rate(step, config)
        x, y, guide = sampler.sample(config.batch)
        predicted = model(x)
        loss = mpjpe(predicted, y)
        if guide is not None:
            loss = (1 - config.teacher_weight) * loss + config.teacher_weight * mpjpe(predicted, guide)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        running += loss.item() * 1000
        if step % 100 == 0:
            elapsed = time.monotonic() - started
            log.info(
                "step %d loss %.1f mm lr %.2e (%.0f s)",
                step,
                running / 100,
                _learning_rate(step, config),
                elapsed,
            )
            running = 0.0
        if step % eval_every == 0 or step == config.steps:
            save()
            scores = validate(model, test_takes)
            log.info("step %d validation MPJPE: SH %.1f mm, GT %.1f mm", step, scores["sh"], scores["gt"])
        if max_minutes is not None and time.monotonic() - started > 60 * max_minutes and step < config.steps:
            save()
            log.info("time budget reached at step %d; run the same command again to continue", step)
            break
    return checkpoint_path


def export(
    checkpoint_path: Path, out_dir: Path, takes: list[Take], name: str, calibration_windows: int = 4096
) -> list[Path]:
    """Write `name`.onnx (fp32) and `name`_int8.onnx (see `quantize_lifter`), each with the `.json`
    description the runtime reads and its whole-sequence form (`<file>_sequence.onnx`)."""
    state = load_checkpoint(checkpoint_path)
    model = model_from_checkpoint(checkpoint_path)
    rf = model.config.receptive_field
    fp32 = export_onnx(
        model,
        torch.zeros(1, rf, NUM_INPUT, 2),
        out_dir / f"{name}.onnx",
        input_name="keypoints",
        output_names=("pose3d",),
        dynamic_axes={"keypoints": {0: "batch"}, "pose3d": {0: "batch"}},
    )
    lifter_sequence_form(fp32)
    card = {
        "receptive_field": rf,
        "causal": model.config.causal,
        "params": parameter_count(model),
        "precision": "fp32",
        "train_fps": TRAIN_FPS,
        "model": state["model_config"],
        "training": {
            **state["train_config"],
            "teacher": state["teacher"],
            "data": "Human3.6M S1 S5 S6 S7 S8",
        },
    }
    fp32.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    return [fp32, quantize_lifter(fp32, takes, calibration_windows)]


def quantize_lifter(fp32: Path, takes: list[Take], calibration_windows: int = 4096) -> Path:
    """Write `<stem>`_int8.onnx beside an exported fp32 lifter (its `.json` says its window): static
    INT8 calibrated on training windows as the model is used (half SH, half clean projected GT,
    unaugmented, a fixed seed), with its card and whole-sequence form."""
    card = json.loads(fp32.with_suffix(".json").read_text())
    calibration_config = TrainConfig(max_noise=0.0, slow_share=0.0, scale_jitter=0.0, seed=1)
    sampler = WindowSampler(takes, calibration_config, card["receptive_field"], card["causal"])
    batches = [sampler.sample(256)[0].numpy() for _ in range(calibration_windows // 256)]
    int8 = quantize_int8(fp32, fp32.with_name(f"{fp32.stem}_int8.onnx"), batches)
    lifter_sequence_form(int8)
    int8.with_suffix(".json").write_text(json.dumps(card | {"precision": "int8"}, indent=2) + "\n")
    return int8
