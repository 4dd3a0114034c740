"""Video sources: containers, frame rates, orientation, bounded memory and bad files."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import cv2
import numpy as np
import pytest

from media_files import write_video
from swingcoach.errors import InputError
from swingcoach.video import VideoWriter, open_source


def marker_frames(count: int, width: int = 96, height: int = 64) -> list[np.ndarray]:
    """Frames with a white square in the top-left corner and the frame number as brightness."""
    frames = []
    for i in range(count):
        image = np.full((height, width, 3), (i * 7) % 200, dtype=np.uint8)
        image[:16, :16] = 255
        frames.append(image)
    return frames


def bright_corner(image: np.ndarray) -> str:
    h, w = image.shape[:2]
    corners = {
        "top-left": image[: h // 4, : w // 4],
        "top-right": image[: h // 4, -w // 4 :],
        "bottom-left": image[-h // 4 :, : w // 4],
        "bottom-right": image[-h // 4 :, -w // 4 :],
    }
    return max(corners, key=lambda k: float(corners[k].mean()))


@pytest.mark.parametrize(
    ("suffix", "codec"),
    [
        (".mp4", "libx264"),
        (".mov", "libx264"),
        (".avi", "mpeg4"),
        (".webm", "libvpx-vp9"),
        (".mkv", "libx264"),
    ],
)
def test_containers_decode_every_frame(tmp_path: Path, suffix: str, codec: str) -> None:
    path = write_video(tmp_path / f"clip{suffix}", marker_frames(20), codec=codec)
    with open_source(path) as source:
        frames = list(source)
        assert source.info.width == 96 and source.info.height == 64
    assert len(frames) == 20
    assert [f.index for f in frames] == list(range(20))
    assert bright_corner(frames[0].image) == "top-left"


@pytest.mark.parametrize("fps", [24.0, 29.97, 60.0, 120.0, 240.0])
def test_frame_rate_and_timestamps(tmp_path: Path, fps: float) -> None:
    path = write_video(tmp_path / "clip.mp4", marker_frames(12), fps=fps)
    with open_source(path) as source:
        assert source.info.fps == pytest.approx(fps, rel=1e-3)
        times = [f.time_s for f in source]
    assert times[0] == 0.0
    assert np.diff(times) == pytest.approx(np.full(11, 1 / fps), rel=1e-2)


def test_portrait_video_keeps_its_shape(tmp_path: Path) -> None:
    path = write_video(tmp_path / "portrait.mp4", marker_frames(5, width=64, height=112))
    with open_source(path) as source:
        frame = next(iter(source))
        assert (source.info.width, source.info.height) == (64, 112)
    assert frame.image.shape == (112, 64, 3)


@pytest.mark.parametrize(
    ("rotation", "corner"), [(90, "bottom-left"), (-90, "top-right"), (180, "bottom-right")]
)
def test_rotation_metadata_is_applied(tmp_path: Path, rotation: int, corner: str) -> None:
    """Phones store portrait video as landscape plus a display rotation; frames must come out upright
    (the same way OpenCV and browsers show them)."""
    path = write_video(tmp_path / "rotated.mp4", marker_frames(5), rotation=rotation)
    with open_source(path) as source:
        frame = next(iter(source))
        info = source.info
    expected = (64, 96) if rotation % 180 else (96, 64)
    assert (info.width, info.height) == expected
    assert frame.image.shape[:2] == (expected[1], expected[0])
    assert bright_corner(frame.image) == corner
    ok, reference = cv2.VideoCapture(str(path)).read()
    assert ok and bright_corner(reference) == corner


def test_long_video_streams_in_bounded_memory(tmp_path: Path) -> None:
    """3000 frames (100 s at 30 fps) decoded one at a time: memory does not grow with length."""
    path = tmp_path / "long.mp4"
    frame = np.zeros((120, 160, 3), dtype=np.uint8)
    with VideoWriter(path, 30.0, 160, 120) as writer:
        for i in range(3000):
            frame[:] = i % 255
            writer.write(frame)
    tracemalloc.start()
    count = 0
    with open_source(path) as source:
        for _ in source:
            count += 1
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 3000
    all_frames_bytes = 3000 * frame.nbytes  # 173 MB if frames were kept
    assert peak < all_frames_bytes / 50


def test_writer_output_is_h264_and_odd_sizes_are_padded(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    with VideoWriter(path, 30.0, 101, 75) as writer:
        for image in marker_frames(10, width=101, height=75):
            writer.write(image)
    with open_source(path) as source:
        assert source.info.codec == "h264"
        assert (source.info.width, source.info.height) == (102, 76)
        assert len(list(source)) == 10


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        open_source(tmp_path / "nope.mp4")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    path.touch()
    with pytest.raises(InputError, match="empty file"):
        open_source(path)


def test_not_a_video(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("these are my swing notes, not a video\n" * 50)
    with pytest.raises(InputError, match="not a readable video"):
        open_source(path)


def test_truncated_video(tmp_path: Path, demo_video: Path) -> None:
    """The demo video cut to 60 % of its bytes: an error, never a silently shorter analysis."""
    data = demo_video.read_bytes()
    path = tmp_path / "truncated.mp4"
    path.write_bytes(data[: int(len(data) * 0.6)])
    with pytest.raises(InputError, match=r"truncated|corrupt|not a readable"), open_source(path) as source:
        for _ in source:
            pass


def test_corrupt_header(tmp_path: Path, demo_video: Path) -> None:
    data = bytearray(demo_video.read_bytes())
    data[:4096] = bytes(4096)
    path = tmp_path / "corrupt.mp4"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError), open_source(path) as source:
        for _ in source:
            pass


def test_camera_index_that_does_not_exist() -> None:
    with pytest.raises(InputError, match="camera 97 could not be opened"):
        open_source("97")


def test_network_stream_over_http(tmp_path: Path) -> None:
    """The same iterator reads a stream from a URL (here a local HTTP server, no range requests,
    so it only works because our writer puts the mp4 index first)."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    with VideoWriter(tmp_path / "clip.mp4", 30.0, 96, 64) as writer:
        for image in marker_frames(40):
            writer.write(image)
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with open_source(f"http://127.0.0.1:{server.server_address[1]}/clip.mp4") as source:
            assert (source.info.width, source.info.height) == (96, 64)
            assert source.info.frame_count is None  # a stream: no promise of a length
            frames = sum(1 for _ in source)
    finally:
        server.shutdown()
    assert frames >= 39  # the first frame is spent probing the stream's rotation
