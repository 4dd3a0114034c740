"""Export a trained student checkpoint: ONNX or TFLite, fp32 and (with calibration) static INT8.

One entry point, `export_student(checkpoint, format, int8)`, in the manner of ultralytics'
`model.export(format=..., int8=...)`. ONNX goes through the shared `swingcoach.export.onnx` path;
TFLite through `swingcoach.export.tflite` (litert-torch, in its build environment). Both write
`student.json` next to the models: what the runtime and the benchmark need to know about them.

The INT8 calibration set is real crops: LSPET training images and golf training frames, each cut
with the ROI the teacher's tracker used, never an image of the LSPET test split.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from swingcoach.bench.pose import load_lspet
from swingcoach.export.onnx import export_onnx, quantize_int8
from swingcoach.pose.student import model_path
from swingcoach.train.pose_data import golf_samples, lspet_samples, make_example
from swingcoach.train.pose_model import StudentPoseNet, count_parameters
from swingcoach.train.pose_train import load_student

FORMATS = ("onnx", "tflite")
CALIBRATION_SEED = 3
OUTPUT_NAMES = ("heatmaps", "visibility")
HEADS = ("heatmaps", "visibility")  # kept float in the TFLite int8 model


def calibration_crops(data_dir: Path, cache: Path, size: int, count: int) -> list[np.ndarray]:
    """`count` real crops (1, size, size, 3) in [0, 1], drawn from the training images only."""
    samples = lspet_samples(load_lspet(data_dir), cache / "lspet_teacher.npz") + golf_samples(cache)
    picked = np.random.default_rng(CALIBRATION_SEED).choice(len(samples), count, replace=False)
    crops = []
    for index in picked:
        example = make_example(samples[int(index)], size, None)
        if example is not None:
            crops.append(example.image[None].astype(np.float32) / 255.0)
    return crops


def flops(model: StudentPoseNet, example: torch.Tensor) -> int:
    """Floating-point operations of one forward pass (a multiply-add counts as two)."""
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(example)
    return int(counter.get_total_flops())


def fp16_size(model: StudentPoseNet, example: torch.Tensor) -> int:
    """Bytes of the model as fp16 ONNX (weights and activations half precision, float32 I/O)."""
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    with tempfile.TemporaryDirectory() as tmp:
        fp32, fp16 = Path(tmp) / "fp32.onnx", Path(tmp) / "fp16.onnx"
        export_onnx(model, example, fp32, input_name="image", output_names=OUTPUT_NAMES)
        onnx.save(convert_float_to_float16(onnx.load(fp32), keep_io_types=True), fp16)
        return fp16.stat().st_size


def write_card(out_dir: Path, checkpoint: Path, model: StudentPoseNet, state: dict) -> Path:
    config = model.config
    digest = hashlib.sha256(checkpoint.read_bytes()).hexdigest()[:8]
    example = torch.zeros(1, config.input_size, config.input_size, 3)
    card = {
        "version": f"student-w{round(config.width * 100):03d}-{digest}",
        "width": config.width,
        "input_size": config.input_size,
        "activation": config.activation,
        "heatmap_size": config.heatmap_size,
        "params": count_parameters(model),
        "flops": flops(model, example),
        "fp16_onnx_bytes": fp16_size(model, example),
        "epoch": state["epoch"],
        "val_pck02": state["val_pck02"],
        "training": state["config"],
    }
    path = out_dir / "student.json"
    path.write_text(json.dumps(card, indent=1) + "\n")
    return path


def export_student(
    checkpoint: Path,
    format: str,
    int8: bool,
    out_dir: Path,
    data_dir: Path,
    cache: Path,
    calibration_count: int = 256,
) -> list[Path]:
    """Write the fp32 model in `format` (and the INT8 one with `int8`), its weights (student.pt)
    and student.json."""
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {format!r}")
    model, state = load_student(checkpoint)
    size = model.config.input_size
    example = torch.rand(1, size, size, 3)
    out_dir.mkdir(parents=True, exist_ok=True)
    calibration = calibration_crops(data_dir, cache, size, calibration_count) if int8 else None
    fp32, quantized = model_path("fp32", format, out_dir), model_path("int8", format, out_dir)
    if format == "onnx":
        written = [export_onnx(model, example, fp32, input_name="image", output_names=OUTPUT_NAMES)]
        if calibration is not None:
            # Percentile ranges: MinMax lost 1.1 PCK points on the heatmap logits' rare peaks, this 0.8.
            written.append(quantize_int8(fp32, quantized, calibration, ranges="Percentile"))
    else:
        from swingcoach.export.tflite import convert_tflite

        written = [convert_tflite(model, example, fp32)]
        if calibration is not None:
            written.append(convert_tflite(model, example, quantized, calibration, float_modules=HEADS))
    weights = out_dir / "student.pt"  # the graphs' source, for the parity tests and fine-tuning
    torch.save({k: state[k] for k in ("config", "weights", "epoch", "val_pck02")}, weights)
    return [*written, weights, write_card(out_dir, checkpoint, model, state)]
