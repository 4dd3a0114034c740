"""`swingcoach bench metric-error`: each angle metric's measurement error, per view and 3D source,
computed by the product's own metric code on Human3.6M (S9, S11; evaluation only).

For pairs of frames one second apart ("address" and "top"/"impact") seen by a camera that faces the
person (face on: the hip line within 20 degrees of the image plane, the person facing the camera) or
sees them from the side (down the line: within 20 degrees of the optical axis, mirrored when they
face image-left, as a left-handed swing is), every angle metric is computed
- from the true 3D (the reference),
- from our lifter's 3D, lifted from the Stacked-Hourglass 2D detections (what the product does),
- from the 2D detections with the view's 2D definition, where it has one,
- from the true 2D (the projection of the true 3D): the error of the 2D definition itself.
Both 3D are levelled with the camera's known tilt first (a phone on a tripod is close to level;
Human3.6M's cameras look down). Human3.6M holds no golf swings: its turns and bends are smaller than a
swing's, so the errors say how well each source measures posture angles, not golf-specific ones.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from swingcoach.analysis.body import SwingBody, shipped_lifter
from swingcoach.analysis.metrics import ANGLE_EVENTS, ANGLES_2D, ANGLES_3D, StandardView, Swing
from swingcoach.errors import InputError
from swingcoach.pose.lift import INPUT_JOINTS, Lifter, h36m_to_coco, normalize_input
from swingcoach.pose.skeleton import NUM_KEYPOINTS, K, mirror_keypoints
from swingcoach.swing.events.base import SwingEvents
from swingcoach.swing.timing import SwingTiming
from swingcoach.train.h36m import TEST_SUBJECTS, Take, load_takes

PAIR_S = 1.0
STRIDE_S = 1.0  # between first frames of the pairs
VIEW_TOLERANCE = 20.0  # degrees from the ideal camera placement
SOURCES = ("lifter", "2d", "2d-true")


@dataclass
class MetricError:
    metric: str
    view: StandardView
    source: str  # lifter | 2d | 2d-true
    pairs: int
    mae: float
    rmse: float
    bias: float
    truth_p10_p90: tuple[float, float]


def level_rotation(up: np.ndarray) -> np.ndarray:
    """The rotation that takes the camera-frame `up` vector to (0, -1, 0) (y down)."""
    target = np.array([0.0, -1.0, 0.0])
    up = up / np.linalg.norm(up)
    axis = np.cross(up, target)
    sin, cos = float(np.linalg.norm(axis)), float(np.dot(up, target))
    if sin < 1e-9:
        return np.eye(3)
    k = axis / sin
    cross = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + sin * cross + (1 - cos) * cross @ cross


def _coco_2d(points: np.ndarray) -> np.ndarray:
    """(T, 12, 2) input joints -> (T, 17, 3) COCO keypoints (face NaN, confidence 1)."""
    out = np.full((len(points), NUM_KEYPOINTS, 3), np.nan, dtype=np.float64)
    out[:, INPUT_JOINTS, :2] = points
    out[:, INPUT_JOINTS, 2] = 1.0
    return out


def _placement(world: np.ndarray) -> tuple[float, float, float]:
    """Azimuth of the camera (degrees, 0 face on), and the facing direction's x and z."""
    p = world
    lead = (p[K.L_HIP] - p[K.R_HIP]) + (p[K.L_SHOULDER] - p[K.R_SHOULDER])
    lead = lead * np.array([1.0, 0.0, 1.0])
    lead /= max(float(np.linalg.norm(lead)), 1e-9)
    forward = np.cross(lead, [0.0, -1.0, 0.0])
    return float(np.degrees(np.arccos(min(1.0, abs(lead[0]))))), float(forward[0]), float(forward[2])


