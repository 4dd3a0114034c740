"""`swingcoach analyze`: every swing in a video (or, with --sport, the held poses or repetitions) to a
report folder."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from swingcoach.cli import CLUBS, EVENTS_HELP, SportChoice, backend_help, console, fail, progress_bar
from swingcoach.errors import InputError, SwingcoachError


class HandednessChoice(StrEnum):
    auto = "auto"
    right = "right"
    left = "left"


ClubChoice = StrEnum("ClubChoice", {club: club for club in CLUBS})


def existing_file(path: Path) -> Path:
    """Checked while the arguments are parsed, before any model loads: a mistyped name fails at once."""
    if not path.exists():
        fail(InputError(f"file not found: {path}"))
    return path


def quarter_turn(value: int | None) -> int | None:
    if value is not None and value not in (0, 90, 180, 270):
        raise typer.BadParameter("use 0, 90, 180 or 270")
    return value


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


def analyze(
    video: Annotated[
        Path,
        typer.Argument(
            help="Video file (mp4, mov, avi, webm, mkv); an image for yoga.", callback=existing_file
        ),
    ],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Report folder (default: <video name>_swingcoach).")
    ] = None,
    backend: Annotated[str, typer.Option(help=backend_help("Pose backend"))] = "blazepose-full",
    events: Annotated[str | None, typer.Option(help=EVENTS_HELP)] = None,
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
    rotate: Annotated[
        int | None,
        typer.Option(
            help="Turn the picture 0, 90, 180 or 270 degrees clockwise from how the file shows it "
            "(default: as it is, and turned when no upright golfer is seen).",
            callback=quarter_turn,
        ),
    ] = None,
) -> None:
    """Analyse every swing in a video and write a report folder (report.html, report.json, annotated.mp4);
    with --sport yoga or exercise, the held poses or the repetitions instead."""
    if sport != SportChoice.golf:
        analyze_posture(video, out or Path(f"{video.stem}_swingcoach"), sport.value, backend)
        return
    from swingcoach.pose import create_backend
    from swingcoach.report.writer import write_video_report
    from swingcoach.swing.events import create_event_detector
    from swingcoach.video.source import open_source

    out_dir = out or Path(f"{video.stem}_swingcoach")
    try:
        with open_source(video) as probe:
            total = probe.info.frame_count
        pose_backend = create_backend(backend, threads=threads)
        detector = create_event_detector(events)
        chosen = None if handedness == "auto" else handedness.value
        # One bar over both passes: the poses and swings, then the annotated video and the report.
        with progress_bar("pose, then report", None if total is None else 2 * total) as tick:
            report = write_video_report(
                video,
                out_dir,
                pose_backend,
                detector,
                chosen,
                club.value,
                rotate,
                on_pose_frame=tick,
                on_render_frame=lambda index: tick(index + (total or 0)),
            )
    except (SwingcoachError, ValueError) as error:
        fail(error)
        return
    if report.source.turned:
        console.print(
            f"turned the picture {report.source.turned}° clockwise"
            + ("" if rotate is not None else " (no upright golfer the file's way up; --rotate to choose)"),
            highlight=False,
        )
    table = Table(title=f"{len(report.swings)} swing(s) in {video.name}")
    for column in ("swing", "frames", "hand", "view", "score", "top advice"):
        table.add_column(column)
    for swing in report.swings:
        advice = swing.faults[0][1] if swing.faults else "-"
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
