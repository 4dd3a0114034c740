"""The command line itself: its order, its choices, a missing extra, progress off a terminal, a fast start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, get_args

import pytest
import typer.main
from typer.testing import CliRunner

from swingcoach.cli import CLUBS, EVENT_DETECTORS, POSE_BACKENDS, console, progress_bar
from swingcoach.cli.app import app
from swingcoach.pose import backend_names
from swingcoach.schemas import Club
from swingcoach.swing.events import DEFAULT_DETECTOR, detector_names

runner = CliRunner()


def every_command(command: Any = None, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    command = command or typer.main.get_command(app)
    found = [(path, command)]
    for name, sub in getattr(command, "commands", {}).items():
        found += every_command(sub, (*path, name))
    return found


def test_help_lists_analyze_first() -> None:
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    names = [
        line.split()[1] for line in result.output.splitlines() if line.startswith("│ ") and line[2] != " "
    ]
    assert names == [
        "--help",
        "analyze",
        "events",
        "edge",
        "library",
        "serve",
        "posture",
        "train",
        "export",
        "bench",
    ]


def test_choices_match_their_source() -> None:
    assert list(POSE_BACKENDS) == backend_names()
    assert list(EVENT_DETECTORS) == detector_names() and EVENT_DETECTORS[0] == DEFAULT_DETECTOR
    assert get_args(Club) == CLUBS


def test_every_backend_option_lists_every_backend() -> None:
    options = [
        (path, param)
        for path, command in every_command()
        for param in getattr(command, "params", [])
        if param.name in ("backend", "pose_backend")
    ]
    assert {path for path, _ in options} >= {("analyze",), ("edge",), ("serve",), ("posture", "classify")}
    for path, param in options:
        assert all(name in param.help for name in POSE_BACKENDS), (path, param.help)


def test_one_option_name_for_the_event_detector() -> None:
    names = {opt for _, command in every_command() for p in getattr(command, "params", []) for opt in p.opts}
    assert "--events" in names and "--detector" not in names


@pytest.mark.parametrize(
    ("args", "module", "extra"),
    [(["serve"], "uvicorn", "server"), (["library", "list"], "pydantic_settings", "edge")],
)
def test_a_missing_extra_is_one_line(
    monkeypatch: pytest.MonkeyPatch, args: list[str], module: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # what `import module` meets when it is not installed
    # Imported by earlier tests: dropped, so that the command imports it again and meets the gap.
    monkeypatch.delitem(sys.modules, "swingcoach.edge.settings", raising=False)
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    command = " ".join(args)
    hint = f'pip install "swingcoach[{extra}]"'
    assert result.output.strip() == f"error: 'swingcoach {command}' needs the {extra} extra: {hint}"


def test_a_missing_module_of_our_own_is_not_an_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "swingcoach.server.core.config", None)
    result = runner.invoke(app, ["serve"])
    assert isinstance(result.exception, ModuleNotFoundError)


@pytest.mark.parametrize(
    ("total", "done", "lines"),
    [
        (40, 40, [f"pose: {4 * k}/40 frames ({10 * k}%)" for k in range(1, 11)]),
        (
            1800,
            450,
            ["pose: 180/1800 frames (10%)", "pose: 360/1800 frames (20%)", "pose: 450/1800 frames (25%)"],
        ),
        (None, 7, ["pose: 7 frames"]),
    ],
)
def test_plain_progress_lines_off_a_terminal(
    capsys: pytest.CaptureFixture[str], total: int | None, done: int, lines: list[str]
) -> None:
    assert not console.is_terminal
    with progress_bar("pose", total) as tick:
        for index in range(done):
            tick(index)
    assert capsys.readouterr().err.splitlines() == lines


def test_no_end_line_after_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(RuntimeError), progress_bar("report", 100) as tick:
        tick(14)
        raise RuntimeError
    assert capsys.readouterr().err.splitlines() == ["report: 15/100 frames (15%)"]


def test_the_command_line_starts_without_heavy_imports(tmp_path: Path) -> None:
    """`swingcoach --help` and a missing file answer at once: no numpy, models or server modules (typer
    itself imports pydantic)."""
    script = (
        "import sys\n"
        "from swingcoach.cli.app import main\n"
        "sys.argv = ['swingcoach', 'analyze', sys.argv[1]]\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    code = exit.code\n"
        "heavy = ('numpy', 'onnxruntime', 'cv2', 'httpx', 'fastapi', 'swingcoach.schemas',"
        " 'swingcoach.pose')\n"
        "print(code, [name for name in heavy if name in sys.modules])\n"
    )
    missing = tmp_path / "nothere.mp4"
    done = subprocess.run(
        [sys.executable, "-c", script, str(missing)], capture_output=True, text=True, check=True
    )
    assert done.stdout.split(maxsplit=1) == ["2", "[]\n"]
    assert done.stderr.strip() == f"error: file not found: {missing}"
