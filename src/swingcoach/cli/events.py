"""`swingcoach events`: the 8 events of every swing in a precomputed landmark array, found as
`analyze` finds them (the same swing cut, handedness and event window: `pipeline.analyze_poses`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from swingcoach.cli import EVENTS_HELP, fail
from swingcoach.errors import SwingcoachError


def events_command(
    landmarks: Annotated[
        Path, typer.Option(help="MediaPipe-33 landmark file (.npz with 'landmarks' (T,33,4)).")
    ],
    fps: Annotated[float | None, typer.Option(help="Frame rate (default: from the file, else 30).")] = None,
    events: Annotated[str | None, typer.Option(help=EVENTS_HELP)] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help='Print {"events": [8 ints of the first swing], "swings": [{"start_frame", "end_frame", '
            '"events"}]}.',
        ),
    ] = False,
) -> None:
    """Find every swing and its 8 events in a precomputed landmark array (indices into that array),
    as `analyze` does on a video: run on a video's own landmarks, the two differ only where the
    landmarks differ from the poses `analyze` computes."""
    from swingcoach.pipeline import analyze_poses
    from swingcoach.pose.landmark_files import load_landmark_file
    from swingcoach.swing.events import EVENT_NAMES, create_event_detector

    try:
        sequence = load_landmark_file(landmarks, fps)
        swings = [a.report for a in analyze_poses(sequence, create_event_detector(events))]
    except (SwingcoachError, ValueError) as error:
        fail(error)
        return
    found = [
        {
            "start_frame": s.start_frame,
            "end_frame": s.end_frame,
            "events": list(s.events.model_dump().values()),
        }
        for s in swings
    ]
    if as_json:
        print(json.dumps({"events": found[0]["events"], "swings": found}))
        return
    table = Table(title=f"events in {landmarks.name} ({sequence.fps:g} fps)")
    table.add_column("event")
    for number, swing in enumerate(found, 1):
        table.add_column(
            f"swing {number} (frames {swing['start_frame']}-{swing['end_frame']})", justify="right"
        )
    for row, name in enumerate(EVENT_NAMES):
        table.add_row(name, *(f"{s['events'][row]} ({s['events'][row] / sequence.fps:.2f} s)" for s in found))
    Console().print(table)
