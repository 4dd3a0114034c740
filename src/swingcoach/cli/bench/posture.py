"""`swingcoach bench posture`: every posture figure against its goal."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from swingcoach.cli import console, fail, needs_extra
from swingcoach.errors import SwingcoachError


@needs_extra("bench posture", "train")
def bench_posture(
    data: Annotated[Path, typer.Option(help="The posture data folder.")] = Path("../shared/data/posture"),
    cache: Annotated[Path, typer.Option(help="Where poses of photos and videos are cached.")] = Path(
        ".cache/posture"
    ),
    steps: Annotated[int, typer.Option(help="Training steps per fold.")] = 2000,
    folds: Annotated[int, typer.Option(min=2, max=10)] = 4,
    live_video: Annotated[Path | None, typer.Option(help="Video for the live-speed figures.")] = Path(
        "../shared/data/posture/repetition_videos/020_fitness.mp4"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every posture figure against its goal: yoga (leave-person-out), photos end to end, exercises,
    repetition counts on real videos, form errors and live speed. Retrains per fold (the 'train' extra)."""
    from swingcoach.bench.posture import run_posture_bench

    try:
        bench = run_posture_bench(data, cache, steps, folds, live_video, console.print)
    except (SwingcoachError, ValueError, OSError) as error:
        fail(error)
        return
    if as_json:
        print(json.dumps({"figures": [asdict(f) for f in bench.figures], "misses": bench.misses}, indent=2))
        return
    table = Table(title="posture")
    for column in ("figure", "value", "goal", "met", "detail"):
        table.add_column(column)
    for f in bench.figures:
        table.add_row(f.name, f"{f.value:g}", f.goal, "yes" if f.met else "no", f.detail)
    Console().print(table)
