"""`swingcoach bench edge`: the device on real swing videos and a long stitched recording."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from swingcoach.cli import fail, needs_extra

BENCH_OUT = Path(tempfile.gettempdir()) / "swingcoach-bench-edge"


@needs_extra("bench edge", "bench")
def bench_edge(
    data: Annotated[Path, typer.Option(help="The shared data folder (phone_swings/, videos/).")] = Path(
        "../shared/data"
    ),
    out: Annotated[
        Path, typer.Option(help="Working folder: the long recording and the libraries (never commit them).")
    ] = BENCH_OUT,
    core: Annotated[
        int | None, typer.Option(help="CPU core to pin the device runs to (default: the first).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The device on real swing videos and a long stitched recording: swings found, start/finish
    against the truth, fps on one core, CPU saved by the adaptive pose rate, live-view latency."""
    from swingcoach.bench.edge import TOLERANCE_S, videos
    from swingcoach.bench.edge import bench_edge as run_bench
    from swingcoach.edge.settings import SettingsError

    if not videos(data):
        fail(SettingsError(f"no videos under {data} (expected phone_swings/*.mp4, videos/*.mp4)"))
    result = run_bench(data, out, core)
    if as_json:
        print(json.dumps(result, indent=1))
        return
    print_edge_bench(result, TOLERANCE_S)


def print_edge_bench(result: dict[str, Any], tolerance_s: float) -> None:
    out = Console()
    out.print(
        f"machine: {result['machine']}; device runs pinned to core {result['pinned_core']}; "
        f"event detector {result['event_detector']}",
        highlight=False,
    )

    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:+.2f}"

    videos = Table(
        title=f"each video alone (device: {result['device_backend']}, adaptive rate, ±{tolerance_s} s)"
    )
    for column in (
        "video",
        "found",
        "address Δ s",
        "address Δ s (offline)",
        "finish Δ s",
        "within",
        "fps",
        "fps/CPU",
    ):
        videos.add_column(column)
    for name, run in result["videos"].items():
        score = run["score"]
        match = score["matches"][0]
        labelled = match["truth"]["label_address_s"] is not None
        videos.add_row(
            name,
            f"{score['found']}/{score['true_swings']}",
            seconds(match["address_error_s"]) + (" (labels)" if labelled else ""),
            seconds(match["offline_address_error_s"]),
            seconds(match["finish_error_s"]),
            f"{score['within_tolerance']}/{score['true_swings']}"
            + (f" ({score['within_tolerance_offline']} offline)" if labelled else ""),
            f"{run['fps']:.1f}",
            f"{run['fps_cpu']:.1f}",
        )
    out.print(videos)
    long = result["long_recording"]
    pieces = Table(
        title=f"long recording: {long['duration_s']} s, {long['true_swings']} swings with idle gaps"
    )
    for column in ("swing", "mode", "found", "address Δ s", "address Δ s (offline)", "finish Δ s"):
        pieces.add_column(column)
    for mode in ("adaptive", "full_rate"):
        for name, match in zip(long["pieces"], long[mode]["score"]["matches"], strict=True):
            pieces.add_row(
                name,
                mode,
                "yes" if match["found"] else "no",
                seconds(match["address_error_s"]),
                seconds(match["offline_address_error_s"]),
                seconds(match["finish_error_s"]),
            )
    out.print(pieces)
    modes = Table(title="long recording: adaptive pose rate against pose on every frame (one core)")
    for column in ("mode", "found", "false", "within", "pose on", "CPU s", "fps", "fps/CPU"):
        modes.add_column(column)
    for mode in ("adaptive", "full_rate"):
        run, score = long[mode], long[mode]["score"]
        modes.add_row(
            mode,
            f"{score['found'] - score['false_swings']}/{score['true_swings']}",
            str(score["false_swings"]),
            f"{score['within_tolerance']} ({score['within_tolerance_offline']} offline)",
            f"{run['posed']}/{run['frames']}",
            f"{run['cpu_s']:.1f}",
            f"{run['fps']:.1f}",
            f"{run['fps_cpu']:.1f}",
        )
    out.print(modes)
    out.print(f"CPU saved by the adaptive rate: {100 * long['cpu_saved']:.0f}%", highlight=False)
    live = result["live_view"]
    out.print(
        f"live view ({live['video']} at its frame rate, {live['cores']} cores): capture to decoded JPEG "
        f"median {live['median_ms']:.0f} ms, p95 {live['p95_ms']:.0f} ms, max {live['max_ms']:.0f} ms over "
        f"{live['frames_shown']} frames; pose on {live['posed']} of {live['frames']}, "
        f"{live['late_frames']} due but too late",
        highlight=False,
    )
    out.print("fps: frames / wall s (shared machine); fps/CPU: frames / process CPU s (a core of one's own)")
