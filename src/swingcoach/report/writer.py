"""Write the report folder a golfer opens. The folder appears only when complete: everything is
written to a hidden sibling first and moved into place at the end, so a failed run never leaves
a partial report that looks finished (and never destroys an earlier one)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from swingcoach.analysis.ballflight import DEFAULT_CLUB
from swingcoach.analysis.swing import SwingAnalysis
from swingcoach.errors import NoPersonError, NoSwingError
from swingcoach.pipeline import SessionStream, model_versions, upright_turn
from swingcoach.pose.base import PoseBackend
from swingcoach.pose.spool import PoseSpool
from swingcoach.report.html import render_html, swing_files
from swingcoach.report.plots import angle_plot, event_strip, jpeg_bytes, pro_overlay
from swingcoach.report.video import ANNOTATED_LONG_SIDE, SwingOverlay, render_annotated
from swingcoach.schemas import Club, Handedness, ModelVersions, Report, SourceInfo, SwingReport
from swingcoach.swing.events import EventDetector
from swingcoach.video.source import FileSource, FrameSource, VideoInfo

REPORT_JSON = "report.json"
REPORT_HTML = "report.html"
ANNOTATED_VIDEO = "annotated.mp4"
POSES = "poses.npz"
SPOOL = ".poses"  # the spooled poses, inside the staging folder until poses.npz is written


def build_report(info: VideoInfo, rows: int, swings: list[SwingReport], models: ModelVersions) -> Report:
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
        swings=swings,
    )


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

    Each swing's images are written when it is added, so only its report is kept; `finish` renders
    the annotated video from the spooled poses, the event strips on the way, then poses.npz,
    report.html and report.json. Nothing is visible at `out_dir` before `finish` returns."""

    def __init__(self, out_dir: Path, with_world: bool) -> None:
        self.out_dir, self.with_world = out_dir, with_world
        self._stage = staged_folder(out_dir)
        self._overlays: list[SwingOverlay] = []

    def __enter__(self) -> ReportFolder:
        self.staging = self._stage.__enter__()
        (self.staging / SPOOL).mkdir()
        self.spool = PoseSpool(self.staging / SPOOL, self.with_world)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.spool.close()
        shutil.rmtree(self.staging / SPOOL, ignore_errors=True)
        self._stage.__exit__(*exc_info)

    def add_swing(self, analysis: SwingAnalysis, fps: float) -> None:
        files = swing_files(analysis.report.index)
        (self.staging / files.plot).write_bytes(angle_plot(analysis))
        if analysis.report.comparison is not None:
            (self.staging / files.overlay).write_bytes(pro_overlay(analysis.report.comparison))
        self._overlays.append(SwingOverlay(analysis, fps))

    def _write_strip(self, overlay: SwingOverlay) -> None:
        strip = jpeg_bytes(event_strip(overlay.tiles))
        (self.staging / swing_files(overlay.report.index).strip).write_bytes(strip)
        overlay.tiles.clear()

    def finish(
        self,
        info: VideoInfo,
        video: FrameSource,
        models: ModelVersions,
        on_frame: Callable[[int], None] | None = None,
    ) -> Report:
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
        report = build_report(info, spool.rows, [o.report for o in self._overlays], models)
        (self.staging / REPORT_HTML).write_text(render_html(report), encoding="utf-8")
        (self.staging / REPORT_JSON).write_text(report.model_dump_json(indent=2), encoding="utf-8")
        return report


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
) -> Report:
    """A video file -> its report folder, swing by swing as they close (what `swingcoach analyze` runs).

    `turn`: degrees clockwise to turn the picture. Left out, a video with no swing the file's way up
    (a phone whose rotation tag leaves the golfer on their side) is tried turned, and the turn that
    shows an upright person is used and recorded in the report (`source.turned`)."""

    def run(turned: int) -> Report:
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
