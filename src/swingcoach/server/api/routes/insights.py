"""Statistics over time and recommendations, from the user's analysed swings."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, available_timezones

from fastapi import APIRouter, Query

from swingcoach.server.api.deps import SessionDep, UserId
from swingcoach.server.api.schemas import Recommendations, Stats
from swingcoach.server.models import utcnow
from swingcoach.server.recommend import recommendations_for
from swingcoach.server.stats import StatsRange, compute_stats

router = APIRouter(tags=["insights"])
# The IANA zones this machine knows: the schema lists them, so no other name is valid input.
TimeZoneName = StrEnum("TimeZoneName", {name: name for name in sorted(available_timezones())})  # type: ignore[misc]
DEFAULT_ZONE = TimeZoneName("UTC")


@router.get("/stats", response_model=Stats)
def stats(
    user_id: UserId,
    session: SessionDep,
    range_: Annotated[
        StatsRange, Query(alias="range", description="day: 24 hourly buckets; week / month: 7 / 30 daily")
    ] = "week",
    tz: Annotated[
        TimeZoneName, Query(description="IANA time zone for the day boundaries, e.g. Europe/Paris")
    ] = DEFAULT_ZONE,
) -> Stats:
    """Score, tempo, every metric and the most frequent faults, for the period and per bucket."""
    return compute_stats(session, user_id, range_, utcnow(), ZoneInfo(tz))


@router.get("/recommendations", response_model=Recommendations)
def recommendations(user_id: UserId, session: SessionDep) -> Recommendations:
    """Drills and equipment for the faults that recur in the last 20 swings, each with its reason."""
    return recommendations_for(session, user_id)
