"""`swingcoach export ...`: trained models to ONNX / TFLite, fp32 and INT8, and the device kit."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from swingcoach.cli import POSE_CACHE, fail, needs_extra
from swingcoach.errors import InputError, SwingcoachError

export_app = typer.Typer(help="Export models to ONNX / TFLite (fp32, int8).", no_args_is_help=True)


class ExportFormat(StrEnum):
    onnx = "onnx"
    tflite = "tflite"


@export_app.command("pose")
@needs_extra("export pose", "train")
def export_pose(
    checkpoint: Annotated[Path, typer.Option(help="best.pt of a training run.")] = POSE_CACHE
    / "runs"
    / "w050"
    / "best.pt",
    format: Annotated[ExportFormat, typer.Option(help="onnx, or tflite (from the build environment).")] = (
        ExportFormat.onnx
    ),
    int8: Annotated[
        bool, typer.Option(help="Also write the static INT8 model (real calibration crops).")
    ] = False,
    out: Annotated[
        Path | None, typer.Option(help="Model folder (default: the package's models/student).")
    ] = None,
    data: Annotated[Path, typer.Option(help="Shared data folder, for the calibration crops.")] = Path(
        "../shared/data"
    ),
    cache: Annotated[Path, typer.Option(help="Teacher labels and frames from training.")] = POSE_CACHE,
    calibration: Annotated[int, typer.Option(help="Calibration crops for INT8.")] = 256,
) -> None:
    """Export the student pose model: student_fp32 (and student_int8) .onnx or .tflite + student.json."""
    import torch

    from swingcoach.pose.student import MODEL_DIR
    from swingcoach.train.pose_export import export_student

    torch.set_num_threads(1)
    try:
        written = export_student(checkpoint, format.value, int8, out or MODEL_DIR, data, cache, calibration)
    except (SwingcoachError, ValueError, FileNotFoundError) as error:
        fail(error)
        return
    for path in written:
        typer.echo(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")


@export_app.command("lifter")
@needs_extra("export lifter", "train")
def export_lifter(
    model: Annotated[
        list[str] | None,
        typer.Option(help="Shipped fp32 lifter to quantise (repeatable; default: lifter, lifter_causal)."),
    ] = None,
    data: Annotated[Path, typer.Option(help="Human3.6M folder, for the calibration windows.")] = Path(
        "../shared/data/h36m"
    ),
    out: Annotated[
        Path | None, typer.Option(help="Write here instead of the package's models/lifter.")
    ] = None,
) -> None:
    """Re-quantise shipped fp32 lifters to INT8 (`<name>_int8.onnx`, its card and sequence form),
    calibrated on Human3.6M training windows."""
    import shutil

    from swingcoach.pose.lift import MODEL_DIR
    from swingcoach.train.h36m import TRAIN_SUBJECTS, load_takes
    from swingcoach.train.lift import quantize_lifter

    names = model or ["lifter", "lifter_causal"]
    unknown = [name for name in names if not (MODEL_DIR / f"{name}.onnx").is_file() or "int8" in name]
    if unknown:
        fail(InputError(f"no shipped fp32 lifter named {', '.join(unknown)} in {MODEL_DIR}"))
    try:
        takes = load_takes(data, TRAIN_SUBJECTS)
    except SwingcoachError as error:
        fail(error)
    for name in names:
        fp32 = MODEL_DIR / f"{name}.onnx"
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            fp32 = Path(shutil.copy(fp32, out / fp32.name))
            shutil.copy(MODEL_DIR / f"{name}.json", out / f"{name}.json")
        int8 = quantize_lifter(fp32, takes)
        typer.echo(f"wrote {int8} ({int8.stat().st_size / 1e6:.2f} MB)")


@export_app.command("device-kit")
def export_device_kit(
    out: Annotated[Path, typer.Argument(help="Folder to write the kit into.")],
) -> None:
    """Write the device kit: the shipped models (.tflite, .onnx), a standalone benchmark script (numpy
    + LiteRT / onnxruntime) and instructions, also for the official TFLite benchmark tool."""
    from swingcoach.export.device_kit import write_device_kit

    try:
        models = write_device_kit(out)
    except (SwingcoachError, OSError) as error:
        fail(error)
        return
    table = Table(title=f"device kit in {out}")
    for column in ("model", "role", "precision", "runtime", "input", "MB"):
        table.add_column(column, justify="right" if column == "MB" else "left")
    for m in models:
        shape = "x".join(str(v) for v in m.input_shape)
        table.add_row(Path(m.file).name, m.role, m.precision, m.runtime, shape, f"{m.bytes / 1e6:.2f}")
    Console(width=max(Console().width, 120)).print(table)
    Console().print(f"on the device: python3 benchmark.py   (see {out / 'README.md'})")
