"""`swingcoach events`: the 8 swing events of a precomputed landmark array."""

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
    as_json: Annotated[bool, typer.Option("--json", help='Print {"events": [8 ints]}.')] = False,
) -> None:
    """Find the 8 swing events in a precomputed landmark array (indices into that array)."""
    from swingcoach.pose.landmark_files import load_landmark_file
    from swingcoach.swing.events import EVENT_NAMES, create_event_detector

    try:
        sequence = load_landmark_file(landmarks, fps)
        found = create_event_detector(events).detect(sequence)
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
