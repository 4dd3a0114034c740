"""`swingcoach edge` (the device) and `swingcoach library ...` (its saved swings and uploads)."""

from __future__ import annotations

import json
import logging
import signal
import tempfile
import threading
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from swingcoach.cli import fail
from swingcoach.edge.library import CLIP, KEYPOINTS, THUMBNAIL, Library, SwingEntry
from swingcoach.edge.settings import EdgeSettings, SettingsError
from swingcoach.errors import SwingcoachError

if TYPE_CHECKING:
    from swingcoach.edge.live_stream import LiveStream
    from swingcoach.edge.liveview import LiveView
    from swingcoach.edge.sender import Sender, ServerClient
    from swingcoach.edge.telemetry import Telemetry
    from swingcoach.pose.base import PoseBackend
    from swingcoach.video.source import FrameSource

library_app = typer.Typer(
    help="The device's swing library: list, show, delete, and upload what is queued.", no_args_is_help=True
)

LibraryOption = Annotated[
    Path | None,
    typer.Option("--library", help="Library folder (env SWINGCOACH_LIBRARY).", show_default=False),
]
ServerOption = Annotated[
    str | None, typer.Option(help="Server URL, e.g. http://127.0.0.1:8000 (env SWINGCOACH_SERVER).")
]
TokenOption = Annotated[
    str | None, typer.Option(help="Bearer token (env SWINGCOACH_TOKEN).", show_default=False)
]
EmailOption = Annotated[str | None, typer.Option(help="Account to log in with (env SWINGCOACH_EMAIL).")]
PasswordOption = Annotated[
    str | None, typer.Option(help="Its password (env SWINGCOACH_PASSWORD, preferred).", show_default=False)
]


BENCH_OUT = Path(tempfile.gettempdir()) / "swingcoach-bench-edge"


class SportChoice(StrEnum):
    golf = "golf"
    yoga = "yoga"
    exercise = "exercise"


def run_posture(
    sport: str,
    backend: PoseBackend,
    video: FrameSource,
    view: LiveView | None,
    telemetry: Telemetry | None,
    stream: LiveStream | None,
    realtime: bool,
    out: Console,
) -> None:
    import numpy as np

    from swingcoach.edge.pacing import paced
    from swingcoach.edge.posture_device import PostureDevice

    runner = PostureDevice(backend, sport, video.info.fps, view, telemetry, stream)
    is_file = video.info.frame_count is not None
    started = time.monotonic()
    stats = runner.run(paced(video) if is_file and realtime else iter(video))
    wall = time.monotonic() - started
    label = (
        f", label {np.percentile(stats.label_ms, 99):.1f} ms after the pose (p99)" if stats.label_ms else ""
    )
    reps = f", {stats.repetitions} repetitions" if sport == "exercise" else ""
    out.print(
        f"{stats.frames} frames in {wall:.1f} s ({stats.frames / max(wall, 1e-9):.1f} fps); "
        f"pose on {stats.posed}{reps}{label}",
        highlight=False,
    )


class UploadChoice(StrEnum):
    keypoints = "keypoints"
    video = "video"


def settings_from(**options: Any) -> EdgeSettings:
    """Environment variables, overridden by the options that were given."""
    try:
        return EdgeSettings(**{name: value for name, value in options.items() if value is not None})
    except ValidationError as error:
        problems = "; ".join(
            ": ".join(filter(None, [".".join(map(str, e["loc"])), e["msg"].removeprefix("Value error, ")]))
            for e in error.errors()
        )
        raise SettingsError(f"bad setting: {problems}") from None


def secret(value: Any) -> str | None:
    return None if value is None else value.get_secret_value()


def server_client(settings: EdgeSettings) -> ServerClient:
    from swingcoach.edge.sender import ServerClient

    assert settings.server is not None
    return ServerClient(
        settings.server,
        token=secret(settings.token),
        email=settings.email,
        password=secret(settings.password),
        timeout_s=settings.request_timeout_s,
    )


