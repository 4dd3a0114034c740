"""Yoga and exercise sessions: stored once per client-made id, read and deleted by their owner only,
and the statistics over them."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from swingcoach.posture.session import PostureReport
from swingcoach.schemas import PosturePayload
from swingcoach.server.crud.swings import UnknownAccount, find_resend_of, sha256, swung_at
from swingcoach.server.models import PostureSession, utcnow
from swingcoach.server.services import Services
from swingcoach.server.stats import StatsRange, bucket_edges


def content_of(payload: PosturePayload) -> tuple[bytes, str]:
    blob = payload.model_dump_json().encode()
    return blob, sha256(blob)


def find_resend(
    services: Services, user_id: uuid.UUID, session_id: uuid.UUID, digest: str
) -> PostureSession | None:
    return find_resend_of(services, PostureSession, "session", user_id, session_id, digest)


def store_session(
    services: Services,
    user_id: uuid.UUID,
    payload: PosturePayload,
    content: tuple[bytes, str],
    report: PostureReport,
) -> tuple[PostureSession, bool]:
    blob, digest = content
    now = utcnow()
    row = PostureSession(
        id=payload.session_id,
        user_id=user_id,
        sport=payload.sport,
        received_at=now,
        recorded_at=swung_at(payload.recorded_at, now),
        content_sha256=digest,
        payload=blob,
        fps=payload.fps,
        frames=payload.frames,
        device=payload.device,
        model=report.model,
        report=asdict(report),
    )
    try:
        with services.sessions.begin() as session:
            session.add(row)
    except IntegrityError:  # a concurrent resend stored it first, or the account is gone
        winner = find_resend(services, user_id, payload.session_id, digest)
        if winner is None:
            raise UnknownAccount(user_id) from None
        return winner, False
    return row, True


def get_own(session: Session, user_id: uuid.UUID, session_id: uuid.UUID) -> PostureSession | None:
    row = session.get(PostureSession, session_id)
    return row if row is not None and row.user_id == user_id else None


def list_own(
    session: Session, user_id: uuid.UUID, sport: str | None, limit: int, offset: int
) -> list[PostureSession]:
    query = select(PostureSession).where(PostureSession.user_id == user_id)
    if sport is not None:
        query = query.where(PostureSession.sport == sport)
    order = (PostureSession.recorded_at.desc(), PostureSession.id)
    return list(session.scalars(query.order_by(*order).limit(limit).offset(offset)))


def delete_own(session: Session, user_id: uuid.UUID, session_id: uuid.UUID) -> bool:
    result = session.execute(
        delete(PostureSession).where(PostureSession.id == session_id, PostureSession.user_id == user_id)
    )
    return bool(result.rowcount)


def _totals(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Hold time per pose; repetitions and the share of them with a form error, per exercise."""
    poses: dict[str, float] = {}
    exercises: dict[str, dict[str, float]] = {}
    for report in reports:
        for pose in report.get("poses", []):
            poses[pose["label"]] = round(poses.get(pose["label"], 0.0) + pose["hold_s"], 2)
        if report.get("exercise"):
            totals = exercises.setdefault(report["exercise"], {"repetitions": 0, "with_form_errors": 0})
            for rep in report.get("repetitions", []):
                totals["repetitions"] += 1
                totals["with_form_errors"] += bool(rep["form_errors"])
    for totals in exercises.values():
        totals["form_error_rate"] = round(totals["with_form_errors"] / max(1, totals["repetitions"]), 4)
    return {"hold_s": poses, "exercises": exercises, "sessions": len(reports)}


def posture_stats(
    session: Session, user_id: uuid.UUID, stats_range: StatsRange, now: datetime, tz: ZoneInfo
) -> dict[str, Any]:
    edges = bucket_edges(stats_range, now, tz)
    rows = session.execute(
        select(PostureSession.recorded_at, PostureSession.report).where(
            PostureSession.user_id == user_id,
            PostureSession.recorded_at >= edges[0],
            PostureSession.recorded_at < edges[-1],
        )
    ).all()
    buckets = [
        {"start": start, "end": end, **_totals([r.report for r in rows if start <= r.recorded_at < end])}
        for start, end in itertools.pairwise(edges)
    ]
    return {
        "range": stats_range,
        "timezone": tz.key,
        "start": edges[0],
        "end": edges[-1],
        **_totals([r.report for r in rows]),
        "buckets": buckets,
    }
