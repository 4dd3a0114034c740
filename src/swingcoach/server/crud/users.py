"""Accounts, their logins (refresh-token families), and the account's data as one archive or gone."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from swingcoach.server.core.logging import get_logger
from swingcoach.server.core.security import new_refresh_token, token_digest, verify_password
from swingcoach.server.models import Job, Notification, RefreshToken, Swing, User
from swingcoach.server.services import Services
from swingcoach.server.storage import CHUNK

log = get_logger(__name__)


def create_user(sessions: sessionmaker[Session], email: str, password_hash: str) -> bool:
    """Add the account; False (and nothing changed) when the email has one already."""
    try:
        with sessions.begin() as session:
            session.add(User(id=uuid.uuid4(), email=email, password_hash=password_hash))
    except IntegrityError:
        return False
    return True


def authenticate(sessions: sessionmaker[Session], email: str, password: str) -> User | None:
    with sessions() as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
    ok = verify_password(user.password_hash if user is not None else None, password)
    return user if ok else None


def set_webhook(session: Session, user: User, url: str | None, secret: str | None) -> None:
    user.webhook_url = url
    user.webhook_secret = secret if url is not None else None


@dataclass(frozen=True)
class Login:
    user_id: uuid.UUID
    session_id: uuid.UUID  # the refresh-token family; access tokens carry it as `sid`
    refresh_token: str
    expires_at: datetime


class RefreshReused(Exception):
    """A refresh token was shown after it had been rotated: someone else holds a copy."""

    def __init__(self, user_id: uuid.UUID, session_id: uuid.UUID) -> None:
        super().__init__("this refresh token was already used; the login is revoked, log in again")
        self.user_id, self.session_id = user_id, session_id


def _issue(session: Session, user_id: uuid.UUID, family_id: uuid.UUID, days: float) -> Login:
    token = new_refresh_token()
    expires_at = datetime.now(UTC) + timedelta(days=days)
    session.add(
        RefreshToken(
            user_id=user_id, family_id=family_id, token_sha256=token_digest(token), expires_at=expires_at
        )
    )
    return Login(user_id, family_id, token, expires_at)


def start_login(sessions: sessionmaker[Session], user_id: uuid.UUID, days: float) -> Login:
    with sessions.begin() as session:
        return _issue(session, user_id, uuid.uuid4(), days)


def rotate_login(sessions: sessionmaker[Session], token: str, days: float) -> Login | None:
    """The next refresh token of the login `token` belongs to, or None when it is unknown, expired
    or revoked. Raises RefreshReused (and revokes the login) when `token` was rotated already."""
    now = datetime.now(UTC)
    with sessions.begin() as session:
        row = session.scalar(select(RefreshToken).where(RefreshToken.token_sha256 == token_digest(token)))
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            return None
        # Only one of two racing rotations marks the token used; the other one is a reuse.
        claimed = session.execute(
            update(RefreshToken)
            .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None))
            .values(used_at=now)
        ).rowcount
        if claimed:
            return _issue(session, row.user_id, row.family_id, days)
    _revoke_family(sessions, row.family_id)
    raise RefreshReused(row.user_id, row.family_id)


def _revoke_family(sessions: sessionmaker[Session], family_id: uuid.UUID) -> None:
    with sessions.begin() as session:
        session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )


def end_login(sessions: sessionmaker[Session], token: str) -> uuid.UUID | None:
    """Revoke the login of this refresh token; its session id, or None for an unknown token."""
    with sessions() as session:
        family_id = session.scalar(
            select(RefreshToken.family_id).where(RefreshToken.token_sha256 == token_digest(token))
        )
    if family_id is not None:
        _revoke_family(sessions, family_id)
    return family_id


def revoke_session(sessions: sessionmaker[Session], user_id: uuid.UUID, session_id: uuid.UUID) -> None:
    """Revoke a login by its id, when it is this user's (logout with only an access token)."""
    with sessions.begin() as session:
        session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.family_id == session_id,
                RefreshToken.user_id == user_id,
                RefreshToken.revoked_at.is_(None),
            )
            .values(revoked_at=datetime.now(UTC))
        )


def delete_account(services: Services, user_id: uuid.UUID) -> int:
    """Every row of the user, then their unfinished uploads and every stored clip of theirs; the
    number of clips removed."""
    with services.sessions.begin() as session:
        keys = set(
            session.scalars(
                select(Swing.video_key).where(Swing.user_id == user_id, Swing.video_key.is_not(None))
            )
        )
        # Children first: no reliance on ON DELETE CASCADE being switched on.
        for table in (Notification, Job, RefreshToken, Swing):
            session.execute(delete(table).where(table.user_id == user_id))
        session.execute(delete(User).where(User.id == user_id))
    services.staging.discard_user(user_id)
    for key in sorted(keys):
        try:
            services.storage.delete(key)
        except Exception as error:  # the rows are gone either way; a leftover clip is logged
            log.error("could not delete a clip of a deleted account", key=key, error=str(error))
    return len(keys)


class _Chunks(io.RawIOBase):
    """A write-only sink zipfile writes into; the export hands on what it holds after each write."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def export_archive(services: Services, user_id: uuid.UUID) -> Iterator[bytes]:
    """A zip of the account: account.json, and per swing swing.json, payload.json (keypoints),
    report.json and the clip. Streamed: one swing's JSON and one clip chunk in memory at a time."""
    sink = _Chunks()
    with services.sessions() as session, zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        user = session.get_one(User, user_id)
        account = {"id": str(user.id), "email": user.email, "created_at": user.created_at.isoformat()}
        archive.writestr("account.json", json.dumps(account | {"webhook_url": user.webhook_url}, indent=1))
        ids = list(session.scalars(select(Swing.id).where(Swing.user_id == user_id).order_by(Swing.swung_at)))
        for swing_id in ids:
            swing = session.get_one(Swing, swing_id)
            folder = f"swings/{swing_id}"
            summary = {
                column: getattr(swing, column)
                for column in (
                    "source",
                    "status",
                    "score",
                    "tempo_ratio",
                    "faults",
                    "favorite",
                    "keep",
                    "note",
                    "club",
                    "drawings",
                )
            }
            summary |= {"swung_at": swing.swung_at.isoformat(), "models": swing.models, "error": swing.error}
            archive.writestr(f"{folder}/swing.json", json.dumps(summary, indent=1))
            if swing.payload is not None:
                archive.writestr(f"{folder}/payload.json", swing.payload)
            if swing.report is not None:
                archive.writestr(f"{folder}/report.json", json.dumps(swing.report, indent=1))
            yield sink.take()
            if swing.video_key is not None:
                yield from _clip(services, archive, sink, swing.video_key, f"{folder}/video")
            session.expunge(swing)  # the payload and report go with it
    yield sink.take()


def _clip(
    services: Services, archive: zipfile.ZipFile, sink: _Chunks, key: str, name: str
) -> Iterator[bytes]:
    try:
        stream = services.storage.open(key)
    except FileNotFoundError:  # removed by the retention rule meanwhile
        return
    entry = zipfile.ZipInfo(name + PurePosixPath(key).suffix, date_time=datetime.now(UTC).timetuple()[:6])
    entry.compress_type = zipfile.ZIP_STORED  # video is compressed already
    with closing(stream), archive.open(entry, "w", force_zip64=True) as out:
        while data := stream.read(CHUNK):
            out.write(data)
            yield sink.take()
