"""`swingcoach bench ...`: accuracy and speed figures, as tables or JSON."""

from pathlib import Path
from typing import Annotated

import typer

from swingcoach.cli.bench_all import bench_all, bench_merge
from swingcoach.cli.bench_browser_pose import bench_browser_pose
from swingcoach.cli.bench_consistency import bench_consistency
from swingcoach.cli.bench_metric_error import bench_metric_error
from swingcoach.cli.bench_ranges import bench_ranges
from swingcoach.cli.edge import bench_edge
from swingcoach.cli.event_model import bench_events
from swingcoach.cli.lift import bench_lift, bench_lift_agreement
from swingcoach.cli.pose import bench_pose
from swingcoach.cli.posture import bench_posture
from swingcoach.cli.serve import bench_server, bench_uploads

bench_app = typer.Typer(help="Benchmarks: accuracy and speed, as tables (or --json).", no_args_is_help=True)
bench_app.command("edge")(bench_edge)
bench_app.command("server")(bench_server)
bench_app.command("uploads")(bench_uploads)
bench_app.command("lift")(bench_lift)
bench_app.command("lift-agreement")(bench_lift_agreement)
bench_app.command("events")(bench_events)
bench_app.command("pose")(bench_pose)
bench_app.command("posture")(bench_posture)
bench_app.command("browser-pose")(bench_browser_pose)
bench_app.command("consistency")(bench_consistency)
bench_app.command("metric-error")(bench_metric_error)
bench_app.command("ranges")(bench_ranges)
bench_app.command("all")(bench_all)
bench_app.command("merge")(bench_merge)


@bench_app.command("live")
def bench_live(
    frames: int = typer.Option(150, min=10, max=10_000, help="Frames to time."),
    fps: float = typer.Option(15.0, min=1, max=60, help="The device's sending rate."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Glass-to-viewer latency of a live view relayed by `swingcoach serve` on localhost."""
    import json

    from swingcoach.bench.live import run_live_bench

    result = run_live_bench(frames, fps)
    if as_json:
        print(json.dumps(result, indent=2))
        return
    latency = result["latency_ms"] or {}
    seen = f"{result['frames_seen']} of {result['frames_sent']} frames seen at {fps:g} fps"
    percentiles = ", ".join(f"{p} {latency.get(p)} ms" for p in ("p50", "p90", "p99"))
    typer.echo(f"{seen} ({result['frame_kb']} kB each); capture to viewer: {percentiles}")


def print_ballflight(result: dict) -> None:
    """Leave-one-golfer-out MAE per target and model, per view, and how many features agree."""
    from rich.console import Console
    from rich.table import Table

    from swingcoach.analysis.ballflight import TARGETS

    out = Console()
    for view, figures in result["views"].items():
        cv, agreement = figures["cross_validation"], figures["feature_agreement"]
        used = sum(f["used"] for f in agreement["features"].values())
        table = Table(
            title=f"{view}: {cv['swings']} CaddieSet swings, {cv['golfers']} golfers, leave one golfer out; "
            f"{used} of {len(agreement['features'])} features agree with ours on "
            f"{agreement['swings']} GolfDB swings"
        )
        table.add_column("MAE of")
        for header in ("carry m", "total m", "direction °", "side spin rpm", "spin axis °"):
            table.add_column(header, justify="right")
        table.add_column("curve class", justify="right")
        for model in ("club_mean", "linear", "forest"):
            row = cv[model]
            table.add_row(model, *(f"{row[f'{t}_mae']:g}" for t in TARGETS), f"{row['curve_accuracy']:.1%}")
        table.add_row("majority", *[""] * len(TARGETS), f"{cv['majority_curve_accuracy']:.1%}")
        out.print(table)


@bench_app.command("ballflight")
def bench_ballflight(
    data: Annotated[Path, typer.Option(help="The shared data folder (caddieset/, golfdb/).")] = Path(
        "../shared/data"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The ball-flight model's figures: feature agreement on GolfDB, leave-one-golfer-out errors."""
    import json

    from swingcoach.bench.ballflight import run_ballflight_bench
    from swingcoach.cli import fail
    from swingcoach.errors import InputError

    try:
        result = run_ballflight_bench(data)
    except InputError as exc:
        fail(exc)
    if as_json:
        print(json.dumps(result, indent=2))
        return
    print_ballflight(result)
