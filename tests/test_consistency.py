"""`swingcoach bench consistency --quick` on two real swings (the GolfDB demo, down the line and slow
motion, and phone swing1, portrait, real time): the goals of one analysis on every path.

Goals the analysis meets are asserted; the ones it does not meet yet are strict xfails that name the
measured figure, so they turn into failures (to be promoted) the day they are met."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from swingcoach.bench.consistency import (
    GOAL_ADVICE,
    GOAL_ANGLE,
    GOAL_EVENT_MS,
    GOAL_SCORE,
    GOAL_TEMPO,
    run_consistency,
)

pytestmark = [pytest.mark.data, pytest.mark.slow]


@pytest.fixture(scope="module")
def quick(shared_data: Path) -> dict[str, Any]:
    return run_consistency(shared_data, quick=True)


def by_video(swings: list[dict], name: str) -> dict:
    return next(s for s in swings if s["video"].endswith(name))


def test_every_perturbation_finds_and_scores_the_swing(quick: dict) -> None:
    assert len(quick["swings"]) == 2
    for swing in quick["swings"]:
        assert not swing["missed"] and not swing["unscored"], swing["video"]
        assert set(swing["views"]) == {"down-the-line"}, "the view never flips"


def test_at_least_15_metrics_on_a_real_time_down_the_line_swing(quick: dict) -> None:
    swing1 = by_video(quick["swings"], "swing1.mp4")
    assert min(swing1["measured_metrics"].values()) >= 15


def test_corrupted_skeletons_are_always_flagged_and_never_scored(quick: dict) -> None:
    assert len(quick["corruption"]) == 4
    assert all(c["flagged"] and c["score"] is None for c in quick["corruption"])


def test_top_and_impact_hold_within_a_frame_on_the_device_perturbations(quick: dict) -> None:
    """fps, resolution and dropped frames (everything but the mirror image and the browser's model)."""
    for swing in quick["swings"]:
        base = swing["per_run"]["base"]["events_s"]
        for name in ("24 fps", "60 fps", "240 px", "20% dropped"):
            run = swing["per_run"][name]["events_s"]
            for event in ("top", "impact"):
                assert abs(run[event] - base[event]) * 1000 <= GOAL_EVENT_MS, (swing["video"], name, event)


def test_the_score_holds_within_the_goal_on_the_device_perturbations(quick: dict) -> None:
    for swing in quick["swings"]:
        base = swing["per_run"]["base"]["score"]
        for name in ("24 fps", "60 fps", "240 px", "20% dropped"):
            assert abs(swing["per_run"][name]["score"] - base) <= GOAL_SCORE, (swing["video"], name)


def test_a_mirror_image_gets_the_same_swing(quick: dict) -> None:
    """A left-handed golfer: files are posed with the mirror image averaged in."""
    for swing in quick["swings"]:
        base, mirrored = swing["per_run"]["base"], swing["per_run"]["mirrored"]
        assert mirrored["score"] == pytest.approx(base["score"], abs=GOAL_SCORE), swing["video"]
        assert mirrored["tempo_ratio"] == pytest.approx(base["tempo_ratio"], abs=GOAL_TEMPO)


def _goal(name: str, met: bool, figure: str) -> None:
    assert met, f"{name}: {figure}"


@pytest.mark.xfail(
    strict=True,
    reason="not met: score max - min 3.4-4.1, tempo up to 0.5 (the browser's 17.6 poses a second)",
)
def test_goals_over_every_perturbation(quick: dict) -> None:
    for swing in quick["swings"]:
        angles = [s["range"] for n, s in swing["metrics"].items() if swing["metric_units"].get(n) == "°"]
        _goal("score", swing["score"]["range"] <= GOAL_SCORE, f"{swing['score']['range']:.1f}")
        _goal("tempo", swing["metrics"]["tempo_ratio"]["range"] <= GOAL_TEMPO, "")
        _goal("angles", max(angles) <= GOAL_ANGLE, f"{max(angles):.1f}")
        _goal("advice", swing["advice_agreement"] >= GOAL_ADVICE, f"{swing['advice_agreement']:.0%}")


@pytest.mark.xfail(
    strict=True, reason="not met: the browser path's tempo differs by up to 0.4, its score by 3.8"
)
def test_the_three_paths_agree_within_the_goals(quick: dict) -> None:
    for swing in quick["paths"]:
        _goal("score", swing["score"]["range"] <= GOAL_SCORE, f"{swing['score']['range']:.1f}")
        _goal("tempo", swing["metrics"]["tempo_ratio"]["range"] <= GOAL_TEMPO, "")


def test_the_cli_and_the_server_clip_job_agree_exactly(quick: dict) -> None:
    for swing in quick["paths"]:
        cli, server = swing["per_run"]["cli"], swing["per_run"]["server clip job"]
        assert server["score"] == cli["score"] and server["metrics"] == cli["metrics"], swing["video"]
