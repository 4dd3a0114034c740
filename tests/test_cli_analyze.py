"""`swingcoach analyze` end to end on a real video, and every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

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
        app, ["analyze", str(demo_video), "--out", str(out), "--backend", "mediapipe-lite"]
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
        "swing1_events.png",
        "swing1_angles.png",
    } <= names
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


def test_html_report_is_self_contained(demo_report: Path) -> None:
    html = (demo_report / "report.html").read_text()
    for name in EVENT_NAMES:
        assert name.replace("_", " ") in html
    assert "data:image/png;base64," in html
    assert "http://" not in html and "https://" not in html  # nothing fetched: works offline


def run_failing(args: list[str]) -> tuple[int, str]:
    result = runner.invoke(app, args)
    return result.exit_code, result.output


def assert_clean_error(code: int, output: str, expected_code: int, words: str) -> None:
    assert code == expected_code, output
    assert words in output
    assert "Traceback" not in output
    assert len(output.strip().splitlines()) == 1


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
    code, output = run_failing(["analyze", str(truncated), "--out", str(out), "--backend", "mediapipe-lite"])
    assert code == 2 and "Traceback" not in output
    assert (out / "report.json").read_text() == '{"earlier": true}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.mp4", "out"]


def test_video_without_a_person(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frames = [np.clip(rng.normal(120, 20, (240, 320, 3)), 0, 255).astype(np.uint8) for _ in range(45)]
    path = write_video(tmp_path / "grass.mp4", frames)
    code, output = run_failing(
        ["analyze", str(path), "--out", str(tmp_path / "out"), "--backend", "mediapipe-lite"]
    )
    assert_clean_error(code, output, 3, "no person found")
    assert not (tmp_path / "out").exists()


def test_video_without_a_swing(tmp_path: Path, demo_video: Path) -> None:
    """The golfer standing at address for three seconds: a person, but no swing."""
    with open_source(demo_video) as video:
        address = next(f.image for f in video if f.index == 45)
    path = write_video(tmp_path / "still.mp4", [address] * 90)
    code, output = run_failing(
        ["analyze", str(path), "--out", str(tmp_path / "out"), "--backend", "mediapipe-lite"]
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