def make_sender(settings: EdgeSettings, outbox_path: Path) -> Sender:
    from swingcoach.edge.outbox import Outbox
    from swingcoach.edge.sender import Backoff, Sender

    client = server_client(settings)
    return Sender(Outbox(outbox_path), client, Backoff(settings.backoff_base_s, settings.backoff_cap_s))


def upload_summary(counts: dict[str, int]) -> str:
    return f"uploads: {counts['delivered']} delivered, {counts['pending']} pending, {counts['failed']} failed"


def describe(entry: SwingEntry) -> str:
    events = entry.events
    timing = (
        f"address {entry.time_at(events.address):.2f} s, finish {entry.time_at(events.finish):.2f} s"
        if events
        else "no events"
    )
    return (
        f"swing {str(entry.id)[:8]}: {entry.start_time_s:.2f}-{entry.start_time_s + entry.duration_s:.2f} s "
        f"({timing}, {entry.handedness or '?'}-handed)"
    )


def edge(
    source: Annotated[
        str, typer.Option("--source", "-s", help="Camera index (0), video file, or rtsp:// / http:// URL.")
    ],
    server: ServerOption = None,
    token: TokenOption = None,
    email: EmailOption = None,
    password: PasswordOption = None,
    library: LibraryOption = None,
    fast: Annotated[
        bool, typer.Option("--fast", help="Files: run flat out instead of at their frame rate.")
    ] = False,
    backend: Annotated[str, typer.Option(help="Pose backend.")] = "mediapipe-lite",
    threads: Annotated[int, typer.Option(min=1, max=16, help="Inference threads.")] = 2,
    full_rate: Annotated[
        bool, typer.Option("--full-rate", help="Pose on every frame (no adaptive rate), for comparison.")
    ] = False,
    idle_fps: Annotated[
        float | None, typer.Option(help="Pose rate with somebody in view, not at address.")
    ] = None,
    empty_fps: Annotated[float | None, typer.Option(help="Pose rate with nobody in view.")] = None,
    full_fps: Annotated[
        float | None, typer.Option(help="Pose rate from address on (default: every frame).")
    ] = None,
    upload: Annotated[
        UploadChoice | None,
        typer.Option(help="Send the keypoints (default) or the video clip instead (the server analyses it)."),
    ] = None,
    live_view: Annotated[
        bool, typer.Option("--live-view/--no-live-view", help="Serve the MJPEG live view.")
    ] = True,
    host: Annotated[
        str, typer.Option(help="Live view address (0.0.0.0: visible on the network).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Live view port.")] = 8090,
    mqtt: Annotated[
        str | None, typer.Option(help="MQTT broker host[:port] for telemetry (env SWINGCOACH_MQTT).")
    ] = None,
    device: Annotated[
        str | None, typer.Option(help="Device name (telemetry, payloads) (default: the host name).")
    ] = None,
    drain_timeout: Annotated[
        float, typer.Option(help="At the end of a file: seconds to wait for queued uploads.")
    ] = 10.0,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log uploads and retries.")] = False,
    sport: Annotated[
        SportChoice, typer.Option(help="golf (swings), or yoga / exercise: live label, accuracy, reps.")
    ] = SportChoice.golf,
    stream: Annotated[
        str | None,
        typer.Option(help="yoga / exercise: send the annotated live view to the server as stream NAME."),
    ] = None,
) -> None:
    """Run the device: find, cut and save every swing seen by a camera, file or stream; upload it.
    With --sport yoga or exercise: the live pose label, accuracy and guidance, or repetitions."""
    from swingcoach.edge.device import Device
    from swingcoach.edge.live_stream import LiveStream
    from swingcoach.edge.liveview import LiveView
    from swingcoach.edge.pacing import paced
    from swingcoach.edge.telemetry import Telemetry, parse_broker
    from swingcoach.pose import create_backend
    from swingcoach.video.source import open_source

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    out = Console()
    view = telemetry = sender = None
    try:
        settings = settings_from(
            library=library,
            server=server,
            token=token,
            email=email,
            password=password,
            idle_fps=idle_fps,
            empty_fps=empty_fps,
            full_fps=full_fps,
            adaptive=False if full_rate else None,
            upload=None if upload is None else upload.value,
            mqtt=mqtt,
            device=device,
        )
        if settings.mqtt:
            parse_broker(settings.mqtt)
        store = Library(settings.library)
        if settings.server:
            sender = make_sender(settings, store.db_path)
        pose_backend = create_backend(backend, threads=threads, live=True)
        video = open_source(source)
    except (SwingcoachError, ValueError) as error:
        fail(error)
        return
    try:
        if live_view:
            try:
                view = LiveView(host, port)
            except OSError as error:
                fail(SettingsError(f"live view cannot listen on {host}:{port}: {error.strerror}"))
            out.print(f"live view: {view.url}")
        if settings.mqtt:
            telemetry = Telemetry(settings.mqtt, settings.device, settings.mqtt_topic)
        if sport != SportChoice.golf:
            live = None
            if stream is not None:
                if not settings.server:
                    fail(SettingsError("--stream needs --server (and a token or an account)"))
                live = LiveStream(server_client(settings), stream)
                out.print(f"streaming to {settings.server}/v1/live/<your id>/{stream}/view.mjpeg")
            try:
                run_posture(
                    sport.value, pose_backend, video, view, telemetry, live, realtime=not fast, out=out
                )
            finally:
                if live is not None:
                    live.close()
            return
        if sender is not None:
            sender.start()

        def saved(entry: SwingEntry) -> None:
            out.print(describe(entry), highlight=False)
            if sender is not None:
                sender.wake.set()

        runner = Device(pose_backend, store, settings, live_view=view, telemetry=telemetry, on_saved=saved)
        is_file = video.info.frame_count is not None
        frames = paced(video) if is_file and not fast else iter(video)
        stop = threading.Event()  # SIGTERM (a service manager stopping the device) ends it cleanly
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        started, cpu_started = time.monotonic(), time.process_time()
        try:
            stats = runner.run(frames, video.info, realtime=not fast, stop=stop)
        except SwingcoachError as error:  # e.g. a file that turns out to be truncated
            fail(error)
            return
        wall, cpu = time.monotonic() - started, time.process_time() - cpu_started
        out.print(
            f"{stats.frames} frames in {wall:.1f} s "
            f"({stats.frames / max(wall, 1e-9):.1f} fps, {cpu:.1f} s CPU); "
            f"pose on {stats.posed} ({100 * stats.posed / max(stats.frames, 1):.0f}%), "
            f"{len(stats.swings)} swing(s) saved to {store.root}"
            + (f", {stats.failed_saves} could not be saved" if stats.failed_saves else ""),
            highlight=False,
        )
        if sender is not None:
            deadline = time.monotonic() + drain_timeout
            while sender.outbox.counts()["pending"] and time.monotonic() < deadline:
                time.sleep(0.2)
            out.print(upload_summary(sender.outbox.counts()), highlight=False)
        if stats.failed_saves:
            raise typer.Exit(1)
    finally:
        video.close()
        if sender is not None:
            sender.stop()
        if telemetry is not None:
            telemetry.close()
        if view is not None:
            view.close()


