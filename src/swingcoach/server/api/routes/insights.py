"""Statistics over time and recommendations, from the user's analysed swings."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, HTTPException, Query

from swingcoach.server.api.deps import SessionDep, UserId
from swingcoach.server.api.schemas import Recommendations, Stats
from swingcoach.server.models import utcnow
from swingcoach.server.recommend import recommendations_for
from swingcoach.server.stats import StatsRange, compute_stats

router = APIRouter(tags=["insights"])


@router.get("/stats", response_model=Stats)
def stats(
    user_id: UserId,
    session: SessionDep,
    range_: Annotated[
        StatsRange, Query(alias="range", description="day: 24 hourly buckets; week / month: 7 / 30 daily")
    ] = "week",
    tz: Annotated[str, Query(description="IANA time zone for the day boundaries, e.g. Europe/Paris")] = "UTC",
) -> Stats:
    """Score, tempo, every metric and the most frequent faults, for the period and per bucket."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise HTTPException(422, f"unknown time zone {tz!r} (use an IANA name like Europe/Paris)") from None
    return compute_stats(session, user_id, range_, utcnow(), zone)


@router.get("/recommendations", response_model=Recommendations)
def recommendations(user_id: UserId, session: SessionDep) -> Recommendations:
    """Drills and equipment for the faults that recur in the last 20 swings, each with its reason."""
    return recommendations_for(session, user_id)
