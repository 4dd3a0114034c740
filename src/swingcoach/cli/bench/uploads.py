"""`swingcoach bench uploads`: normal and pathological video uploads against `swingcoach serve`."""

from __future__ import annotations

from typing import Annotated

import typer

from swingcoach.cli import backend_help, needs_extra


@needs_extra("bench uploads", "bench")
def bench_uploads(
    pose_backend: Annotated[
        str, typer.Option(help=backend_help("Pose model of the video path"))
    ] = "blazepose-full",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Normal and pathological video uploads (4K, 8192x8192, 120 s, a header hiding its length),
    each against a fresh `swingcoach serve`: the answer, the job, worker seconds and the process's
    peak RSS. Run from a checkout (the demo clip is the normal upload)."""
    import json

    from rich.console import Console
    from rich.table import Table

    from swingcoach.bench.server import REPO_VIDEO
    from swingcoach.bench.uploads import bench_uploads as run_bench

    if not REPO_VIDEO.exists():
        raise typer.BadParameter(f"run from a checkout of the repository: {REPO_VIDEO} is missing")
    result = run_bench(pose_backend)
    if as_json:
        print(json.dumps(result, indent=1))
        return
    table = Table(title=f"uploads against swingcoach serve (embedded, {pose_backend}); {result['machine']}")
    for column in ("upload", "kB", "answer", "ms", "job", "worker s", "RSS start MiB", "peak RSS MiB"):
        table.add_column(column, justify="left" if column == "upload" else "right")
    for case in result["cases"]:
        table.add_row(
            case["name"],
            f"{case['bytes'] / 1000:.0f}",
            str(case["status"]),
            f"{case['answer_ms']:g}",
            case["job"] or "-",
            "-" if case["worker_s"] is None else f"{case['worker_s']:g}",
            f"{case['rss_start_mib']:g}",
            f"{case['peak_rss_mib']:g}",
        )
    console = Console()
    console.print(table)
    for case in result["cases"]:
        if case["error"]:
            console.print(f"{case['name']}: {case['error']}")
