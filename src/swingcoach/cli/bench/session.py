"""`swingcoach bench session`: peak memory and time of `analyze` on practice sessions of growing
length, made by looping a real swing with still gaps (bench/session.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

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
    from swingcoach.bench.report import session_tables

    print("\n".join(session_tables(result)))  # the table docs/benchmarks.md shows
