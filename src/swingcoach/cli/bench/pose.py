"""`swingcoach bench pose`: the student pose models next to BlazePose."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from swingcoach.cli import console, fail
from swingcoach.errors import SwingcoachError


def bench_pose(
    data: Annotated[Path, typer.Option(help="Shared data folder (lspet/, phone_swings/, videos/).")] = Path(
        "../shared/data"
    ),
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
