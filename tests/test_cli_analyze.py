"""`swingcoach analyze` end to end on a real video, and every kind of bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from media_files import write_video
from swingcoach.cli.app import app
from swingcoach.schemas import Report
from swingcoach.swing.events import EVENT_NAMES
from swingcoach.video import open_source

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory, demo_video: Path) -> Path:
    out = tmp_path_factory.mktemp("analysis") / "demo"
    result = runner.invoke(
        app, ["analyze", str(demo_video), "--out", str(out), "--backend", "blazepose-lite"]
    )
    assert result.exit_code == 0, result.output
    return out


def test_report_folder_is_complete(demo_report: Path) -> None:
    names = {p.name for p in demo_report.iterdir()}
    assert {
        "report.json",
        "report.html",
        "annotated.mp4",
        "poses.npz",
        "swing1_events.jpg",
        "swing1_angles.png",
        "swing1_pros.png",
    } <= names
    assert not any(name.startswith(".") for name in names)  # the pose spool is gone
    assert not any(name.endswith(".partial") for name in names)


def test_report_json_follows_the_schema(demo_report: Path) -> None:
    raw = json.loads((demo_report / "report.json").read_text())
    report = Report.model_validate(raw)
    assert raw["schema_version"] == "2.0"
    assert len(report.swings) == 1
    swing = raw["swings"][0]
    assert list(swing["events"]) == list(EVENT_NAMES)
    frames = list(swing["events"].values())
    assert frames == sorted(frames)
    assert swing["start_frame"] <= frames[0] and frames[-1] <= swing["end_frame"] < 264
    assert abs(swing["events"]["impact"] - 142) <= 4
    assert 0 <= swing["score"] <= 100
    assert report.models.pose == "blazepose-lite-0.5.1675469404-flip"  # a file: posed with its mirror


def test_annotated_video_has_every_frame(demo_report: Path) -> None:
    with open_source(demo_report / "annotated.mp4") as video:
        assert video.info.codec == "h264"
        assert sum(1 for _ in video) == 264


def test_html_report_works_offline_from_its_folder(demo_report: Path) -> None:
    html = (demo_report / "report.html").read_text()
    for name in EVENT_NAMES:
        assert name.replace("_", " ") in html
    assert "http://" not in html and "https://" not in html  # nothing fetched: works offline
    # Images are files beside the page (a session of many swings stays a small page), every one there.
    sources = re.findall(r'src="([^"]+)"', html)
    assert {"annotated.mp4", "swing1_events.jpg", "swing1_angles.png", "swing1_pros.png"} <= set(sources)
    assert all((demo_report / source).is_file() for source in sources)
    assert "data:image" not in html
    # The session summary links to each swing's section.
    assert 'id="summary"' in html and 'href="#swing-1"' in html and 'id="swing-1"' in html


def test_poses_npz_holds_every_frame(demo_report: Path) -> None:
    from swingcoach.pose.base import PoseSequence

    poses = PoseSequence.load(demo_report / "poses.npz")
    assert len(poses) == 264 and poses.world is not None
    assert poses.valid.mean() > 0.9


def run_failing(args: list[str]) -> tuple[int, str]:
    result = runner.invoke(app, args)
    return result.exit_code, result.output


# The progress lines printed when the output is not a terminal (as here), before any error.
PROGRESS_LINE = re.compile(r"[\w ,]+: \d+(/\d+)? frames( \(\d+%\))?")


def assert_clean_error(code: int, output: str, expected_code: int, words: str) -> None:
    assert code == expected_code, output
    assert words in output
    assert "Traceback" not in output
    lines = [line for line in output.strip().splitlines() if not PROGRESS_LINE.fullmatch(line)]
    assert len(lines) == 1, output


def test_missing_file(tmp_path: Path) -> None:
    code, output = run_failing(["analyze", str(tmp_path / "nope.mp4"), "--out", str(tmp_path / "out")])
    assert_clean_error(code, output, 2, "file not found")
    assert not (tmp_path / "out").exists()


def test_not_a_video(tmp_path: Path) -> None:
    fake = tmp_path / "swing.mp4"
    fake.write_bytes(b"\x89PNG not really a video" * 100)
    code, output = run_failing(["analyze", str(fake), "--out", str(tmp_path / "out")])
    assert_clean_error(code, output, 2, "not a readable video")
    assert not (tmp_path / "out").exists()


def test_truncated_video_keeps_the_earlier_report(
    tmp_path: Path, demo_video: Path, demo_report: Path
) -> None:
    truncated = tmp_path / "cut.mp4"
    data = demo_video.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.json").write_text('{"earlier": true}')
    code, output = run_failing(["analyze", str(truncated), "--out", str(out), "--backend", "blazepose-lite"])
    assert code == 2 and "Traceback" not in output
    assert (out / "report.json").read_text() == '{"earlier": true}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.mp4", "out"]


def test_video_without_a_person(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frames = [np.clip(rng.normal(120, 20, (240, 320, 3)), 0, 255).astype(np.uint8) for _ in range(45)]
    path = write_video(tmp_path / "grass.mp4", frames)
    code, output = run_failing(
        ["analyze", str(path), "--out", str(tmp_path / "out"), "--backend", "blazepose-lite"]
    )
    assert_clean_error(code, output, 3, "no person found")
    assert not (tmp_path / "out").exists()


def test_video_without_a_swing(tmp_path: Path, demo_video: Path) -> None:
    """The golfer standing at address for three seconds: a person, but no swing."""
    with open_source(demo_video) as video:
        address = next(f.image for f in video if f.index == 45)
    path = write_video(tmp_path / "still.mp4", [address] * 90)
    code, output = run_failing(
        ["analyze", str(path), "--out", str(tmp_path / "out"), "--backend", "blazepose-lite"]
    )
    assert_clean_error(code, output, 4, "no golf swing found")
    assert not (tmp_path / "out").exists()


def test_unknown_backend(tmp_path: Path, demo_video: Path) -> None:
    code, output = run_failing(
        ["analyze", str(demo_video), "--backend", "nope", "--out", str(tmp_path / "o")]
    )
    assert_clean_error(code, output, 2, "unknown pose backend")


@pytest.mark.data
@pytest.mark.slow
@pytest.mark.parametrize("name", ["swing1", "swing2", "swing3", "swing6", "golf_swing", "new_swing"])
def test_each_phone_swing_is_one_swing(tmp_path: Path, shared_data: Path, name: str) -> None:
    video = shared_data / "phone_swings" / f"{name}.mp4"
    result = runner.invoke(app, ["analyze", str(video), "--out", str(tmp_path / name)])
    assert result.exit_code == 0, result.output
    report = Report.model_validate_json((tmp_path / name / "report.json").read_text())
    assert len(report.swings) == 1
    landmarks = shared_data / "phone_swings" / f"{name}_landmarks.npz"
    if landmarks.exists():
        # `events` on the video's own landmark file cuts and finds the swing as `analyze` does; only
        # the pose models differ. Measured: toe-up to mid follow-through within 3 frames on all four
        # phone swings with landmarks; the finish, the loosest event, up to 19 frames (swing3). The
        # takeaway (and with it the cut's start and the address, found in the window before it) is
        # where the hands first leave a still address, a threshold the two models' noise can cross
        # apart: on new_swing one machine's poses put it 35 frames before the landmark file's (130
        # against 165, with the hands visibly rising from about 120), another's within 4.
        result = runner.invoke(app, ["events", "--landmarks", str(landmarks), "--json"])
        assert result.exit_code == 0, result.output
        found = json.loads(result.stdout)["swings"]
        assert len(found) == 1
        difference = np.abs(
            np.array(found[0]["events"]) - list(report.swings[0].events.model_dump().values())
        )
        assert difference[1:-1].max() <= 4 and difference[-1] <= 25
        assert difference[0] <= 40
        assert abs(found[0]["start_frame"] - report.swings[0].start_frame) <= 40


def sideways(demo_video: Path, path: Path, turn: int) -> Path:
    """The demo with its pixels turned (no rotation tag): the golfer lies on their side."""
    code = {90: cv2.ROTATE_90_CLOCKWISE, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}[turn]
    with open_source(demo_video) as video:
        frames = [cv2.rotate(frame.image, code) for frame in video]
    return write_video(path, frames, fps=29.97)


@pytest.mark.slow
def test_a_sideways_video_is_turned_upright(tmp_path: Path, demo_video: Path) -> None:
    """Turned 90 degrees clockwise, the golfer is found by turning it back (270 clockwise), and
    the report and the command say so."""
    video = sideways(demo_video, tmp_path / "sideways.mp4", 90)
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(video), "--out", str(out), "--backend", "blazepose-lite"])
    assert result.exit_code == 0, result.output
    report = Report.model_validate_json((out / "report.json").read_text())
    assert report.source.turned == 270
    assert "turned the picture 270° clockwise" in result.output
    assert len(report.swings) == 1
    assert abs(report.swings[0].events.impact - 142) <= 4
    with open_source(out / "annotated.mp4") as annotated:  # the annotated video is upright
        assert annotated.info.height > annotated.info.width


@pytest.mark.slow
def test_rotate_is_taken_as_given(tmp_path: Path, demo_video: Path) -> None:
    video = sideways(demo_video, tmp_path / "sideways.mp4", 270)
    out = tmp_path / "out"
    args = ["analyze", str(video), "--out", str(out), "--backend", "blazepose-lite", "--rotate", "90"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert Report.model_validate_json((out / "report.json").read_text()).source.turned == 90
    # Told the wrong way, it does not second-guess: no swing, and the message says how it was turned.
    code, output = run_failing([*args[:-1], "180", "--out", str(tmp_path / "wrong")])
    assert code in (3, 4) and "Traceback" not in output


def test_rotate_takes_quarter_turns_only(tmp_path: Path, demo_video: Path) -> None:
    code, output = run_failing(["analyze", str(demo_video), "--rotate", "45", "--out", str(tmp_path / "o")])
    assert code == 2 and "0, 90, 180 or 270" in output
