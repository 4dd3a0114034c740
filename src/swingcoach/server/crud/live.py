"""Who may watch a live stream: its owner and the viewers the owner named."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from swingcoach.server.models import StreamShare, User

MAX_VIEWERS = 50


def may_watch(session: Session, viewer: uuid.UUID, owner: uuid.UUID, stream: str) -> bool:
    if viewer == owner:
        return True
    share = session.get(StreamShare, (owner, stream, viewer))
    return share is not None


def share(session: Session, owner: uuid.UUID, stream: str, email: str) -> None:
    """Let the account with `email` watch; an unknown email stores nothing (and is not told apart)."""
    viewer = session.scalar(select(User.id).where(User.email == email))
    if viewer is None or viewer == owner or session.get(StreamShare, (owner, stream, viewer)) is not None:
        return
    count = session.scalar(
        select(func.count())
        .select_from(StreamShare)
        .where(StreamShare.owner_id == owner, StreamShare.stream == stream)
    )
    if (count or 0) >= MAX_VIEWERS:
        raise OverflowError(f"a stream can be shared with {MAX_VIEWERS} viewers at most")
    session.add(StreamShare(owner_id=owner, stream=stream, viewer_id=viewer))


def unshare(session: Session, owner: uuid.UUID, stream: str, email: str) -> None:
    viewer = session.scalar(select(User.id).where(User.email == email))
    if viewer is not None:
        session.execute(
            delete(StreamShare).where(
                StreamShare.owner_id == owner, StreamShare.stream == stream, StreamShare.viewer_id == viewer
            )
        )


def viewers(session: Session, owner: uuid.UUID, stream: str) -> list[str]:
    query = (
        select(User.email)
        .join(StreamShare, StreamShare.viewer_id == User.id)
        .where(StreamShare.owner_id == owner, StreamShare.stream == stream)
    )
    return sorted(session.scalars(query))


def shared_with(session: Session, viewer: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    rows = session.execute(
        select(StreamShare.owner_id, StreamShare.stream).where(StreamShare.viewer_id == viewer)
    )
    return [(row.owner_id, row.stream) for row in rows]
