"""`swingcoach bench session`: peak memory and time of `analyze` on practice sessions of growing
length, made by looping a real swing with still gaps (bench/session.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from swingcoach.cli import POSE_BACKENDS, backend_help, fail
from swingcoach.errors import SwingcoachError

DEMO_CLIP = Path("examples/golfdb_demo.mp4")  # in the repository, where benchmarks run


def minutes_list(value: str) -> list[float]:
    try:
        lengths = [float(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter("comma-separated minutes, e.g. 0.25,5,60") from None
    if not lengths or any(not 0 < length <= 600 for length in lengths):
        raise typer.BadParameter("each length between 0 and 600 minutes")
    return lengths


def bench_session(
    clip: Annotated[Path, typer.Option(help="The real swing to loop (default: the demo video).")] = DEMO_CLIP,
    minutes: Annotated[
        str, typer.Option(help="Session lengths in minutes, comma-separated; the first is the baseline.")
    ] = "0.25,5,60",
    backend: Annotated[str, typer.Option(help=backend_help("Pose backend"))] = POSE_BACKENDS[0],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Each length: a 1080p / 30 fps session made from the clip, `swingcoach analyze` run on it in its
    own process; its peak RSS, wall time per video-minute, report.html size and annotated bitrate."""
    from swingcoach.bench.session import bench_session as run

    try:
        result = run(clip, minutes_list(minutes), backend)
    except SwingcoachError as error:
        fail(error)
    if as_json:
        print(json.dumps(result, indent=2))
        return
    table = Table(title=f"analyze on long sessions ({Path(result['clip']).name} looped, {result['backend']})")
    for column in (
        "minutes",
        "frames",
        "swings",
        "peak RSS MB",
        "s per video-min",
        "report.html MB",
        "annotated Mbit/s",
    ):
        table.add_column(column, justify="right")
    for run_ in result["runs"]:
        table.add_row(
            f"{run_['minutes']:g}",
            str(run_["frames"]),
            str(run_["swings"]),
            f"{run_['peak_rss_mb']:.0f}",
            f"{run_['s_per_video_minute']:.0f}",
            f"{run_['report_html_mb']:.2f}",
            f"{run_['annotated_mbit_s']:.2f}",
        )
    console = Console()
    console.print(table)
    console.print(
        f"peak RSS of the longest against the shortest: {result['rss_growth_pct']:+.1f} % "
        f"(goal ≤ {result['goal_pct']:g} %: {'met' if result['met'] else 'missed'})"
    )
