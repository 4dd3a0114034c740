"""`swingcoach train pose`, `swingcoach export pose` and `swingcoach bench pose`: the student pose model."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from swingcoach.cli import console, fail
from swingcoach.errors import SwingcoachError

DATA = Path("../shared/data")
CACHE = Path("/tmp/swingcoach-pose")


def train_pose(
    out: Annotated[Path, typer.Option(help="Run folder: last.pt (resumable), best.pt, history.json.")] = CACHE
    / "runs"
    / "w050",
    data: Annotated[Path, typer.Option(help="Shared data folder (lspet/, phone_swings/, golfdb/).")] = DATA,
    cache: Annotated[
        Path, typer.Option(help="Teacher labels and frames (derived data, not in git).")
    ] = CACHE,
    width: Annotated[float, typer.Option(help="Width multiplier of the network.")] = 0.5,
    activation: Annotated[str, typer.Option(help="relu (fast in every runtime) or prelu.")] = "relu",
    stages: Annotated[
        str,
        typer.Option(help="Crop size:epochs, in order (progressive resizing); the last size is the input."),
    ] = "96:24,128:8,192:6",
    batch: Annotated[int, typer.Option()] = 32,
    lr: Annotated[float, typer.Option()] = 3e-3,
    teacher_weight: Annotated[
        float, typer.Option(help="Alpha: weight of the teacher's targets against the annotation's.")
    ] = 0.5,
    seed: Annotated[int, typer.Option()] = 0,
    max_minutes: Annotated[
        float, typer.Option(help="Stop after this long with a checkpoint; the same command continues.")
    ] = 40.0,
    init: Annotated[
        Path | None,
        typer.Option(help="Start from the weights of this checkpoint (best.pt): a further training cycle."),
    ] = None,
) -> None:
    """Distil the student pose model from BlazePose on LSPET + golf frames (labels the data first)."""
    import logging

    import torch

    from swingcoach.train.pose_train import TrainConfig, train

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(1)
    config = TrainConfig(
        width=width,
        activation=activation,
        stages=tuple((int(size), int(epochs)) for size, epochs in (s.split(":") for s in stages.split(","))),
        batch_size=batch,
        lr=lr,
        teacher_weight=teacher_weight,
        seed=seed,
        init=str(init) if init else None,
    )
    try:
        best = train(data, cache, out, config, max_minutes)
    except (SwingcoachError, ValueError) as error:
        fail(error)
        return
    typer.echo(f"best checkpoint: {best}" if best.is_file() else f"no full-size epoch yet; continue: {out}")


class ExportFormat(StrEnum):
    onnx = "onnx"
    tflite = "tflite"


def export_pose(
    checkpoint: Annotated[Path, typer.Option(help="best.pt of a training run.")] = CACHE
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
    data: Annotated[Path, typer.Option(help="Shared data folder, for the calibration crops.")] = DATA,
    cache: Annotated[Path, typer.Option(help="Teacher labels and frames from training.")] = CACHE,
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


def bench_pose(
    data: Annotated[Path, typer.Option(help="Shared data folder (lspet/, phone_swings/, videos/).")] = DATA,
    variant: Annotated[
        list[Path] | None, typer.Option(help="Extra student model folders (other widths) to measure.")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Score only the first N LSPET test images.")] = None,
    rounds: Annotated[int, typer.Option(help="Latency rounds (20 runs a model a round).")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Student pose models next to BlazePose: size, FLOPs, PCK@0.2 on the LSPET test split,
    agreement with the teacher on golf video, latency at 1 and 2 threads, phone-swing phases."""
    from swingcoach.bench.pose import run_pose_bench
    from swingcoach.pose.student import MODEL_DIR

    try:
        bench = run_pose_bench(data, [MODEL_DIR, *(variant or [])], limit, rounds, console.print)
    except (SwingcoachError, ValueError) as error:
        fail(error)
        return
    if as_json:
        print(json.dumps(bench.as_json(), indent=1))
        return
    table = Table(
        title=f"2D pose: PCK@0.2 on {bench.test_images} LSPET test images ({bench.scored_joints} joints)"
    )
    for column in (
        "model",
        "params",
        "MFLOPs",
        "MB",
        "MB fp16",
        "PCK@0.2",
        "found",
        "% of teacher",
        "golf agr.",
        "ms 1t",
        "ms 2t",
        "x full 1t",
        "x full 2t",
    ):
        table.add_column(column, justify="left" if column == "model" else "right")
    teacher_pck = bench.teacher.pck02 or float("nan")
    for row in bench.rows:
        table.add_row(
            row.name,
            f"{row.params / 1e6:.2f} M",
            f"{row.flops / 1e6:.0f}",
            f"{row.size_bytes / 1e6:.2f}",
            f"{row.fp16_size_bytes / 1e6:.2f}",
            f"{row.pck02:.3f}",
            f"{row.lspet_found:.3f}",
            f"{100 * (row.pck02 or 0) / teacher_pck:.0f}",
            "-" if row.golf_agreement is None else f"{row.golf_agreement:.3f}",
            f"{row.latency_ms[1]:.2f}",
            f"{row.latency_ms[2]:.2f}",
            f"{bench.speedup(row, 1):.1f}",
            f"{bench.speedup(row, 2):.1f}",
        )
    wide = Console(width=max(Console().width, 140))
    wide.print(table)
    phones = Table(title="labelled phone swings end to end (learned events): per-frame phase accuracy")
    for column in ("video", "backend", "swings", "phase acc.", "events (address ... finish)"):
        phones.add_column(column)
    for swing in bench.phone_swings:
        accuracy = "-" if swing.phase_accuracy is None else f"{swing.phase_accuracy:.3f}"
        phones.add_row(swing.video, swing.backend, str(swing.swings), accuracy, str(swing.events or "-"))
    wide.print(phones)
