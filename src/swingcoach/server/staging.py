"""Chunks of a resumable clip upload (PUT /v1/swings/{id}/clip), kept until the clip is whole.

One file per user and swing, `<root>/<user id>/<swing id>.part`, beside `<swing id>.json` holding the
total size the first chunk announced: names are made of ids only. The bytes received so far are the
file's size, so a client resumes exactly where the server is. Every change happens under an
exclusive lock on the part file (flock), so API processes sharing the folder take turns per upload;
whoever waited for the lock checks that the file is still the one at the path (it may have been
completed or swept meanwhile) and opens it again if not.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from swingcoach.server.core.logging import get_logger

PART = ".part"
META = ".json"
log = get_logger(__name__)


@dataclass(frozen=True)
class Staged:
    """How far an upload is: `total` is None until a first chunk announced it."""

    received: int
    total: int | None


class StagingMismatch(ValueError):
    """The chunk does not continue the staged upload: another offset, or another total."""

    def __init__(self, staged: Staged, message: str) -> None:
        super().__init__(message)
        self.staged = staged


class StagedUpload:
    """One upload's part file, open and locked until `close`."""

    def __init__(self, part: Path, meta: Path, file: BinaryIO) -> None:
        self.part, self.meta, self.file = part, meta, file
        self.total = _read_total(meta)
        size = self.received
        if self.total is None or size > self.total:
            # A first chunk that never got to announce its total (or a broken pair): start afresh.
            self.file.truncate(0)
            self.meta.unlink(missing_ok=True)
            self.total = None

    @property
    def received(self) -> int:
        return os.fstat(self.file.fileno()).st_size

    def staged(self) -> Staged:
        return Staged(self.received, self.total)

    def append(self, start: int, total: int, data: bytes) -> Staged:
        """Add the chunk that starts at `start`: StagingMismatch unless it continues the upload."""
        received = self.received
        if self.total is not None and total != self.total:
            raise StagingMismatch(
                self.staged(),
                f"this upload was started with a total of {self.total} bytes, not {total}; "
                "finish it, or DELETE it to start another",
            )
        if start != received:
            raise StagingMismatch(
                self.staged(), f"the next chunk starts at byte {received}, not {start}; resume from there"
            )
        if start + len(data) > total:
            raise ValueError("the chunk goes past the total")
        if self.total is None:
            tmp = self.meta.with_name(self.meta.name + ".tmp")
            tmp.write_text(json.dumps({"total": total}))
            tmp.replace(self.meta)
            self.total = total
        self.file.seek(received)
        try:
            self.file.write(data)
            self.file.flush()
        except BaseException:
            self.file.truncate(received)  # a half-written chunk is not received: the offset stays exact
            raise
        return self.staged()

    def reader(self) -> BinaryIO:
        return self.part.open("rb")

    def discard(self) -> None:
        """Delete the staged upload (the lock is still held: nobody appends meanwhile)."""
        self.part.unlink(missing_ok=True)
        self.meta.unlink(missing_ok=True)
        _drop_if_empty(self.part.parent)

    def close(self) -> None:
        self.file.close()  # closing the descriptor releases the lock


