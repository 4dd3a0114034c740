"""The five-stage speed benchmark on the demo swing: every stage timed on every frame it runs on,
warm-up left out, the stages adding up to the end-to-end time, the bottleneck named, peak memory.

No speed goal is asserted here (that is what `swingcoach bench all` prints): only that the
figures are complete and consistent, and that the pipeline ran as `analyze` runs it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from media_files import write_video
from swingcoach.bench.speed import (
    BACKENDS,
    QUICK,
    STAGES,
    SpeedBench,
    SpeedConfig,
    rescaled_copy,
    run_speed_bench,
)
from swingcoach.video import open_source

LITE = SpeedConfig(BACKENDS[0], 1, "native")  # BlazePose lite on LiteRT
REFERENCE = SpeedConfig(BACKENDS[1], 1, "native")  # BlazePose full: the agreement's reference
STUDENT = SpeedConfig(BACKENDS[3], 1, "native")  # student int8 on onnxruntime
DEMO_FRAMES = 264


@pytest.fixture(scope="module")
def bench(demo_video: Path) -> SpeedBench:
    return run_speed_bench([demo_video], QUICK, [LITE, STUDENT, REFERENCE])


def test_every_stage_is_timed_on_every_frame(bench: SpeedBench) -> None:
    assert [r.name for r in bench.results] == [LITE.name, STUDENT.name, REFERENCE.name]
    for result in bench.results:
        stages = result.stages
        assert set(stages) == set(STAGES)
        assert result.frames == DEMO_FRAMES  # the warm-up frames are not among them
        assert stages["decode"].runs == stages["pose2d"].runs == DEMO_FRAMES
        # One untimed call per clip, then the timed repeats.
        assert stages["lift"].runs == stages["events"].runs == QUICK.sequence_repeats
        assert stages["detect"].runs >= 1  # the first frame always needs the person detector
        for stage in STAGES:
            figures = stages[stage]
            assert figures.per_frame_ms > 0, stage
            assert 0 < figures.median_ms <= figures.p95_ms, stage


def test_stages_add_up_to_the_end_to_end_time(bench: SpeedBench) -> None:
    for result in bench.results:
        per_frame = {s: result.stages[s].per_frame_ms for s in STAGES}
        assert 1000 / result.fps == pytest.approx(sum(per_frame.values()), rel=1e-9)
        assert result.bottleneck == max(per_frame, key=per_frame.__getitem__)
        assert result.latency_median_ms <= result.latency_p95_ms
        # A frame's own stages 1-3 are the bulk of its end-to-end time.
        assert result.latency_median_ms > result.stages["pose2d"].median_ms
        assert result.peak_rss_mb > result.baseline_rss_mb > 0
        # The pose network is part of stage 3, never all of it (the crop and decoding are the rest).
        assert 0 < result.pose_network_share < 1
        assert result.cores == 1


def test_the_tracker_and_the_pipeline_ran_as_in_analyze(bench: SpeedBench) -> None:
    lite = bench.results[0]
    # BlazePose follows the golfer by ROI: the detector runs on a handful of the 264 frames.
    assert lite.detector_share < 0.05
    assert lite.swings_found == {"golfdb_demo.mp4": 1}
    assert lite.stages["detect"].median_ms > 0.1 * lite.stages["pose2d"].median_ms
    assert lite.models["lift"].startswith("lifter-") and lite.models["events"].startswith("events_supcon-")
    student = bench.results[1]
    assert student.models["lift"].startswith("lifter-int8") and student.models["events"].startswith(
        "events_supcon_int8-"
    )


def test_agreement_with_blazepose_full(bench: SpeedBench) -> None:
    lite, student, full = bench.results
    assert full.agreement is None  # the reference itself
    # Lite and full BlazePose find the same joints on the demo swing (measured: 0.95).
    assert lite.agreement > 0.85
    assert 0 <= student.agreement <= 1


def test_720p_profile_is_the_clip_reencoded(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (96, 64, 3), dtype=np.uint8) for _ in range(12)]
    clip = write_video(tmp_path / "clip.mp4", frames, fps=30.0)
    copy = rescaled_copy(clip, 1280, tmp_path / "clip_720p.mp4")
    with open_source(copy) as source:
        assert (source.info.width, source.info.height) == (854, 1280)
        assert source.info.fps == pytest.approx(30.0)
        assert sum(1 for _ in source) == len(frames)


def test_plans_cover_the_device_profiles() -> None:
    from swingcoach.bench.speed import FULL

    configs = FULL.configs()
    assert len(configs) == len(BACKENDS) * 2 * 2
    assert {c.threads for c in configs} == {1, 2}
    assert {c.resolution for c in configs} == {"native", "720p"}
    assert {(c.backend.precision, c.backend.runtime) for c in configs} >= {
        ("fp32", "onnxruntime"),
        ("int8", "onnxruntime"),
        ("fp32", "LiteRT"),
        ("int8", "LiteRT"),
    }
