"""Write the report folder a golfer opens. The folder appears only when complete: everything is
written to a hidden sibling first and moved into place at the end, so a failed run never leaves
a partial report that looks finished (and never destroys an earlier one)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from swingcoach.analysis.ballflight import DEFAULT_CLUB
from swingcoach.analysis.swing import SwingAnalysis
from swingcoach.errors import NoPersonError, NoSwingError
from swingcoach.pipeline import SessionStream, model_versions, upright_turn
from swingcoach.pose.base import PoseBackend
from swingcoach.pose.spool import PoseSpool
from swingcoach.report.html import SwingRow, swing_files, write_html
from swingcoach.report.plots import angle_plot, event_strip, jpeg_bytes, pro_overlay
from swingcoach.report.video import ANNOTATED_LONG_SIDE, SwingOverlay, render_annotated
from swingcoach.schemas import Club, Handedness, ModelVersions, Report, SourceInfo, SwingReport
from swingcoach.swing.events import EventDetector
from swingcoach.video.source import FileSource, FrameSource, VideoInfo

REPORT_JSON = "report.json"
REPORT_HTML = "report.html"
ANNOTATED_VIDEO = "annotated.mp4"
POSES = "poses.npz"
SPOOL = ".poses"  # the spooled poses and swing reports, inside the staging folder until finished


def report_header(info: VideoInfo, rows: int, models: ModelVersions) -> Report:
    """The report of `info` without its swings, which are written one at a time."""
    return Report(
        source=SourceInfo(
            path=info.source,
            fps=info.fps,
            width=info.width,
            height=info.height,
            frame_count=rows,
            duration_s=round(rows / info.fps, 3),
            rotation=info.rotation,
            turned=info.turn,
        ),
        models=models,
        swings=[],
    )


class SwingLog:
    """The session's swing reports on disk as they close, one JSON line each, read back one at a
    time: report.html and report.json are written from it without holding every swing at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = path.open("w", encoding="utf-8")

    def append(self, report: SwingReport) -> None:
        self._file.write(report.model_dump_json() + "\n")

    def __iter__(self) -> Iterator[SwingReport]:
        self._file.flush()
        with self.path.open(encoding="utf-8") as lines:
            for line in lines:
                yield SwingReport.model_validate_json(line)

    def close(self) -> None:
        self._file.close()


def write_report_json(path: Path, report: Report, swings: Iterable[SwingReport]) -> None:
    """report.json as `report.model_dump_json(indent=2)` would write it with `swings` in its list,
    the swings written one at a time."""
    fields = report.model_dump(mode="json")
    with path.open("w", encoding="utf-8") as out:
        out.write("{")
        for n, (key, value) in enumerate(fields.items()):
            out.write(("," if n else "") + f"\n  {json.dumps(key)}: ")
            if key != "swings":
                out.write(json.dumps(value, indent=2).replace("\n", "\n  "))
                continue
            separator = "["
            for swing in swings:
                out.write(separator + "\n    " + swing.model_dump_json(indent=2).replace("\n", "\n    "))
                separator = ","
            out.write("[]" if separator == "[" else "\n  ]")
        out.write("\n}")


@dataclass(frozen=True)
class WrittenReport:
    """What `swingcoach analyze` prints of a written report folder."""

    source: SourceInfo
    swings: list[SwingRow]


