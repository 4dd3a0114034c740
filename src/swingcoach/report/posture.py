"""The report folder of a yoga or exercise recording: report.json, an annotated video (or image),
a per-pose / per-repetition table in report.html and a plot over time."""

from __future__ import annotations

import html
import io
import json
from dataclasses import asdict
from pathlib import Path

import cv2
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from swingcoach.pose.base import PoseSequence
from swingcoach.posture.features import body_points
from swingcoach.posture.held import HeldPoseReading
from swingcoach.posture.movement import motion_signal
from swingcoach.posture.session import PostureReport, analyse_posture
from swingcoach.report.draw import draw_label, draw_skeleton
from swingcoach.report.writer import staged_folder
from swingcoach.video.source import open_source
from swingcoach.video.writer import VideoWriter


def _plot(times: np.ndarray, series: dict[str, np.ndarray], marks: list[float], ylabel: str) -> bytes:
    fig, ax = plt.subplots(figsize=(9, 3))
    for name, values in series.items():
        ax.plot(times, values, linewidth=1.6, label=name)
    for x in marks:
        ax.axvline(x, color="#2da44e", linestyle="--", linewidth=0.8)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return buffer.getvalue()


def _captions(
    report: PostureReport, readings: list[HeldPoseReading], sequence: PoseSequence
) -> list[list[str]]:
    """The lines drawn on each row of the sequence."""
    if report.sport == "yoga":
        return [
            [r.caption, *([r.guidance] if r.guidance else []), f"hold {r.hold_s:.1f} s"] for r in readings
        ]
    counts = np.zeros(len(sequence), dtype=int)
    for rep in report.repetitions:
        counts[np.searchsorted(sequence.frame_indices, rep.end_frame) :] += 1
    return [[f"{report.exercise}: {n} reps"] for n in counts]


def _annotate(image: np.ndarray, keypoints: np.ndarray, lines: list[str]) -> np.ndarray:
    draw_skeleton(image, keypoints)
    for n, line in enumerate(lines):
        draw_label(image, line, (12, 30 + 30 * n), 0.7)
    return image


def _html(report: PostureReport) -> str:
    if report.sport == "yoga":
        head = ("pose", "side", "frames", "hold (s)", "accuracy %", "guidance")
        rows = [
            (
                s.label,
                s.side or "",
                f"{s.start_frame}-{s.end_frame}",
                s.hold_s,
                s.accuracy or "",
                s.guidance or "",
            )
            for s in report.poses
        ]
        title = f"{len(report.poses)} held pose(s)"
    else:
        head = ("rep", "frames", "tempo (s)", "joint", "range (°)", "form")
        rows = [
            (
                r.index + 1,
                f"{r.start_frame}-{r.end_frame}",
                r.tempo_s,
                r.joint,
                round(r.range_deg),
                "; ".join(r.form_errors),
            )
            for r in report.repetitions
        ]
        confidence = 100 * (report.exercise_confidence or 0)
        title = f"{report.exercise} ({confidence:.0f}%): {len(report.repetitions)} repetitions"
    cells = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    header = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return (
        f"<!doctype html><meta charset='utf-8'><title>{html.escape(report.source)}</title>"
        f"<h1>{html.escape(title)}</h1>"
        f"<p>{html.escape(report.source)} · model {html.escape(report.model)}</p>"
        f"<table border=1 cellpadding=4><tr>{header}</tr>{cells}</table>"
        "<img src='plot.png' alt='over time'>"
    )


def write_posture_report(
    out_dir: Path, source: Path, sequence: PoseSequence, sport: str, is_image: bool
) -> PostureReport:
    """Analyse `sequence` (the poses of `source`) for `sport` and write the report folder."""
    report, readings = analyse_posture(sequence, sport, source.name, is_image)
    times = np.arange(len(sequence)) / sequence.fps
    if sport == "yoga":
        series = {
            "confidence %": np.array([100 * r.confidence for r in readings]),
            "accuracy %": np.array([np.nan if r.accuracy is None else r.accuracy for r in readings]),
        }
        plot = _plot(times, series, [], "%")
    else:
        points = body_points(sequence.keypoints)
        marks = [(r.end_frame - int(sequence.frame_indices[0])) / sequence.fps for r in report.repetitions]
        plot = _plot(times, {"main motion": motion_signal(points, sequence.fps)}, marks, "body sizes")
    captions = _captions(report, readings, sequence)
    with staged_folder(out_dir) as folder:
        (folder / "report.json").write_text(json.dumps(asdict(report), indent=2) + "\n")
        (folder / "plot.png").write_bytes(plot)
        (folder / "report.html").write_text(_html(report))
        if source.suffix.lower() == ".npz":
            pass  # keypoints only: nothing to draw on
        elif is_image:
            image = cv2.imread(str(source), cv2.IMREAD_COLOR)
            cv2.imwrite(str(folder / "annotated.jpg"), _annotate(image, sequence.keypoints[0], captions[0]))
        else:
            rows = {int(index): row for row, index in enumerate(sequence.frame_indices)}
            with (
                open_source(source) as video,
                VideoWriter(
                    folder / "annotated.mp4", video.info.fps, video.info.width, video.info.height
                ) as out,
            ):
                for frame in video:
                    row = rows.get(frame.index)
                    image = frame.image.copy()
                    out.write(
                        image if row is None else _annotate(image, sequence.keypoints[row], captions[row])
                    )
    return report
