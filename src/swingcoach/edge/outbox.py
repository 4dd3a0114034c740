"""The durable upload queue: one row per swing and kind (keypoint payload, optional clip).

Rows stay `pending` until the server answers 2xx (`delivered`) or rejects them for good with a 4xx
(`failed`, with the server's message). The swing id is the idempotency key, so sending a row again
after a crash between the server's answer and our commit is harmless: the server keeps one swing.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from swingcoach.edge import db

Kind = Literal["payload", "clip"]
Status = Literal["pending", "delivered", "failed"]


@dataclass(frozen=True)
class OutboxItem:
    swing_id: str
    kind: Kind
    body: str  # payload JSON, or the clip's path
    attempts: int


def enqueue(
    conn: sqlite3.Connection, swing_id: str, kind: Kind, body: str | None, failed_reason: str | None = None
) -> None:
    """Queue inside the caller's transaction (the library saves a swing and queues it atomically).
    A swing that cannot be sent at all (`failed_reason`) is queued as failed, so it shows up."""
    now = time.time()
    conn.execute(
        "INSERT INTO outbox (swing_id, kind, status, body, last_error, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (swing_id, kind) DO NOTHING",
        (swing_id, kind, "failed" if failed_reason else "pending", body, failed_reason, now, now),
    )


class Outbox:
    def __init__(self, path: Path) -> None:
        self.path = path
        db.create(path)

    def add(self, swing_id: str, kind: Kind, body: str) -> None:
        with closing(db.connect(self.path)) as conn, conn:
            enqueue(conn, swing_id, kind, body)

    def next_pending(self) -> OutboxItem | None:
        """The oldest pending row; a swing's payload goes before its clip."""
        with closing(db.connect(self.path)) as conn:
            row = conn.execute(
                "SELECT swing_id, kind, body, attempts FROM outbox WHERE status = 'pending'"
                " ORDER BY created_at, kind = 'clip' LIMIT 1"
            ).fetchone()
        return None if row is None else OutboxItem(*row)

    def _update(self, item: OutboxItem, sql: str, *params: object) -> None:
        with closing(db.connect(self.path)) as conn, conn:
            conn.execute(
                f"UPDATE outbox SET {sql}, updated_at = ? WHERE swing_id = ? AND kind = ?",
                (*params, time.time(), item.swing_id, item.kind),
            )

    def delivered(self, item: OutboxItem, http_status: int) -> None:
        self._update(
            item, "status = 'delivered', body = NULL, http_status = ?, last_error = NULL", http_status
        )

    def failed(self, item: OutboxItem, http_status: int | None, message: str) -> None:
        self._update(item, "status = 'failed', http_status = ?, last_error = ?", http_status, message)

    def attempt_failed(self, item: OutboxItem, http_status: int | None, message: str) -> None:
        """A retryable failure: the row stays pending."""
        self._update(item, "attempts = attempts + 1, http_status = ?, last_error = ?", http_status, message)

    def counts(self) -> dict[Status, int]:
        with closing(db.connect(self.path)) as conn:
            rows = conn.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall()
        counts: dict[Status, int] = {"pending": 0, "delivered": 0, "failed": 0}
        counts.update(dict(rows))
        return counts

    def status_of(self, swing_id: str) -> dict[Kind, tuple[Status, str | None]]:
        """Per kind: the status and the last error, for `library show`."""
        with closing(db.connect(self.path)) as conn:
            rows = conn.execute(
                "SELECT kind, status, last_error FROM outbox WHERE swing_id = ?", (swing_id,)
            ).fetchall()
        return {kind: (status, error) for kind, status, error in rows}
