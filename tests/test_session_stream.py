"""Long videos are analysed swing by swing as they are decoded: the same cuts and analyses as the
whole-video path, poses spooled to disk and read back intact, and the orientation probe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from swingcoach.errors import NoSwingError
from swingcoach.pipeline import WHOLE_VIDEO_S, SessionStream, StreamGrid, analyze_poses, is_upright
from swingcoach.pose.base import PoseFrame, PoseSequence, time_grid
from swingcoach.pose.spool import PoseSpool
from swingcoach.swing.events import RuleEventDetector
from swingcoach.video.source import Frame, FrameSource, VideoInfo


def practice_session(demo: PoseSequence, swings: int) -> PoseSequence:
    """The demo swing `swings` times, each after 10 s still at address and followed by 5 s held at
    the finish and 3 s out of view."""
    assert demo.world is not None

    def held(row: int, seconds: float) -> tuple[np.ndarray, np.ndarray]:
        n = round(seconds * demo.fps)
        return np.repeat(demo.keypoints[row : row + 1], n, 0), np.repeat(demo.world[row : row + 1], n, 0)

    away = np.full((round(3 * demo.fps), 17, 3), np.nan, np.float32)
    parts = [held(0, 10), (demo.keypoints, demo.world), held(len(demo) - 1, 5), (away, away)] * swings
    return PoseSequence(
        np.concatenate([k for k, _ in parts]),
        demo.fps,
        demo.width,
        demo.height,
        np.concatenate([w for _, w in parts]),
    )


class Replay(FrameSource):
    """A 'video' of blank frames whose backend answers with recorded poses."""

    def __init__(self, poses: PoseSequence) -> None:
        self.poses = poses
        self.info = VideoInfo("replay", poses.fps, poses.width, poses.height, len(poses))

    def __iter__(self) -> Iterator[Frame]:
        blank = np.zeros((2, 2, 3), np.uint8)
        for index in range(len(self.poses)):
            yield Frame(index, index / self.poses.fps, blank)

    def close(self) -> None:
        pass


class ReplayBackend:
    name = version = "replay"
    has_world = True

    def __init__(self, poses: PoseSequence) -> None:
        self.poses = poses

    def reset(self) -> None:
        pass

    def __call__(self, image_bgr: np.ndarray, time_s: float) -> PoseFrame | None:
        row = round(time_s * self.poses.fps)
        keypoints = self.poses.keypoints[row]
        assert self.poses.world is not None
        return None if np.isnan(keypoints[:, 0]).all() else PoseFrame(keypoints, self.poses.world[row])


def streamed(poses: PoseSequence, tmp_path: Path) -> tuple[list, PoseSpool]:
    spool = PoseSpool(tmp_path, with_world=True)
    stream = SessionStream(Replay(poses), ReplayBackend(poses), RuleEventDetector(), spool)
    return list(stream), spool


def test_a_long_session_streams_to_the_same_swings_as_the_whole_video(demo_poses, tmp_path):
    session = practice_session(demo_poses, swings=4)
    assert len(session) / session.fps > WHOLE_VIDEO_S  # the streaming path, not the whole one
    whole = analyze_poses(session, RuleEventDetector())
    analyses, spool = streamed(session, tmp_path)
    assert len(whole) == len(analyses) == 4
    for expected, got in zip(whole, analyses, strict=True):
        assert got.report.model_dump() == expected.report.model_dump()
    # Every pose reached the spool and poses.npz holds them as PoseSequence.save would.
    spool.save_npz(tmp_path / "poses.npz", session.fps, session.width, session.height)
    saved = PoseSequence.load(tmp_path / "poses.npz")
    np.testing.assert_array_equal(saved.keypoints, session.keypoints)
    assert saved.world is not None and session.world is not None
    np.testing.assert_array_equal(saved.world, session.world)
    np.testing.assert_array_equal(saved.frame_indices, np.arange(len(session)))


def test_streaming_keeps_only_a_swings_worth_of_poses(demo_poses, tmp_path, monkeypatch):
    from swingcoach import pipeline

    longest = []
    spill = pipeline._StreamCuts._spill

    def watched(self, rows):
        longest.append(len(self.keypoints))
        spill(self, rows)

    monkeypatch.setattr(pipeline._StreamCuts, "_spill", watched)
    session = practice_session(demo_poses, swings=6)
    streamed(session, tmp_path)
    # The window holds at most the cut being made (pre-roll + swing + post-roll, ~17 s here), not
    # the 160 s session.
    assert max(longest) / session.fps < 20


def test_a_long_video_without_a_swing_says_so(demo_poses, tmp_path):
    still = PoseSequence(
        np.repeat(demo_poses.keypoints[:1], round(70 * demo_poses.fps), 0),
        demo_poses.fps,
        demo_poses.width,
        demo_poses.height,
        np.repeat(demo_poses.world[:1], round(70 * demo_poses.fps), 0),
    )
    with pytest.raises(NoSwingError, match="no golf swing found"):
        streamed(still, tmp_path)


def test_the_stream_grid_matches_the_whole_video_grid():
    rng = np.random.default_rng(3)
    # 30 fps with jitter and a few dropped frames.
    times = np.cumsum(np.r_[0, rng.normal(1 / 30, 0.003, 400)])
    times = np.delete(times, [50, 51, 200])
    rows, fps = time_grid(times, float(times[0]), float(times[-1]))
    grid = StreamGrid(float(times[0]), 1 / fps)
    frames = [PoseFrame(np.full((17, 3), i, np.float32)) for i in range(len(times))]
    slots = [slot for t, f in zip(times, frames, strict=True) for slot in grid.push(float(t), f)]
    assert len(slots) == len(rows)
    got = [-1 if slot is None else int(slot.keypoints[0, 0]) for slot in slots]
    assert got == rows.tolist()


def test_upright_is_the_torso_pointing_up(demo_poses):
    keypoints = demo_poses.keypoints[0]
    assert is_upright(keypoints)
    sideways = keypoints.copy()
    sideways[:, 0], sideways[:, 1] = keypoints[:, 1], demo_poses.width - keypoints[:, 0]
    assert not is_upright(sideways)
    assert not is_upright(np.full((17, 3), np.nan, np.float32))


def test_the_report_folder_keeps_only_a_summary_of_each_swing(demo_poses, tmp_path):
    """Swing reports go to disk as they close; report.json and report.html are written from there
    one swing at a time, report.json byte for byte as pydantic writes the whole report."""
    import gc
    import weakref

    from swingcoach.report.html import SwingRow, write_html
    from swingcoach.report.writer import ReportFolder, SwingLog, report_header, write_report_json
    from swingcoach.schemas import ModelVersions, Report

    session = practice_session(demo_poses, swings=3)
    analyses = analyze_poses(session, RuleEventDetector())
    expected = [a.report.model_copy(deep=True) for a in analyses]
    with ReportFolder(tmp_path / "report", with_world=True) as folder:
        for analysis in analyses:
            folder.add_swing(analysis, session.fps)
        kept = [weakref.ref(a.report) for a in analyses]
        del analysis, analyses
        gc.collect()
        assert all(ref() is None for ref in kept)  # no swing's full report stays in memory
        assert [row.score for row in folder._rows] == [r.score for r in expected]

        log = folder._swings
        assert [s.model_dump() for s in log] == [r.model_dump() for r in expected]
        info = VideoInfo("session.mp4", session.fps, session.width, session.height, len(session))
        header = report_header(info, len(session), ModelVersions(pose="replay", events="rules"))
        for swings in (log, SwingLog(tmp_path / "empty.jsonl")):
            write_report_json(tmp_path / "report.json", header, swings)
            whole = Report(**{**header.__dict__, "swings": list(swings)})
            assert (tmp_path / "report.json").read_text() == whole.model_dump_json(indent=2)

        write_html(tmp_path / "report.html", header, [SwingRow.of(r) for r in expected], log)
        html = (tmp_path / "report.html").read_text()
        for report in expected:
            assert f'<section class="swing" id="swing-{report.index + 1}">' in html
            assert f'href="#swing-{report.index + 1}"' in html  # the summary links to it
        assert "3 swings" in html