@library_app.command("list")
def list_swings(
    library: LibraryOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The saved swings, newest first, with their upload status."""
    from swingcoach.edge.outbox import Outbox

    store = Library(settings_from(library=library).library)
    outbox = Outbox(store.db_path)
    entries = store.entries()
    uploads = {str(e.id): outbox.status_of(str(e.id)) for e in entries}
    if as_json:
        rows = [
            {**e.model_dump(mode="json"), "uploads": {k: s for k, (s, _) in uploads[str(e.id)].items()}}
            for e in entries
        ]
        print(json.dumps(rows, indent=1))
        return
    table = Table(title=f"{len(entries)} swing(s) in {store.root}")
    for column in ("id", "recorded", "length", "hand", "view", "address", "finish", "upload"):
        table.add_column(column)
    for e in entries:
        table.add_row(
            str(e.id)[:8],
            e.recorded_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            f"{e.duration_s:.1f} s",
            e.handedness or "-",
            e.view or "-",
            f"{e.time_at(e.events.address):.2f} s" if e.events else "-",
            f"{e.time_at(e.events.finish):.2f} s" if e.events else "-",
            ", ".join(f"{kind} {status}" for kind, (status, _) in uploads[str(e.id)].items()) or "-",
        )
    Console().print(table)


@library_app.command()
def show(
    swing: Annotated[str, typer.Argument(help="Swing id (or its first characters).")],
    library: LibraryOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One swing: its times, events, files and upload status."""
    from swingcoach.edge.outbox import Outbox

    store = Library(settings_from(library=library).library)
    try:
        entry = store.get(swing)
    except SwingcoachError as error:
        fail(error)
        return
    folder = store.folder(entry.id)
    uploads = Outbox(store.db_path).status_of(str(entry.id))
    data = {
        **entry.model_dump(mode="json"),
        "files": {name: str(folder / name) for name in (CLIP, KEYPOINTS, THUMBNAIL)},
        "uploads": {kind: {"status": status, "error": error} for kind, (status, error) in uploads.items()},
    }
    if as_json:
        print(json.dumps(data, indent=1))
        return
    out = Console()
    out.print(describe(entry), highlight=False)
    out.print(
        f"source {entry.source}, frames {entry.first_frame}-{entry.first_frame + entry.frames - 1}"
        f" at {entry.fps:g} fps"
    )
    if entry.events:
        for name, frame in entry.events.model_dump().items():
            out.print(f"  {name:<19} frame {frame:>6}  {entry.time_at(frame):8.2f} s", highlight=False)
    for name, path in data["files"].items():
        out.print(f"  {name:<14} {path}", highlight=False)
    for kind, (status, error) in uploads.items():
        out.print(f"  upload {kind}: {status}" + (f" ({error})" if error else ""), highlight=False)


@library_app.command()
def delete(
    swings: Annotated[list[str], typer.Argument(help="Swing ids (or their first characters).")],
    library: LibraryOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Delete swings: files, index entry and any upload not yet sent."""
    store = Library(settings_from(library=library).library)
    try:
        entries = [store.get(key) for key in swings]
    except SwingcoachError as error:
        fail(error)
        return
    if not yes and not typer.confirm(f"delete {len(entries)} swing(s) from {store.root}?"):
        raise typer.Exit(1)
    for entry in entries:
        store.delete(entry.id)
        Console().print(f"deleted {entry.id}")


@library_app.command()
def upload(
    server: ServerOption = None,
    token: TokenOption = None,
    email: EmailOption = None,
    password: PasswordOption = None,
    library: LibraryOption = None,
    timeout: Annotated[
        float, typer.Option(help="Give up after this many seconds (what is left stays queued).")
    ] = 300.0,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each retry.")] = False,
) -> None:
    """Send everything still queued (after being offline); exits 1 if some is still pending."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    try:
        settings = settings_from(library=library, server=server, token=token, email=email, password=password)
        if not settings.server:
            raise SettingsError("no server: give --server or set SWINGCOACH_SERVER")
        sender = make_sender(settings, Library(settings.library).db_path)
        try:
            sender.drain(timeout)
        finally:
            sender.stop()
    except (SwingcoachError, ValueError) as error:
        fail(error)
        return
    counts = sender.outbox.counts()
    Console().print(upload_summary(counts), highlight=False)
    if counts["pending"]:
        raise typer.Exit(1)


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
