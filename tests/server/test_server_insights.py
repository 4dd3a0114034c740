"""Statistics buckets and catalog recommendations, from real analyses of the demo swing."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from media_files import FIXTURES
from swingcoach.analysis.reference import load_references
from swingcoach.analysis.swing import analyze_swing
from swingcoach.pose.base import PoseSequence
from swingcoach.server.analyze import swing_summary
from swingcoach.server.catalog import load_catalog
from swingcoach.server.recommend import MIN_SHARE, recommend
from swingcoach.server.stats import bucket_edges
from swingcoach.swing.events import RuleEventDetector


def test_day_buckets_are_calendar_days_across_daylight_saving() -> None:
    paris = ZoneInfo("Europe/Paris")
    # 2025-03-30: clocks go forward at 02:00 in Paris, so that day lasts 23 hours.
    now = datetime(2025, 4, 1, 10, tzinfo=UTC)
    edges = bucket_edges("week", now, paris)
    assert len(edges) == 8
    assert all(edge.astimezone(paris).hour == 0 for edge in edges)
    lengths = [(b - a) / timedelta(hours=1) for a, b in itertools.pairwise(edges)]
    assert sorted(lengths) == [23] + [24] * 6
    assert edges[-2] <= now < edges[-1]


def test_hour_buckets_end_with_the_current_hour() -> None:
    now = datetime(2025, 6, 1, 15, 42, tzinfo=UTC)
    edges = bucket_edges("day", now, ZoneInfo("Asia/Kolkata"))  # UTC+5:30: local whole hours
    assert len(edges) == 25 and edges[-2] <= now < edges[-1]
    assert all(edge.astimezone(ZoneInfo("Asia/Kolkata")).minute == 0 for edge in edges)
    assert bucket_edges("month", now, ZoneInfo("UTC"))[0] == datetime(2025, 5, 3, tzinfo=UTC)


def test_catalog_items_name_real_metrics_and_every_fault_has_help() -> None:
    catalog = load_catalog()
    metrics = load_references().metrics
    covered = {fault for item in catalog for fault in item.faults}
    assert {item.kind for item in catalog} == {"drill", "equipment"}
    advisable = {
        f"{name}:{side}"
        for name, reference in metrics.items()
        for side, text in (("low", reference.advice_low), ("high", reference.advice_high))
        if "keep it" not in text.lower()
    }
    assert advisable <= covered, f"faults without a drill: {sorted(advisable - covered)}"


@pytest.fixture(scope="module")
def demo_summary() -> dict:
    sequence = PoseSequence.load(FIXTURES / "golfdb_demo_poses.npz")
    return swing_summary(analyze_swing(sequence, RuleEventDetector()).report)


def test_recommendations_follow_recurring_faults_with_reasons(demo_summary: dict) -> None:
    faults, metrics = demo_summary["faults"], demo_summary["metrics"]
    assert faults, "the demo swing has faults to work on"
    clean: dict = {}
    # The demo's faults in 3 of 10 swings (30%): above the threshold; in 2 of 10: below.
    items = recommend([faults] * 3 + [[]] * 7, [metrics] * 3 + [clean] * 7, load_catalog())
    assert items and all(r.relevance == pytest.approx(0.3) for r in items)
    for item in items:
        assert set(item.faults) <= set(faults)
        assert "in 3 of your last 10 swings" in item.reason and "tour range" in item.reason
    first = items[0].faults[0].partition(":")[0]
    assert f"{metrics[first]:.2f}".rstrip("0").rstrip(".") in items[0].reason, "the measured average"
    assert (
        MIN_SHARE > 0.2
        and recommend([faults] * 2 + [[]] * 8, [metrics] * 2 + [clean] * 8, load_catalog()) == []
    )
    assert recommend([], [], load_catalog()) == []
    kinds = [item.kind for item in items]
    assert kinds == sorted(kinds, key=lambda k: k != "drill"), "drills first, then equipment"
