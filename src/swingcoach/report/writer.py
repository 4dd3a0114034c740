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

from swingcoach.analysis.swing import SwingAnalysis
from swingcoach.pose.base import PoseSequence
from swingcoach.report.html import render_html
from swingcoach.report.plots import angle_plot, event_strip, png_bytes
from swingcoach.report.video import render_annotated
from swingcoach.schemas import ModelVersions, Report, SourceInfo
from swingcoach.video.source import VideoInfo

REPORT_JSON = "report.json"
REPORT_HTML = "report.html"
ANNOTATED_VIDEO = "annotated.mp4"
POSES = "poses.npz"


def build_report(
    info: VideoInfo, sequence: PoseSequence, analyses: list[SwingAnalysis], models: ModelVersions
) -> Report:
    return Report(
        source=SourceInfo(
            path=info.source,
            fps=info.fps,
            width=info.width,
            height=info.height,
            frame_count=len(sequence),
            duration_s=round(len(sequence) / info.fps, 3),
            rotation=info.rotation,
        ),
        models=models,
        swings=[a.report for a in analyses],
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


def write_report_folder(
    out_dir: Path,
    info: VideoInfo,
    sequence: PoseSequence,
    analyses: list[SwingAnalysis],
    models: ModelVersions,
    on_frame: Callable[[int], None] | None = None,
) -> Report:
    report = build_report(info, sequence, analyses, models)
    with staged_folder(out_dir) as staging:
        event_frames = render_annotated(info.source, sequence, analyses, staging / ANNOTATED_VIDEO, on_frame)
        strips, plots = [], []
        for analysis in analyses:
            number = analysis.report.index + 1
            strip = png_bytes(event_strip(analysis, event_frames))
            plot = angle_plot(analysis)
            (staging / f"swing{number}_events.png").write_bytes(strip)
            (staging / f"swing{number}_angles.png").write_bytes(plot)
            strips.append(strip)
            plots.append(plot)
        sequence.save(staging / POSES)
        (staging / REPORT_HTML).write_text(render_html(report, strips, plots, info.source), encoding="utf-8")
        (staging / REPORT_JSON).write_text(report.model_dump_json(indent=2), encoding="utf-8")
    return report
