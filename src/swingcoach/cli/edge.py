"""`swingcoach edge`: the device. Finds, cuts and saves every swing it sees, and uploads it (or, for
yoga and exercise, labels the live pose). Needs the `edge` extra."""

from __future__ import annotations

import logging
import signal
import threading
import time
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from swingcoach.cli import SportChoice, backend_help, fail, needs_extra
from swingcoach.cli.library import (
    EmailOption,
    LibraryOption,
    PasswordOption,
    ServerOption,
    TokenOption,
    describe,
    make_sender,
    server_client,
    settings_from,
    upload_summary,
)
from swingcoach.errors import SwingcoachError

if TYPE_CHECKING:
    from swingcoach.edge.library import SwingEntry
    from swingcoach.edge.live_stream import LiveStream
    from swingcoach.edge.liveview import LiveView
    from swingcoach.edge.telemetry import Telemetry
    from swingcoach.pose.base import PoseBackend
    from swingcoach.video.source import FrameSource


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


@needs_extra("edge", "edge")
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
    backend: Annotated[str, typer.Option(help=backend_help("Pose backend"))] = "blazepose-lite",
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
    from swingcoach.edge.library import Library
    from swingcoach.edge.live_stream import LiveStream
    from swingcoach.edge.liveview import LiveView
    from swingcoach.edge.pacing import paced
    from swingcoach.edge.settings import SettingsError
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
