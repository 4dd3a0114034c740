"""The local swing library: one folder per swing (clip.mp4, keypoints.npz, thumbnail.jpg) indexed
in SQLite next to the upload outbox.

A swing is assembled in `swings/<id>.partial/` and renamed into place in the same transaction that
indexes it and queues its upload, so the library never lists a half-written swing.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from contextlib import closing
from datetime import datetime
from pathlib import Path
from uuid import UUID

from pydantic import BaseModel

from swingcoach.edge import db
from swingcoach.edge.outbox import Kind, enqueue
from swingcoach.errors import SwingcoachError
from swingcoach.schemas import EventFrames, Handedness, ModelVersions, View

DB_NAME = "library.sqlite"
CLIP = "clip.mp4"
KEYPOINTS = "keypoints.npz"
THUMBNAIL = "thumbnail.jpg"
PARTIAL = ".partial"


class LibraryError(SwingcoachError):
    exit_code = 2


class SwingEntry(BaseModel):
    """What the device knows about a saved swing. Frames are indices into the source stream."""

    id: UUID
    recorded_at: datetime
    source: str
    fps: float
    width: int
    height: int
    first_frame: int  # the clip's first frame
    frames: int
    start_time_s: float  # stream time of the clip's first frame
    takeaway_frame: int  # from the swing finder
    top_frame: int
    impact_frame: int
    finish_frame: int
    handedness: Handedness | None = None
    view: View | None = None
    events: EventFrames | None = None  # the on-device event detector's 8 events
    models: ModelVersions

    def time_at(self, frame: int) -> float:
        return self.start_time_s + (frame - self.first_frame) / self.fps

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps


class Library:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.swings_dir = root / "swings"
        self.swings_dir.mkdir(parents=True, exist_ok=True)
        self.db_path = root / DB_NAME
        db.create(self.db_path)

    def folder(self, swing_id: UUID | str) -> Path:
        return self.swings_dir / str(swing_id)

    def staging(self, swing_id: UUID | str) -> Path:
        return self.swings_dir / f"{swing_id}{PARTIAL}"

    def add(self, entry: SwingEntry, uploads: Sequence[tuple[Kind, str | None, str | None]] = ()) -> None:
        """Index the staged swing, queue its uploads as (kind, body, failed reason), move it in place."""
        staged, folder = self.staging(entry.id), self.folder(entry.id)
        with closing(db.connect(self.db_path)) as conn, conn:
            conn.execute(
                "INSERT INTO swings (id, recorded_at, entry) VALUES (?, ?, ?)",
                (str(entry.id), entry.recorded_at.isoformat(), entry.model_dump_json()),
            )
            for kind, body, failed_reason in uploads:
                enqueue(conn, str(entry.id), kind, body, failed_reason)
            staged.rename(folder)  # inside the transaction: a failed rename indexes nothing

    def entries(self) -> list[SwingEntry]:
        """Newest first."""
        with closing(db.connect(self.db_path)) as conn:
            rows = conn.execute("SELECT entry FROM swings ORDER BY recorded_at DESC").fetchall()
        return [SwingEntry.model_validate_json(row[0]) for row in rows]

    def get(self, key: str) -> SwingEntry:
        """A swing by its id or a unique prefix of it."""
        if not key or not all(c in "0123456789abcdef-" for c in key.lower()):
            raise LibraryError(f"not a swing id: {key!r}")
        with closing(db.connect(self.db_path)) as conn:
            rows = conn.execute(
                "SELECT entry FROM swings WHERE id LIKE ? LIMIT 2", (key.lower() + "%",)
            ).fetchall()
        if not rows:
            raise LibraryError(f"no swing {key!r} in {self.root}")
        if len(rows) > 1:
            raise LibraryError(f"{key!r} matches several swings; give more of the id")
        return SwingEntry.model_validate_json(rows[0][0])

    def delete(self, swing_id: UUID) -> None:
        """Remove the swing, its files and its not-yet-sent uploads."""
        with closing(db.connect(self.db_path)) as conn, conn:
            conn.execute("DELETE FROM swings WHERE id = ?", (str(swing_id),))
            conn.execute("DELETE FROM outbox WHERE swing_id = ?", (str(swing_id),))
        shutil.rmtree(self.folder(swing_id), ignore_errors=True)

    def sweep(self) -> int:
        """Remove what a crash left behind: staging folders and folders nothing indexes. Only the
        process that saves swings calls this, at start, before it saves any."""
        with closing(db.connect(self.db_path)) as conn:
            indexed = {row[0] for row in conn.execute("SELECT id FROM swings")}
        leftovers = [path for path in self.swings_dir.iterdir() if path.name not in indexed]
        for path in leftovers:
            shutil.rmtree(path, ignore_errors=True)
        return len(leftovers)
