"""`swingcoach bench server`: a Locust load test of `swingcoach serve` on loopback."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from swingcoach.cli import backend_help, needs_extra

if TYPE_CHECKING:
    from rich.console import Console


@needs_extra("bench server", "bench")
def bench_server(
    quick: Annotated[
        bool, typer.Option("--quick", help="Shorter windows and fewer steps (about 6 min).")
    ] = False,
    path: Annotated[str, typer.Option(help="device, video or both.")] = "both",
    interval: Annotated[float, typer.Option(min=0.5, help="Seconds between two swings of a golfer.")] = 5.0,
    pose_backend: Annotated[
        str, typer.Option(help=backend_help("Pose model of the video path"))
    ] = "blazepose-full",
    video_workers: Annotated[int, typer.Option(min=1, max=16, help="In-process job threads.")] = 2,
    processes: Annotated[int, typer.Option(min=1, max=32, help="API processes (serve --processes).")] = 1,
    database_url: Annotated[
        str | None,
        typer.Option(help="Run the server on this Postgres database (in a schema of its own), not SQLite."),
    ] = None,
    login_flood: Annotated[
        int,
        typer.Option(
            min=0,
            max=256,
            help="Clients guessing a password as fast as answered: the device path with and without them.",
        ),
    ] = 0,
    flood_rate: Annotated[
        float, typer.Option(min=0.1, max=1000, help="Swings/s offered during the --login-flood comparison.")
    ] = 10.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Load test of `swingcoach serve` on loopback with Locust: server CPU-seconds per swing,
    swings/s at saturation and the most golfers held (p99 < 300 ms, no errors), for the device
    path (keypoints) and the video path (whole pipeline on the server); or, with --login-flood, the
    device path's p99 with and without a password-guessing flood. Needs the `bench` extra."""
    import json

    from rich.console import Console
    from rich.table import Table

    from swingcoach.bench.server import P99_LIMIT_MS, REPO_FIXTURE, REPO_VIDEO
    from swingcoach.bench.server import bench_server as run_bench

    paths = ["device", "video"] if path == "both" else [path]
    if not set(paths) <= {"device", "video"}:
        raise typer.BadParameter("--path is device, video or both")
    for needed in (REPO_FIXTURE, REPO_VIDEO):
        if not needed.exists():
            raise typer.BadParameter(f"run from a checkout of the repository: {needed} is missing")
    result = run_bench(
        quick, paths, interval, pose_backend, video_workers, processes, database_url, login_flood, flood_rate
    )
    if as_json:
        print(json.dumps(result, indent=1))
        return
    console = Console()
    console.print(f"machine: {result['machine']} (load generator on the same machine)")
    server = result["server"]
    console.print(
        f"server: swingcoach serve, {server['mode']}, {processes} API process(es); video path: "
        f"{pose_backend}, {video_workers} job threads; load average before: {result['load_average_before']}"
    )
    if login_flood:
        print_login_flood(console, result["login_flood"], interval)
        return
    for name in paths:
        figures = result[name]
        table = Table(title=f"{name} path: golfers sending a swing every {interval:g} s")
        for column in ("golfers", "offered/s", "swings/s", "CPU s/swing", "server cores", "p50 ms",
                       "worst p99 ms", "failures", "result p50/p99 ms", "held", "load avg",
                       "client cores"):  # fmt: skip
            table.add_column(column, justify="right")
        rows = [("saturation", figures["saturation"])] + [(str(s["users"]), s) for s in figures["steps"]]
        for label, step in rows:
            result_ms = f"{step['result_p50_ms']}/{step['result_p99_ms']}" if step["result_p50_ms"] else "-"
            held = "-" if step["held"] is None else ("yes" if step["held"] else "no")
            table.add_row(
                f"{label} ({step['users']})" if label == "saturation" else label,
                "-" if step["offered_per_s"] is None else f"{step['offered_per_s']:g}",
                f"{step['swings_per_s']:g}",
                "-" if step["cpu_s_per_swing"] is None else f"{step['cpu_s_per_swing']:.4f}",
                f"{step['server_cores']:g}",
                f"{step['p50_ms']:g}",
                f"{step['p99_ms']:g}",
                str(step["failures"]),
                result_ms,
                held,
                f"{step['load_average']:g}",
                f"{step['client_cores']:g}",
            )
        console.print(table)
        console.print(
            f"{name}: {figures['cpu_s_per_swing']} CPU s/swing, {figures['swings_per_s']} swings/s at "
            f"saturation, {figures['max_users_held']} golfers held "
            f"(p99 < {P99_LIMIT_MS:g} ms, no errors, kept up)"
        )
    if result.get("video_to_device_cpu_ratio"):
        console.print(f"video path / device path CPU per swing: {result['video_to_device_cpu_ratio']}x")


def print_login_flood(console: Console, flood: dict[str, Any], interval: float) -> None:
    from rich.table import Table

    from swingcoach.bench.server import DEVICE_POST

    table = Table(
        title=f"device path at {flood['offered_per_s']:g} swings/s (a swing every {interval:g} s), "
        f"without and with {flood['flooders']} clients guessing a password"
    )
    for column in ("", "swings/s", "POST p50 ms", "POST p99 ms", "failures", "server cores", "flood answers"):
        table.add_column(column, justify="right")
    for label in ("idle", "flood"):
        step = flood[label]
        post = step["by_request"][DEVICE_POST]
        answers = ", ".join(f"{n} x {code}" for code, n in sorted(step["flood_statuses"].items())) or "-"
        table.add_row(
            label, f"{step['swings_per_s']:g}", f"{post['p50_ms']:g}", f"{post['p99_ms']:g}",
            str(step["failures"]), f"{step['server_cores']:g}", answers,
        )  # fmt: skip
    console.print(table)
    console.print(f"device p99 with the flood / without: {flood['p99_ratio']}x (goal: within 2x)")
