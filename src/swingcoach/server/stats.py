"""A golfer's statistics over the last day, week or month: score, tempo, every metric, the most
frequent faults and the predicted ball flight with the features that drive it, for the whole period
and bucketed (hours for a day, days for a week or month)."""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from statistics import fmean
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from swingcoach.analysis.reference import load_references
from swingcoach.server.api.schemas import FaultCount, MetricStat, Stats, StatsBucket
from swingcoach.server.models import Swing, SwingStatus

StatsRange = Literal["day", "week", "month"]
# range -> (bucket name, bucket length, number of buckets)
RANGES: dict[str, tuple[Literal["hour", "day"], timedelta, int]] = {
    "day": ("hour", timedelta(hours=1), 24),
    "week": ("day", timedelta(days=1), 7),
    "month": ("day", timedelta(days=1), 30),
}
TOP_FAULTS = 5
BUCKET_TOP_FAULTS = 3


@dataclass(frozen=True)
class SwingPoint:
    swung_at: datetime
    score: float | None
    tempo_ratio: float | None
    metrics: dict[str, float]
    faults: list[str]
    flight: dict[str, float]


def fault_label(fault: str) -> str:
    """ "head_sway_impact:high" -> "Head sway at impact: too high"."""
    metric, _, status = fault.partition(":")
    reference = load_references().metrics.get(metric)
    label = reference.label if reference is not None else metric
    return f"{label}: too {status}"


def _mean(values: list[float]) -> float | None:
    return round(fmean(values), 3) if values else None


def _top_faults(points: list[SwingPoint], limit: int) -> list[FaultCount]:
    counts = Counter(fault for point in points for fault in point.faults)
    return [
        FaultCount(fault=fault, label=fault_label(fault), count=count, share=round(count / len(points), 3))
        for fault, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    ]


def _summary(points: list[SwingPoint], top: int) -> dict[str, Any]:
    scores = [p.score for p in points if p.score is not None]
    return {
        "swings": len(points),
        "score_mean": _mean(scores),
        "score_best": max(scores) if scores else None,
        "tempo_ratio_mean": _mean([p.tempo_ratio for p in points if p.tempo_ratio is not None]),
        "top_faults": _top_faults(points, top) if points else [],
        "flight": _means([p.flight for p in points]),
    }


def _means(dicts: list[dict[str, float]]) -> dict[str, float]:
    """Per name, the mean over the dicts that hold it."""
    values: dict[str, list[float]] = {}
    for d in dicts:
        for name, value in d.items():
            values.setdefault(name, []).append(value)
    return {name: round(fmean(v), 3) for name, v in values.items()}


def bucket_edges(stats_range: StatsRange, now: datetime, tz: ZoneInfo) -> list[datetime]:
    """The bucket boundaries in UTC, ending with the bucket holding `now`: whole hours, or calendar
    days in `tz` (so a day stays midnight to midnight across daylight-saving changes)."""
    _, step, count = RANGES[stats_range]
    local = now.astimezone(tz)
    if step == timedelta(hours=1):
        current = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
        return [current + step * (i - count + 1) for i in range(count + 1)]
    today = local.date()
    return [
        datetime.combine(today + timedelta(days=i - count + 1), time(), tzinfo=tz).astimezone(UTC)
        for i in range(count + 1)
    ]


def load_points(session: Session, user_id: uuid.UUID, start: datetime, end: datetime) -> list[SwingPoint]:
    columns = (Swing.swung_at, Swing.score, Swing.tempo_ratio, Swing.metrics, Swing.faults, Swing.flight)
    query = select(*columns).where(
        Swing.user_id == user_id,
        Swing.status == SwingStatus.done,
        Swing.swung_at >= start,
        Swing.swung_at < end,
    )
    return [SwingPoint(*row) for row in session.execute(query)]


def compute_stats(
    session: Session, user_id: uuid.UUID, stats_range: StatsRange, now: datetime, tz: ZoneInfo
) -> Stats:
    edges = bucket_edges(stats_range, now, tz)
    points = load_points(session, user_id, edges[0], edges[-1])
    buckets = []
    for start, end in itertools.pairwise(edges):
        inside = [p for p in points if start <= p.swung_at < end]
        summary = _summary(inside, top=BUCKET_TOP_FAULTS)
        buckets.append(
            StatsBucket(start=start, end=end, metrics=_means([p.metrics for p in inside]), **summary)
        )
    references = load_references().metrics
    metrics = {
        name: MetricStat(
            label=references[name].label, unit=references[name].unit, range=references[name].range, mean=mean
        )
        for name, mean in _means([p.metrics for p in points]).items()
        if name in references
    }
    return Stats(
        range=stats_range,
        bucket=RANGES[stats_range][0],
        timezone=tz.key,
        start=edges[0],
        end=edges[-1],
        metrics=metrics,
        buckets=buckets,
        **_summary(points, top=TOP_FAULTS),
    )
