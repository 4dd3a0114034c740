"""The local library: a swing is indexed and queued in one step, found by id prefix, deleted with
its files and pending upload, and whatever a crash leaves half-written is swept away."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from swingcoach.edge.library import Library, LibraryError, SwingEntry
from swingcoach.edge.outbox import Outbox
from swingcoach.schemas import ModelVersions


def entry(swing_id: uuid.UUID, minutes: int = 0) -> SwingEntry:
    return SwingEntry(
        id=swing_id,
        recorded_at=datetime(2025, 5, 1, 10, tzinfo=UTC) + timedelta(minutes=minutes),
        source="camera:0",
        fps=30.0,
        width=360,
        height=640,
        first_frame=0,
        frames=90,
        start_time_s=0.0,
        takeaway_frame=30,
        top_frame=50,
        impact_frame=60,
        finish_frame=75,
        models=ModelVersions(),
    )


def stage(library: Library, swing_id: uuid.UUID) -> None:
    folder = library.staging(swing_id)
    folder.mkdir()
    (folder / "clip.mp4").write_bytes(b"clip")


def test_add_list_get_and_delete(tmp_path: Path) -> None:
    library = Library(tmp_path)
    first, second = uuid.UUID(int=0xABC << 116), uuid.UUID(int=0xABD << 116)  # abc00000-..., abd00000-...
    for minutes, swing_id in enumerate((first, second)):
        stage(library, swing_id)
        library.add(entry(swing_id, minutes), [("payload", '{"swing": 1}', None)])
    assert [e.id for e in library.entries()] == [second, first]  # newest first
    assert (library.folder(first) / "clip.mp4").read_bytes() == b"clip"
    assert library.get("ABd").id == second
    with pytest.raises(LibraryError, match="several"):
        library.get("ab")
    with pytest.raises(LibraryError, match="no swing"):
        library.get("0123")
    with pytest.raises(LibraryError, match="not a swing id"):
        library.get("%")
    outbox = Outbox(library.db_path)
    assert outbox.counts()["pending"] == 2
    library.delete(first)
    assert [e.id for e in library.entries()] == [second]
    assert not library.folder(first).exists()
    assert outbox.status_of(str(first)) == {}


def test_a_swing_that_cannot_be_moved_into_place_is_not_indexed(tmp_path: Path) -> None:
    library = Library(tmp_path)
    swing_id = uuid.uuid4()
    with pytest.raises(FileNotFoundError):
        library.add(entry(swing_id), [("payload", "{}", None)])  # nothing was staged
    assert library.entries() == []
    assert Outbox(library.db_path).counts() == {"pending": 0, "delivered": 0, "failed": 0}


def test_an_unsendable_swing_is_kept_and_shown_as_failed(tmp_path: Path) -> None:
    library = Library(tmp_path)
    swing_id = uuid.uuid4()
    stage(library, swing_id)
    library.add(entry(swing_id), [("payload", None, "not sendable: too long")])
    assert library.get(str(swing_id)).id == swing_id
    assert Outbox(library.db_path).status_of(str(swing_id)) == {
        "payload": ("failed", "not sendable: too long")
    }


def test_sweep_removes_what_a_crash_left(tmp_path: Path) -> None:
    library = Library(tmp_path)
    kept, crashed = uuid.uuid4(), uuid.uuid4()
    stage(library, kept)
    library.add(entry(kept))
    stage(library, crashed)  # the device died while this swing was being written
    orphan = library.folder(uuid.uuid4())
    orphan.mkdir()  # moved into place, but the index transaction never committed
    assert library.sweep() == 2
    assert [p.name for p in library.swings_dir.iterdir()] == [str(kept)]
