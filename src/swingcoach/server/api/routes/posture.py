"""Yoga and exercise sessions: keypoints in, the same analysis as `swingcoach analyze --sport`, and
statistics over days and weeks. Every route reads and writes the caller's own sessions only."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Response, status
from fastapi.concurrency import run_in_threadpool

from swingcoach.errors import SwingcoachError
from swingcoach.posture.session import analyse_posture
from swingcoach.schemas import PosturePayload
from swingcoach.server.api.deps import ACCOUNT_GONE, ServicesDep, SessionDep, UserId
from swingcoach.server.api.routes.insights import DEFAULT_ZONE, TimeZoneName
from swingcoach.server.api.schemas import PostureSessionOut, PostureStats, error_responses
from swingcoach.server.crud.posture import (
    content_of,
    delete_own,
    find_resend,
    get_own,
    list_own,
    posture_stats,
    store_session,
)
from swingcoach.server.crud.swings import SwingConflict, UnknownAccount
from swingcoach.server.models import utcnow
from swingcoach.server.stats import StatsRange

router = APIRouter(prefix="/posture", tags=["posture"])
NOT_FOUND = "no such session"


@router.post(
    "/sessions",
    response_model=PostureSessionOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "A resend: the session stored the first time"},
        **error_responses(409, 413),
    },
)
async def create_session(
    payload: PosturePayload, response: Response, user_id: UserId, services: ServicesDep
) -> PostureSessionOut:
    """Analyse and store a session. Idempotent on `session_id`: the same payload again gives 200."""
    content = content_of(payload)
    try:
        stored = await run_in_threadpool(find_resend, services, user_id, payload.session_id, content[1])
        created = stored is None
        if stored is None:
            report, _ = await run_in_threadpool(
                analyse_posture, payload.to_sequence(), payload.sport, "keypoints"
            )
            stored, created = await run_in_threadpool(
                store_session, services, user_id, payload, content, report
            )
    except SwingConflict as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
    except UnknownAccount:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, ACCOUNT_GONE) from None
    except (SwingcoachError, ValueError) as error:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"cannot analyse this session: {error}"
        ) from None
    if not created:
        response.status_code = status.HTTP_200_OK
    return PostureSessionOut.model_validate(stored)


@router.get("/sessions", response_model=list[PostureSessionOut])
def list_sessions(
    user_id: UserId,
    session: SessionDep,
    sport: Literal["yoga", "exercise"] | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[PostureSessionOut]:
    return [PostureSessionOut.model_validate(row) for row in list_own(session, user_id, sport, limit, offset)]


@router.get("/sessions/{session_id}", response_model=PostureSessionOut, responses=error_responses(404))
def get_session(session_id: uuid.UUID, user_id: UserId, session: SessionDep) -> PostureSessionOut:
    row = get_own(session, user_id, session_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return PostureSessionOut.model_validate(row)


@router.delete(
    "/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(404)
)
def delete_session(session_id: uuid.UUID, user_id: UserId, session: SessionDep) -> Response:
    if not delete_own(session, user_id, session_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/stats", response_model=PostureStats)
def stats(
    user_id: UserId,
    session: SessionDep,
    range_: Annotated[StatsRange, Query(alias="range", description="day, week or month")] = "week",
    tz: Annotated[TimeZoneName, Query(description="IANA time zone for the day boundaries")] = DEFAULT_ZONE,
) -> PostureStats:
    """Hold time per pose; repetitions and form-error rate per exercise; for the period and per bucket."""
    return PostureStats.model_validate(posture_stats(session, user_id, range_, utcnow(), ZoneInfo(tz)))