class UploadStaging:
    """The staging folder of unfinished clip uploads."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _paths(self, user_id: uuid.UUID, swing_id: uuid.UUID) -> tuple[Path, Path]:
        # str(UUID) is 36 characters of hex and dashes: nothing in it can leave the folder.
        folder = self.root / str(uuid.UUID(str(user_id)))
        name = str(uuid.UUID(str(swing_id)))
        return folder / f"{name}{PART}", folder / f"{name}{META}"

    def state(self, user_id: uuid.UUID, swing_id: uuid.UUID) -> Staged | None:
        """Where the upload stands (read without the lock), None when nothing is staged."""
        part, meta = self._paths(user_id, swing_id)
        try:
            size = part.stat().st_size
        except FileNotFoundError:
            return None
        total = _read_total(meta)
        if total is None:
            return Staged(0, None)
        return Staged(min(size, total), total)

    def lock(self, user_id: uuid.UUID, swing_id: uuid.UUID, create: bool) -> StagedUpload | None:
        """The upload's part file, locked (waits for another holder); None when there is none and
        `create` is false."""
        part, meta = self._paths(user_id, swing_id)
        while True:
            if create:
                part.parent.mkdir(parents=True, exist_ok=True)
            try:
                descriptor = os.open(part, os.O_RDWR | (os.O_CREAT if create else 0), 0o600)
            except FileNotFoundError:
                if create:
                    continue  # the sweep removed the empty folder in between
                return None
            file = os.fdopen(descriptor, "r+b")
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            if _still_at(descriptor, part):
                return StagedUpload(part, meta, file)
            file.close()  # completed or swept while we waited: that one is gone

    def discard(self, user_id: uuid.UUID, swing_id: uuid.UUID) -> bool:
        """Delete the staged upload of the swing, if any; whether there was one."""
        upload = self.lock(user_id, swing_id, create=False)
        if upload is None:
            return False
        try:
            upload.discard()
        finally:
            upload.close()
        return True

    def announced_bytes(self, user_id: uuid.UUID, excluding: uuid.UUID) -> int:
        """The sizes the user's other unfinished uploads announced: what a new one must fit beside,
        so the staged bytes of one account stay within its quota however many uploads it opens."""
        folder = self.root / str(uuid.UUID(str(user_id)))
        skip = f"{uuid.UUID(str(excluding))}{META}"
        return sum(_read_total(meta) or 0 for meta in folder.glob(f"*{META}") if meta.name != skip)

    def discard_user(self, user_id: uuid.UUID) -> None:
        """Every staged upload of the user (the account is deleted)."""
        shutil.rmtree(self.root / str(uuid.UUID(str(user_id))), ignore_errors=True)

    def sweep(self, max_age_s: float) -> int:
        """Delete the uploads that received nothing for `max_age_s`; how many. One being written
        to (locked) is left alone."""
        if not self.root.is_dir():
            return 0
        cutoff = time.time() - max_age_s
        removed = 0
        for folder in self.root.iterdir():
            if not folder.is_dir():
                continue
            for part in folder.glob(f"*{PART}"):
                removed += _remove_if_stale(part, part.with_suffix(META), cutoff)
            for leftover in folder.iterdir():  # totals without their part, half-written totals
                if (
                    leftover.suffix != PART
                    and not leftover.with_name(leftover.name.split(".")[0] + PART).exists()
                ):
                    _unlink_if_older(leftover, cutoff)
            _drop_if_empty(folder)
        return removed


def _read_total(meta: Path) -> int | None:
    try:
        total = json.loads(meta.read_text())["total"]
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None
    return total if isinstance(total, int) and total > 0 else None


def _still_at(descriptor: int, path: Path) -> bool:
    try:
        return path.stat().st_ino == os.fstat(descriptor).st_ino
    except FileNotFoundError:
        return False


def _remove_if_stale(part: Path, meta: Path, cutoff: float) -> int:
    try:
        if part.stat().st_mtime >= cutoff:
            return 0
        descriptor = os.open(part, os.O_RDWR)
    except FileNotFoundError:
        return 0
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return 0  # a chunk is arriving right now
        if not _still_at(descriptor, part) or os.fstat(descriptor).st_mtime >= cutoff:
            return 0
        part.unlink(missing_ok=True)
        meta.unlink(missing_ok=True)
        log.info("stale upload staging deleted", path=str(part.relative_to(part.parents[1])))
        return 1
    finally:
        os.close(descriptor)


def _unlink_if_older(path: Path, cutoff: float) -> None:
    with suppress(FileNotFoundError):
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink()


def _drop_if_empty(folder: Path) -> None:
    with suppress(OSError):  # not empty, or already gone
        folder.rmdir()