@contextmanager
def staged_folder(out_dir: Path) -> Iterator[Path]:
    """Yield a scratch folder beside `out_dir`; on success it replaces `out_dir` in one step."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=out_dir.parent))
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)  # mkdtemp makes it private; the report is an ordinary folder
    try:
        yield staging
        if out_dir.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".old", dir=out_dir.parent))
            out_dir.rename(retired / "previous")
            staging.rename(out_dir)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            staging.rename(out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


class ReportFolder:
    """The report folder of one video, written as its swings close.

    Each swing's images and report are written when it is added, and only what the annotated video
    and the summary show of it is kept; `finish` renders the annotated video from the spooled poses,
    the event strips on the way, then poses.npz, report.html and report.json. Nothing is visible at
    `out_dir` before `finish` returns."""

    def __init__(self, out_dir: Path, with_world: bool) -> None:
        self.out_dir, self.with_world = out_dir, with_world
        self._stage = staged_folder(out_dir)
        self._overlays: list[SwingOverlay] = []
        self._rows: list[SwingRow] = []

    def __enter__(self) -> ReportFolder:
        self.staging = self._stage.__enter__()
        (self.staging / SPOOL).mkdir()
        self.spool = PoseSpool(self.staging / SPOOL, self.with_world)
        self._swings = SwingLog(self.staging / SPOOL / "swings.jsonl")
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.spool.close()
        self._swings.close()
        shutil.rmtree(self.staging / SPOOL, ignore_errors=True)
        self._stage.__exit__(*exc_info)

    def add_swing(self, analysis: SwingAnalysis, fps: float) -> None:
        report = analysis.report
        files = swing_files(report.index)
        (self.staging / files.plot).write_bytes(angle_plot(analysis))
        if report.comparison is not None:
            (self.staging / files.overlay).write_bytes(pro_overlay(report.comparison))
        self._swings.append(report)
        self._overlays.append(SwingOverlay(report, fps))
        self._rows.append(SwingRow.of(report))

    def _write_strip(self, overlay: SwingOverlay) -> None:
        strip = jpeg_bytes(event_strip(overlay.tiles))
        (self.staging / swing_files(overlay.index).strip).write_bytes(strip)
        overlay.tiles.clear()

    def finish(
        self,
        info: VideoInfo,
        video: FrameSource,
        models: ModelVersions,
        on_frame: Callable[[int], None] | None = None,
    ) -> WrittenReport:
        """`info`: the video the swings were found in; `video`: it opened again, at most
        ANNOTATED_LONG_SIDE pixels on its long side."""
        spool = self.spool
        render_annotated(
            video,
            (info.width, info.height),
            spool.keypoints(),
            self._overlays,
            self.staging / ANNOTATED_VIDEO,
            self._write_strip,
            on_frame,
        )
        spool.save_npz(self.staging / POSES, info.fps, info.width, info.height)
        report = report_header(info, spool.rows, models)
        write_html(self.staging / REPORT_HTML, report, self._rows, self._swings)
        write_report_json(self.staging / REPORT_JSON, report, self._swings)
        return WrittenReport(report.source, self._rows)


def write_video_report(
    path: Path,
    out_dir: Path,
    backend: PoseBackend,
    detector: EventDetector,
    handedness: Handedness | None = None,
    club: Club = DEFAULT_CLUB,
    turn: int | None = None,
    on_pose_frame: Callable[[int], None] | None = None,
    on_render_frame: Callable[[int], None] | None = None,
) -> WrittenReport:
    """A video file -> its report folder, swing by swing as they close (what `swingcoach analyze` runs).

    `turn`: degrees clockwise to turn the picture. Left out, a video with no swing the file's way up
    (a phone whose rotation tag leaves the golfer on their side) is tried turned, and the turn that
    shows an upright person is used and recorded in the report (`source.turned`)."""

    def run(turned: int) -> WrittenReport:
        with ReportFolder(out_dir, backend.has_world) as folder:
            source = FileSource(path, turn=turned)
            stream = SessionStream(
                source,
                backend,
                detector,
                folder.spool,
                handedness,
                club,
                on_pose_frame,
            )
            for analysis in stream:
                folder.add_swing(analysis, stream.fps)
            smaller = FileSource(path, turn=turned, max_side=ANNOTATED_LONG_SIDE)
            models = model_versions(backend.version, detector)
            return folder.finish(source.info, smaller, models, on_render_frame)

    try:
        return run(turn or 0)
    except (NoPersonError, NoSwingError) as error:
        if turn is not None:
            raise
        better = upright_turn(lambda turned: FileSource(path, turn=turned), backend)
        if better is None:
            raise type(error)(
                f"{error}; turning the picture by 90, 180 or 270 degrees shows no upright golfer either"
            ) from None
        return run(better)