def _pair_swing(keypoints: np.ndarray, world: np.ndarray, rows: tuple[int, int], fps: float) -> Swing:
    """A six-frame stand-in swing: each of the two frames held three times (the metrics take the
    median of three frames around an event), address at row 1, every later event at row 4."""
    picked = np.repeat(np.array(rows), 3)
    body = SwingBody(keypoints=keypoints[picked, :, :2], world=world[picked], fps=fps, address=1)
    events = SwingEvents((1, 4, 4, 4, 4, 4, 4, 4))
    timing = SwingTiming(fps=fps, top=4.0, impact=4.0, takeaway=1.0)
    return Swing(body=body, events=events, timing=timing, cm=1.0)


def _views(world_a: np.ndarray) -> StandardView | None:
    azimuth, forward_x, forward_z = _placement(world_a)
    if azimuth <= VIEW_TOLERANCE and forward_z < 0:
        return "face-on"
    if azimuth >= 90 - VIEW_TOLERANCE:
        return "down-the-line"
    del forward_x
    return None


def take_errors(take: Take, lifter: Lifter, level: np.ndarray, width: float) -> dict[tuple, list[tuple]]:
    """(metric, view, source) -> [(truth, estimate)] for the pairs of one take seen by one camera."""
    if take.sh2d is None:
        return {}
    truth = h36m_to_coco(take.pose3d) @ level.T
    lifted = h36m_to_coco(lifter.lift_h36m(normalize_input(take.sh2d), take.fps)) @ level.T
    detected, projected = _coco_2d(take.sh2d), _coco_2d(take.gt2d)
    step, gap = max(1, round(STRIDE_S * take.fps)), max(1, round(PAIR_S * take.fps))
    out: dict[tuple, list[tuple]] = defaultdict(list)
    for a in range(0, len(truth) - gap, step):
        view = _views(truth[a])
        if view is None:
            continue
        sources = {"truth": (projected, truth), "lifter": (detected, lifted), "2d": (detected, lifted)}
        sources["2d-true"] = (projected, truth)
        if view == "down-the-line" and _placement(truth[a])[1] < 0:  # facing image-left: mirror
            sources = {
                name: (mirror_keypoints(k, width), mirror_keypoints(w, None))
                for name, (k, w) in sources.items()
            }
        swings = {name: _pair_swing(k, w, (a, a + gap), take.fps) for name, (k, w) in sources.items()}
        for metric in ANGLE_EVENTS:
            reference = ANGLES_3D[metric](swings["truth"])
            if reference is None:
                continue
            estimates = {"lifter": ANGLES_3D[metric](swings["lifter"])}
            if metric in ANGLES_2D[view]:
                estimates["2d"] = ANGLES_2D[view][metric](swings["2d"])
                estimates["2d-true"] = ANGLES_2D[view][metric](swings["2d-true"])
            for source, value in estimates.items():
                if value is not None and np.isfinite(value):
                    out[(metric, view, source)].append((reference, value))
    return out


def run_metric_error(data: Path) -> list[MetricError]:
    cameras_file = data / "cameras.json"
    if not cameras_file.is_file():
        raise InputError(f"Human3.6M not found: {cameras_file} is missing (pass --data)")
    cameras = json.loads(cameras_file.read_text())
    lifter = shipped_lifter()
    pooled: dict[tuple, list[tuple]] = defaultdict(list)
    for take in load_takes(data, TEST_SUBJECTS):
        camera = cameras[take.subject][take.camera]
        up = np.asarray(camera["R"]) @ np.array([0.0, 0.0, 1.0])
        width = 2 * float(camera["c"][0])
        for key, values in take_errors(take, lifter, level_rotation(up), width).items():
            pooled[key].extend(values)
    results = []
    for (metric, view, source), values in sorted(pooled.items()):
        truth, estimate = np.array(values).T
        error = estimate - truth
        results.append(
            MetricError(
                metric=metric,
                view=view,
                source=source,
                pairs=len(values),
                mae=round(float(np.mean(np.abs(error))), 2),
                rmse=round(float(np.sqrt(np.mean(error**2))), 2),
                bias=round(float(np.mean(error)), 2),
                truth_p10_p90=(
                    round(float(np.percentile(truth, 10)), 1),
                    round(float(np.percentile(truth, 90)), 1),
                ),
            )
        )
    return results
