"""`swingcoach bench browser-pose`: the practice page's candidate pose models in headless Chromium,
against Python BlazePose full (bench/browser_pose.py)."""

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


def _figure(value: float | None, digits: int = 1, percent: bool = False) -> str:
    if value is None:
        return "–"
    return f"{100 * value:.{digits}f} %" if percent else f"{value:.{digits}f}"


@needs_extra("bench browser-pose", "dev")
def bench_browser_pose(
    data: Annotated[Path, typer.Option(help="The shared data folder (phone_swings/*.mp4).")] = Path(
        "../shared/data"
    ),
    budget: Annotated[
        float, typer.Option(help="Seconds of frames per model and backend (a slow one covers fewer).")
    ] = 120.0,
    only: Annotated[
        list[str] | None,
        typer.Option(help="Only rows whose model/runtime/backend contains this (repeatable)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Speed in the page and agreement with BlazePose full of each browser pose model x backend."""
    from swingcoach.bench.browser_pose import BrowserPoseResult, run_browser_pose

    def progress(result: BrowserPoseResult) -> None:
        console.print(f"[dim]{json.dumps(asdict(result))}[/dim]", highlight=False)

    try:
        results, total = run_browser_pose(data, budget_s=budget, only=only, on_result=progress)
    except SwingcoachError as error:
        fail(error)
    if as_json:
        print(json.dumps({"frames": total, "results": [asdict(r) for r in results]}, indent=2))
        return
    table = Table(title="Pose models in headless Chromium against Python BlazePose full (torso-relative 2D)")
    columns = ("model", "runtime", "backend", "frames", "ms median", "ms p95", "page fps", "found")
    columns += ("distance / torso", "PCK@0.1", "3D world", "note")
    for column in columns:
        table.add_column(column, justify="left" if column in (*columns[:3], "note") else "right")
    for r in results:
        if r.skipped:
            table.add_row(r.model, r.runtime, r.backend, *["–"] * 8, r.skipped)
            continue
        table.add_row(
            r.model,
            r.runtime,
            r.backend,
            str(r.frames),
            _figure(r.ms_median),
            _figure(r.ms_p95),
            _figure(r.page_fps),
            _figure(r.found, 1, percent=True),
            _figure(r.distance_median, 3),
            _figure(r.pck, 1, percent=True),
            "yes" if r.world else "no",
            "" if r.frames == total else f"time budget: {r.frames} of {total} frames",
        )
    Console().print(table)
