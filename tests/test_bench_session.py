"""The long-session benchmark's input: the real swing looped at 1080p, 30 fps, with no seams."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from swingcoach.bench.session import IDLE_S, make_session
from swingcoach.video import open_source


def test_a_session_is_the_swing_looped_without_gaps(demo_video: Path, tmp_path: Path) -> None:
    frames, size = make_session(demo_video, 0.6, tmp_path / "session.mp4")
    cycle = round(IDLE_S * 30) + 264
    assert size == (1080, 1920) and frames == 2 * cycle  # 36 s: two cycles of 18.8 s
    with open_source(tmp_path / "session.mp4") as video:
        assert (video.info.width, video.info.height) == size
        times = np.array([frame.time_s for frame in video])
    assert len(times) == frames
    np.testing.assert_allclose(np.diff(times), 1 / 30, atol=1e-3)  # cycles joined one frame apart
