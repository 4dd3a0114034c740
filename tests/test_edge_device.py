"""The device loop: adaptive pose rate, swing cutting with pre-roll, saving to the library and the
outbox, the live view, and the `swingcoach edge` / `swingcoach library` commands.

Most tests replay the demo video's real BlazePose keypoints through the loop (a stand-in pose
backend), so they run in seconds; one runs the real pose model on the real video end to end."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
from typer.testing import CliRunner

from swingcoach.bench.edge import mjpeg_frames, read_stamp, stamp
from swingcoach.cli.app import app
from swingcoach.edge.clips import Captured, ClipRecorder, FrameRing
from swingcoach.edge.device import Device
from swingcoach.edge.library import Library
from swingcoach.edge.liveview import LiveView, guidance, in_box
from swingcoach.edge.outbox import Outbox
from swingcoach.edge.pacing import LagMeter, paced
from swingcoach.edge.rate import AdaptiveRate
from swingcoach.edge.settings import EdgeSettings
from swingcoach.pose.base import PoseFrame, PoseSequence
from swingcoach.pose.skeleton import K
from swingcoach.schemas import SwingPayload
from swingcoach.swing.detect import DetectorSettings, State
from swingcoach.video.source import Frame, VideoInfo, open_source

DEMO_IMPACT = 142  # seen frame by frame (tests/test_swing.py)


class ReplayBackend:
    """Stands in for a pose model: returns recorded keypoints for the frame at `time_s`."""

    name = "replay"
    version = "replay-1"
    has_world = False

    def __init__(self, keypoints: np.ndarray, fps: float) -> None:
        self.keypoints, self.fps = keypoints, fps
        self.calls = 0

    def __call__(self, image: np.ndarray, time_s: float) -> PoseFrame | None:
        self.calls += 1
        row = self.keypoints[round(time_s * self.fps)]
        return None if np.isnan(row).all() else PoseFrame(row.copy())

    def reset(self) -> None:
        pass


def replay(keypoints: np.ndarray, fps: float, size: tuple[int, int]) -> tuple[Iterator[Frame], VideoInfo]:
    width, height = size
    images = [np.full((height, width, 3), 40 + 20 * k, dtype=np.uint8) for k in range(8)]
    frames = (Frame(i, i / fps, images[i % len(images)]) for i in range(len(keypoints)))
    return frames, VideoInfo("replay", fps, width, height, len(keypoints))


def nobody(frames: int) -> np.ndarray:
    return np.full((frames, 17, 3), np.nan, dtype=np.float32)


def run_replay(
    tmp_path: Path, keypoints: np.ndarray, sequence: PoseSequence, **settings: object
) -> tuple[Device, Library, ReplayBackend, object]:
    library = Library(tmp_path / "library")
    backend = ReplayBackend(keypoints, sequence.fps)
    device = Device(backend, library, EdgeSettings(library=library.root, device="test", **settings))
    frames, info = replay(keypoints, sequence.fps, (sequence.width, sequence.height))
    return device, library, backend, device.run(frames, info, realtime=False)


def test_rate_follows_the_state() -> None:
    rate = AdaptiveRate(source_fps=30.0, empty_fps=2.0, idle_fps=5.0)
    posed = []
    for i in range(90):
        t = i / 30
        state, person = (
            (State.IDLE, False) if i < 30 else (State.IDLE, True) if i < 60 else (State.ADDRESS, True)
        )
        if rate.due(t, state, person):
            rate.posed(t)
            posed.append(i)
    assert posed[:3] == [0, 15, 30]  # 2 fps with nobody in view
    assert [i for i in posed if 30 <= i < 60] == [30, 36, 42, 48, 54]  # 5 fps with somebody
    assert [i for i in posed if i >= 60] == list(range(60, 90))  # every frame from address on
    always = AdaptiveRate(30.0, 2.0, 5.0, adaptive=False)
    assert always.target_fps(State.IDLE, False) == 30.0


def test_lag_meter_sees_a_stall_and_follows_a_drifting_clock() -> None:
    now = [100.0]
    meter = LagMeter(window_s=10.0, clock=lambda: now[0])
    for i in range(30):  # on time
        now[0] = 100.0 + i / 30
        assert meter.lag(i / 30) == pytest.approx(0.0)
    now[0] = 100.0 + 30 / 30 + 0.5  # the loop stalled half a second
    assert meter.lag(30 / 30) == pytest.approx(0.5, abs=0.02)
    for i in range(31, 1000):  # a source clock 1% slow: the lag stays bounded by the window
        now[0] = 100.5 + i / 30 * 1.01
        lag = meter.lag(i / 30)
    assert lag < 0.2


def test_paced_delivers_frames_at_their_timestamps() -> None:
    image = np.zeros((4, 4, 3), dtype=np.uint8)
    started = time.monotonic()
    arrivals = [time.monotonic() - started for _ in paced(Frame(i, i / 20, image) for i in range(7))]
    assert arrivals[-1] >= 0.29  # the last frame is due 0.3 s in
    assert arrivals == sorted(arrivals)


def test_ring_keeps_the_last_seconds() -> None:
    ring = FrameRing(seconds=1.0)
    image = np.zeros((2, 2, 3), dtype=np.uint8)
    for i in range(90):
        ring.append(Captured(i, i / 30, image, None))
    assert len(ring) in (30, 31)  # one second of frames at 30 fps (its ends: floating point)
    assert [item.index for item in ring.since(89 / 30 - 0.1)] == [86, 87, 88, 89]


def test_a_discarded_recording_leaves_nothing(tmp_path: Path) -> None:
    recorder = ClipRecorder(tmp_path / "clip.partial", 30.0, 64, 48)
    for i in range(10):
        recorder.add(Captured(i, i / 30, np.full((48, 64, 3), i * 20, dtype=np.uint8), None))
    recorder.discard()
    recorder.result()
    assert not (tmp_path / "clip.partial").exists()


def test_swings_in_a_session_are_cut_with_pre_roll_and_saved(
    tmp_path: Path, demo_poses: PoseSequence
) -> None:
    gap = nobody(150)
    session = np.concatenate([demo_poses.keypoints, gap, demo_poses.keypoints, gap])
    _, library, _, stats = run_replay(tmp_path, session, demo_poses)
    entries = sorted(library.entries(), key=lambda e: e.first_frame)
    assert len(entries) == 2 and stats.failed_saves == 0
    second_offset = len(demo_poses) + len(gap)
    for entry, offset in zip(entries, (0, second_offset), strict=True):
        assert entry.events is not None
        assert abs(entry.events.impact - (offset + DEMO_IMPACT)) <= 4
        # The clip starts the pre-roll before the takeaway and runs past the finish.
        pre_roll = entry.time_at(entry.takeaway_frame) - entry.start_time_s
        assert pre_roll == pytest.approx(DetectorSettings().pre_roll_s, abs=0.1)
        assert entry.first_frame <= entry.events.address
        assert entry.finish_frame < entry.first_frame + entry.frames
        folder = library.folder(entry.id)
        with open_source(folder / "clip.mp4") as clip:
            assert sum(1 for _ in clip) == entry.frames
        keypoints = PoseSequence.load(folder / "keypoints.npz")
        assert len(keypoints) == entry.frames and keypoints.frame_indices[0] == entry.first_frame
        assert cv2.imread(str(folder / "thumbnail.jpg")) is not None
    assert not [p for p in library.swings_dir.iterdir() if p.name.endswith(".partial")]
    # Both queued for upload, as payloads the server accepts.
    outbox = Outbox(library.db_path)
    assert outbox.counts()["pending"] == 2
    item = outbox.next_pending()
    assert item is not None
    payload = SwingPayload.model_validate_json(item.body)
    assert str(payload.swing_id) == item.swing_id and payload.events is not None


def test_adaptive_rate_poses_far_fewer_frames_and_finds_the_same_swings(
    tmp_path: Path, demo_poses: PoseSequence
) -> None:
    standing = np.repeat(demo_poses.keypoints[:1], 150, axis=0)  # somebody around, not swinging
    session = np.concatenate([nobody(300), demo_poses.keypoints, standing, demo_poses.keypoints, nobody(300)])
    results = {}
    for mode, adaptive in (("adaptive", True), ("full", False)):
        _, library, backend, _ = run_replay(tmp_path / mode, session, demo_poses, adaptive=adaptive)
        results[mode] = (backend.calls, sorted(e.impact_frame for e in library.entries()))
    (adaptive_calls, adaptive_impacts), (full_calls, full_impacts) = results["adaptive"], results["full"]
    assert full_calls == len(session)
    assert adaptive_calls < 0.6 * full_calls
    assert len(adaptive_impacts) == len(full_impacts) == 2
    assert np.abs(np.subtract(adaptive_impacts, full_impacts)).max() <= 2


def test_waggles_and_walking_save_nothing(tmp_path: Path, demo_poses: PoseSequence) -> None:
    address = demo_poses.keypoints[45]
    torso = np.linalg.norm(address[K.L_SHOULDER, :2] - address[K.L_HIP, :2])
    frames = []
    for i in range(300):  # waggles at address, then walking away
        pose = address.copy()
        if i < 240 and (i % 80) < 40:
            offset = np.sin((i % 80) / 40 * np.pi) * 0.5 * torso
            pose[[K.L_WRIST, K.R_WRIST], 0] -= offset
            pose[[K.L_WRIST, K.R_WRIST], 1] -= 0.3 * offset
        elif i >= 240:
            pose[:, 0] += (i - 240) * 3.0
        frames.append(pose)
    _, library, _, stats = run_replay(tmp_path, np.array(frames), demo_poses)
    assert library.entries() == [] and stats.swings == []
    assert list(library.swings_dir.iterdir()) == []  # discarded recordings are removed


def test_live_view_streams_the_annotated_camera(tmp_path: Path, demo_poses: PoseSequence) -> None:
    view = LiveView("127.0.0.1", 0)
    try:
        assert b"stream.mjpg" in httpx.get(view.url).content
        assert httpx.get(f"{view.url}nothing").status_code == 404
        library = Library(tmp_path / "library")
        device = Device(
            ReplayBackend(demo_poses.keypoints, demo_poses.fps),
            library,
            EdgeSettings(library=library.root),
            live_view=view,
        )
        frames, info = replay(
            demo_poses.keypoints[:60], demo_poses.fps, (demo_poses.width, demo_poses.height)
        )
        value = 123456789
        stamped = (Frame(f.index, f.time_s, stamp(f.image, value)) for f in paced(frames))
        received = []
        stream = mjpeg_frames(f"{view.url}stream.mjpg")
        reader = threading.Thread(target=lambda: received.extend(next(stream) for _ in range(20)))
        reader.start()
        while not view.watched:
            time.sleep(0.01)
        device.run(stamped, info, realtime=True)
        reader.join(10)
    finally:
        view.close()
    assert len(received) == 20
    image = cv2.imdecode(np.frombuffer(received[-1], dtype=np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (demo_poses.height, demo_poses.width, 3)
    assert read_stamp(image) == value  # the frame itself, through JPEG, with the overlay beside it


def test_guidance_messages() -> None:
    box = (10, 10, 110, 210)
    person = np.array([[50.0, 100.0, 0.9]] * 17, dtype=np.float32)
    assert guidance(State.IDLE, None, False, False).message == "step into the frame"
    assert in_box(person, box)
    assert not in_box(person + np.array([200.0, 0.0, 0.0], dtype=np.float32), box)
    assert guidance(State.IDLE, person, False, False).message == "step into the box"
    assert guidance(State.IDLE, person, True, False).message == "take your address"
    assert guidance(State.ADDRESS, person, True, False).message == "address"
    assert guidance(State.FINISH, person, True, True).message == "swing saved"


def test_edge_and_library_commands_on_the_demo_video(tmp_path: Path, demo_video: Path) -> None:
    """The real thing: BlazePose lite on the real video, then list, show and delete."""
    runner = CliRunner()
    library = tmp_path / "library"
    result = runner.invoke(
        app, ["edge", "--source", str(demo_video), "--fast", "--no-live-view", "--library", str(library)]
    )
    assert result.exit_code == 0, result.output
    assert "1 swing(s) saved" in result.output
    listed = json.loads(runner.invoke(app, ["library", "list", "--library", str(library), "--json"]).stdout)
    assert len(listed) == 1 and listed[0]["uploads"] == {"payload": "pending"}
    swing_id = listed[0]["id"]
    assert abs(listed[0]["events"]["impact"] - DEMO_IMPACT) <= 4
    shown = runner.invoke(app, ["library", "show", swing_id[:6], "--library", str(library), "--json"])
    assert shown.exit_code == 0, shown.output
    files = json.loads(shown.stdout)["files"]
    assert all(Path(path).stat().st_size > 0 for path in files.values())
    missing = runner.invoke(app, ["library", "show", "ffffffff", "--library", str(library)])
    assert missing.exit_code == 2 and "no swing" in missing.output
    deleted = runner.invoke(app, ["library", "delete", swing_id, "--library", str(library), "--yes"])
    assert deleted.exit_code == 0, deleted.output
    assert (
        json.loads(runner.invoke(app, ["library", "list", "--library", str(library), "--json"]).stdout) == []
    )
    assert not Path(files["clip.mp4"]).exists()
    assert Outbox(library / "library.sqlite").counts() == {"pending": 0, "delivered": 0, "failed": 0}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--source", "none.mp4"], "file not found"),
        (["--source", "0", "--idle-fps", "-1"], "idle_fps: Input should be greater than 0"),
        (["--source", "0", "--mqtt", "broker:port"], "MQTT broker must be host[:port]"),
        (["--source", "0", "--server", "http://127.0.0.1:9"], "uploading needs a token"),
    ],
)
def test_edge_rejects_bad_options_in_one_line(tmp_path: Path, options: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["edge", *options, "--library", str(tmp_path), "--no-live-view"])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_ring_shorter_than_the_pre_roll_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["edge", "--source", "0", "--library", str(tmp_path), "--no-live-view"],
        env={"SWINGCOACH_RING_S": "2.5"},
    )
    assert result.exit_code == 2
    assert "ring_s 2.5 s cannot hold the swing cut's 2 s pre-roll; it must be at least 3 s" in result.output
    assert len(result.output.strip().splitlines()) == 1
