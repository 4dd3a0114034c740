"""Images for the report: the strip of 8 event frames and the key angles over the swing."""

from __future__ import annotations

import io

import cv2
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from swingcoach.analysis.metrics import angle_series
from swingcoach.analysis.swing import SwingAnalysis
from swingcoach.pose.skeleton import EDGES
from swingcoach.report.draw import draw_label, person_crop
from swingcoach.schemas import ProComparison
from swingcoach.swing.events import EVENT_NAMES

STRIP_HEIGHT = 260


def event_tile(image: np.ndarray, keypoints: np.ndarray | None) -> np.ndarray:
    """One event's frame cropped around the golfer, STRIP_HEIGHT pixels high."""
    if keypoints is not None and not np.isnan(keypoints[:, 0]).all():
        image = person_crop(image, keypoints)
    scale = STRIP_HEIGHT / image.shape[0]
    size = (max(1, round(image.shape[1] * scale)), STRIP_HEIGHT)
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def event_strip(tiles: dict[str, np.ndarray]) -> np.ndarray:
    """The 8 event tiles side by side, labelled (a blank tile for an event never decoded)."""
    row = []
    for name in EVENT_NAMES:
        tile = tiles.get(name)
        tile = np.zeros((STRIP_HEIGHT, STRIP_HEIGHT * 2 // 3, 3), np.uint8) if tile is None else tile.copy()
        draw_label(tile, name.replace("_", " "), (6, 22), 0.9)
        row.append(tile)
    return np.hstack(row)


def angle_plot(analysis: SwingAnalysis) -> bytes:
    """PNG of the key angles over the swing, with the events as vertical lines."""
    sequence = analysis.canonical
    reported = {name for name, m in analysis.report.metrics.items() if m.value is not None}
    series = angle_series(analysis.measured, analysis.orientation.standard_view, reported)
    t = np.arange(len(sequence)) / sequence.fps
    fig, axes = plt.subplots(len(series), 1, figsize=(9, 2.1 * len(series)), sharex=True)
    axes = np.atleast_1d(axes)
    for ax, (name, values) in zip(axes, series.items(), strict=True):
        ax.plot(t, values, color="#1f6feb", linewidth=1.8)
        ax.set_ylabel(name, fontsize=8)
        ax.grid(alpha=0.3)
        for event in EVENT_NAMES:
            ax.axvline(analysis.events[event] / sequence.fps, color="#2da44e", linestyle="--", linewidth=0.8)
    top_axis = axes[0].secondary_xaxis("top")
    top_axis.set_xticks([analysis.events[e] / sequence.fps for e in EVENT_NAMES])
    top_axis.set_xticklabels([e.replace("_", " ") for e in EVENT_NAMES], rotation=45, fontsize=7, ha="left")
    axes[-1].set_xlabel("time in the swing (s)")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return buffer.getvalue()


def jpeg_bytes(image_bgr: np.ndarray, quality: int = 82) -> bytes:
    ok, encoded = cv2.imencode(".jpg", image_bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("could not encode image as JPEG")
    return encoded.tobytes()


def pro_overlay(comparison: ProComparison) -> bytes:
    """PNG: at each event, the golfer's skeleton (blue) over the tour swings' median (grey), hips
    aligned, both in units of their height."""
    poses, reference = np.array(comparison.poses), np.array(comparison.reference_poses)
    fig, axes = plt.subplots(1, len(EVENT_NAMES), figsize=(12, 2.6), sharey=True)
    for ax, event, mine, pro in zip(axes, EVENT_NAMES, poses, reference, strict=True):
        for points, colour, width in ((pro, "#8c959f", 3.0), (mine, "#1f6feb", 1.6)):
            for a, b in EDGES:
                ax.plot(points[[a, b], 0], points[[a, b], 1], color=colour, linewidth=width)
        ax.set_title(event.replace("_", " "), fontsize=8)
        ax.set_aspect("equal")
        ax.set_xlim(-0.45, 0.45)
        ax.set_ylim(0.6, -0.7)
        ax.axis("off")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    plt.close(fig)
    return buffer.getvalue()
