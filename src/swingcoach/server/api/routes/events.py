"""Server-sent events: 'analysis complete' (or failed) for each of the user's swings."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import suppress
from typing import Annotated, Any

from fastapi import APIRouter, Header
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import func, select
from sse_starlette import EventSourceResponse, ServerSentEvent

from swingcoach.server.api.deps import ServicesDep, UserId
from swingcoach.server.api.schemas import EventId, Omitted
from swingcoach.server.models import Notification
from swingcoach.server.notify import event_body, notifications_after
from swingcoach.server.services import Services

router = APIRouter(tags=["events"])
PING_SECONDS = 15


def _latest_id(services: Services, user_id: uuid.UUID) -> int:
    with services.sessions() as session:
        return session.scalar(select(func.max(Notification.id)).where(Notification.user_id == user_id)) or 0


def _after(services: Services, user_id: uuid.UUID, after_id: int) -> list[dict[str, Any]]:
    with services.sessions() as session:
        return [event_body(n) for n in notifications_after(session, user_id, after_id)]


@router.get("/events", response_class=EventSourceResponse)
async def events(
    user_id: UserId,
    services: ServicesDep,
    last_event_id: Annotated[
        EventId | Omitted, Header(description="Resume: events after this id are replayed.")
    ] = None,
) -> EventSourceResponse:
    """A text/event-stream of `analysis.complete` and `analysis.failed` events, data = JSON
    `{id, event, swing_id, job_id, status, swing_ids, score | error}`. Reconnecting with
    `Last-Event-ID` replays what was missed (kept 30 days)."""
    last = (
        last_event_id if last_event_id is not None else await run_in_threadpool(_latest_id, services, user_id)
    )

    async def stream() -> AsyncIterator[ServerSentEvent]:
        nonlocal last
        async with services.notifier.hub.subscribe(user_id) as wake:
            while True:
                wake.clear()
                for body in await run_in_threadpool(_after, services, user_id, last):
                    last = body["id"]
                    yield ServerSentEvent(data=json.dumps(body), event=str(body["event"]), id=str(last))
                with suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), services.settings.sse_poll_seconds)

    return EventSourceResponse(stream(), ping=PING_SECONDS)
