"""The device's one SQLite file: the swing library and the upload outbox.

One file, so that saving a swing and queueing its upload happen in one transaction: a crash can
never leave a saved swing that will not be uploaded. WAL mode lets the capture loop, the saver and
the sender (threads, or the `library` command in another process) use it at the same time.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS swings (
    id TEXT PRIMARY KEY,
    recorded_at TEXT NOT NULL,
    entry TEXT NOT NULL  -- SwingEntry JSON
);
CREATE TABLE IF NOT EXISTS outbox (
    swing_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('payload', 'clip')),
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    body TEXT,  -- payload JSON or clip path; cleared once delivered
    attempts INTEGER NOT NULL DEFAULT 0,
    http_status INTEGER,
    last_error TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (swing_id, kind)
);
CREATE INDEX IF NOT EXISTS outbox_by_status ON outbox (status, created_at);
"""


def connect(path: Path) -> sqlite3.Connection:
    """A connection for one unit of work; use as `with closing(connect(p)) as db, db: ...`."""
    db = sqlite3.connect(path, timeout=30.0, isolation_level="IMMEDIATE")
    db.execute("PRAGMA synchronous = FULL")  # a queued or delivered mark survives a power cut
    return db


def create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30.0)
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.executescript(SCHEMA)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    finally:
        db.close()
