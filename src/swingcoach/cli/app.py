"""The `swingcoach` command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, get_args

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from swingcoach.cli import console, fail
from swingcoach.cli.bench import bench_app
from swingcoach.cli.edge import edge, library_app
from swingcoach.cli.export import export_app
from swingcoach.cli.posture import posture_app
from swingcoach.cli.serve import serve
from swingcoach.cli.train import train_app
from swingcoach.errors import SwingcoachError
from swingcoach.schemas import Club

app = typer.Typer(
    name="swingcoach",
    help="Golf swing analysis: swings, 8 events, metrics against tour ranges, score and advice.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(bench_app, name="bench")
app.add_typer(train_app, name="train")
app.add_typer(export_app, name="export")
app.add_typer(library_app, name="library")
app.add_typer(posture_app, name="posture")
app.command("edge")(edge)
app.command("serve")(serve)


class HandednessChoice(StrEnum):
    auto = "auto"
    right = "right"
    left = "left"


ClubChoice = StrEnum("ClubChoice", {club: club for club in get_args(Club)})


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A Rich progress bar; yields a callback taking the index of the frame just done."""
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task(description, total=total)
        yield lambda index: progress.update(task, completed=index + 1)


class SportChoice(StrEnum):
    golf = "golf"
    yoga = "yoga"
    exercise = "exercise"


def analyze_posture(source: Path, out_dir: Path, sport: str, backend: str) -> None:
    from swingcoach.cli.posture import posture_table
    from swingcoach.posture.keypoints import IMAGE_SUFFIXES, load_any
    from swingcoach.report.posture import write_posture_report

    try:
        sequence = load_any(source, backend)
        report = write_posture_report(
            out_dir, source, sequence, sport, source.suffix.lower() in IMAGE_SUFFIXES
        )
    except (SwingcoachError, ValueError) as error:
        fail(error)
        return
    Console().print(posture_table(report))
    Console().print(f"report: {out_dir / 'report.html'}")


@app.command()
def analyze(
    video: Annotated[Path, typer.Argument(help="Video file (mp4, mov, avi, webm, mkv); an image for yoga.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Report folder (default: <video name>_swingcoach).")
    ] = None,
    backend: Annotated[
        str, typer.Option(help="Pose backend: mediapipe-full, mediapipe-lite, ...")
    ] = "mediapipe-full",
    events: Annotated[
        str | None, typer.Option(help="Event detector: learned (default), learned-int8 or rules.")
    ] = None,
    handedness: Annotated[
        HandednessChoice, typer.Option(help="Override the detected handedness.")
    ] = HandednessChoice.auto,
    club: Annotated[
        ClubChoice, typer.Option(help="The club swung: for the ball flight and the tour comparison.")
    ] = ClubChoice.driver,
    threads: Annotated[int, typer.Option(min=1, max=16, help="Inference threads.")] = 2,
    sport: Annotated[SportChoice, typer.Option(help="golf (swings), yoga (held poses) or exercise.")] = (
        SportChoice.golf
    ),
) -> None:
    """Analyse every swing in a video and write a report folder (report.html, report.json, annotated.mp4);
    with --sport yoga or exercise, the held poses or the repetitions instead."""
    if sport != SportChoice.golf:
        analyze_posture(video, out or Path(f"{video.stem}_swingcoach"), sport.value, backend)
        return
    from swingcoach.pipeline import analyze_video, model_versions
    from swingcoach.pose import create_backend
    from swingcoach.report.writer import write_report_folder
    from swingcoach.swing.events import create_event_detector
    from swingcoach.video.source import open_source

    out_dir = out or Path(f"{video.stem}_swingcoach")
    try:
        pose_backend = create_backend(backend, threads=threads)
        detector = create_event_detector(events)
        with open_source(video) as probe:
            total = probe.info.frame_count
        chosen = None if handedness == "auto" else handedness.value
        with progress_bar("pose", total) as tick:
            sequence, info, analyses = analyze_video(
                video, pose_backend, detector, chosen, tick, club=club.value
            )
        models = model_versions(pose_backend.version, detector)
        with progress_bar("report", len(sequence)) as tick:
            report = write_report_folder(out_dir, info, sequence, analyses, models, tick)
    except (SwingcoachError, ValueError) as error:
        fail(error)
        return
    table = Table(title=f"{len(report.swings)} swing(s) in {video.name}")
    for column in ("swing", "frames", "hand", "view", "score", "top advice"):
        table.add_column(column)
    for swing in report.swings:
        advice = swing.metrics[swing.advice[0].metric].label if swing.advice else "-"
        table.add_row(
            str(swing.index + 1),
            f"{swing.start_frame}-{swing.end_frame}",
            swing.handedness,
            swing.view,
            "-" if swing.score is None else f"{swing.score:.0f} ({swing.scored_metrics} metrics)",
            advice,
        )
    Console().print(table)
    Console().print(f"report: {out_dir / 'report.html'}")


@app.command("events")
def events_command(
    landmarks: Annotated[
        Path, typer.Option(help="MediaPipe-33 landmark file (.npz with 'landmarks' (T,33,4)).")
    ],
    fps: Annotated[float | None, typer.Option(help="Frame rate (default: from the file, else 30).")] = None,
    detector: Annotated[
        str | None, typer.Option(help="Event detector: learned (default), learned-int8 or rules.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help='Print {"events": [8 ints]}.')] = False,
) -> None:
    """Find the 8 swing events in a precomputed landmark array (indices into that array)."""
    from swingcoach.pose.landmark_files import load_landmark_file
    from swingcoach.swing.events import EVENT_NAMES, create_event_detector

    try:
        sequence = load_landmark_file(landmarks, fps)
        found = create_event_detector(detector).detect(sequence)
    except (SwingcoachError, ValueError) as error:
        fail(error)
        return
    if as_json:
        print(json.dumps({"events": list(found.frames)}))
        return
    table = Table(title=f"events in {landmarks.name} ({sequence.fps:g} fps)")
    table.add_column("event")
    table.add_column("frame", justify="right")
    table.add_column("time (s)", justify="right")
    for name, frame in zip(EVENT_NAMES, found.frames, strict=True):
        table.add_row(name, str(frame), f"{frame / sequence.fps:.2f}")
    Console().print(table)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
