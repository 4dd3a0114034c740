"""Drills and equipment from the curated catalog (`catalog.toml`), chosen by the faults that keep
showing up in a golfer's recent swings, each with the measurements that justify it."""

from __future__ import annotations

import uuid
from collections import Counter
from statistics import fmean

from sqlalchemy import select
from sqlalchemy.orm import Session

from swingcoach.analysis.reference import load_references
from swingcoach.server.api.schemas import Recommendation, Recommendations
from swingcoach.server.catalog import CatalogItem, load_catalog
from swingcoach.server.models import Swing, SwingStatus
from swingcoach.server.stats import fault_label

RECENT_SWINGS = 20
# A fault in fewer than this share of the recent swings is noise, not a pattern worth a drill.
MIN_SHARE = 0.25
MAX_DRILLS = 5
MAX_EQUIPMENT = 3
DRILL_CLIPS = 3  # the golfer's own videos of a drill shown with it, newest first


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _reason(fault: str, count: int, total: int, values: list[float]) -> str:
    metric = fault.partition(":")[0]
    reference = load_references().metrics[metric]
    low, high = reference.range
    unit = reference.unit if reference.unit in (":1", "°") else f" {reference.unit}"
    measured = f"your average {_fmt(fmean(values))}{unit}; " if values else ""
    tour = f"tour range {_fmt(low)}–{_fmt(high)}{unit}"
    return f"{fault_label(fault)} in {count} of your last {total} swings ({measured}{tour})."


def recommend(
    faults_per_swing: list[list[str]], metrics_per_swing: list[dict[str, float]], catalog: list[CatalogItem]
) -> list[Recommendation]:
    total = len(faults_per_swing)
    if total == 0:
        return []
    counts = Counter(fault for faults in faults_per_swing for fault in set(faults))
    chosen: list[Recommendation] = []
    for item in catalog:
        matched = sorted((f for f in item.faults if counts[f] / total >= MIN_SHARE), key=lambda f: -counts[f])
        if not matched:
            continue
        reasons = []
        for fault in matched:
            metric = fault.partition(":")[0]
            values = [
                m[metric]
                for m, f in zip(metrics_per_swing, faults_per_swing, strict=True)
                if fault in f and metric in m
            ]
            reasons.append(_reason(fault, counts[fault], total, values))
        chosen.append(
            Recommendation(
                id=item.id,
                kind=item.kind,
                title=item.title,
                description=item.description,
                url=item.url,
                reason=" ".join(reasons),
                faults=matched,
                relevance=round(counts[matched[0]] / total, 3),
            )
        )
    chosen.sort(key=lambda r: (-r.relevance, -len(r.faults), r.id))
    drills = [r for r in chosen if r.kind == "drill"][:MAX_DRILLS]
    equipment = [r for r in chosen if r.kind == "equipment"][:MAX_EQUIPMENT]
    return drills + equipment


def recommendations_for(session: Session, user_id: uuid.UUID) -> Recommendations:
    recent = list(
        session.execute(
            select(Swing.faults, Swing.metrics)
            .where(Swing.user_id == user_id, Swing.status == SwingStatus.done)
            .order_by(Swing.swung_at.desc())
            .limit(RECENT_SWINGS)
        )
    )
    items = recommend([faults for faults, _ in recent], [metrics for _, metrics in recent], load_catalog())
    clips = _drill_clips(session, user_id)
    for item in items:
        item.clips = clips.get(item.id, [])
    note = None
    if not recent:
        note = "No analysed swings yet: send a few swings to get recommendations."
    elif not items:
        note = f"No fault shows up in at least {MIN_SHARE:.0%} of your last {len(recent)} swings: keep it up."
    return Recommendations(swings_considered=len(recent), items=items, note=note)


def _drill_clips(session: Session, user_id: uuid.UUID) -> dict[str, list[uuid.UUID]]:
    """The golfer's swings whose stored clip shows a drill, by drill, newest first."""
    tagged = session.execute(
        select(Swing.drill, Swing.id)
        .where(Swing.user_id == user_id, Swing.drill.is_not(None), Swing.video_key.is_not(None))
        .order_by(Swing.swung_at.desc())
    )
    clips: dict[str, list[uuid.UUID]] = {}
    for drill, swing_id in tagged:
        if len(clips.setdefault(drill, [])) < DRILL_CLIPS:
            clips[drill].append(swing_id)
    return clips
