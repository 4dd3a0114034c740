"""The golfer's swing against tour swings of the same view and club: per metric, the percentile among
them; at each event, the golfer's skeleton over the tour swings' median skeleton (hips aligned, both
scaled to the same height) and the three largest differences in joint angles, in degrees.

The tour swings are GolfDB's face-on and down-the-line swings (McNally et al. 2019, CC BY-NC 4.0),
measured by this same analysis (`swingcoach train pros`), so the golfer and the pros carry the same
measurement error; `pro_swings.json` keeps each swing's metric values, angles and event poses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from swingcoach.analysis.body import chest, pelvis, pose_at
from swingcoach.analysis.metrics import StandardView
from swingcoach.geometry import image_line_tilt, joint_angle
from swingcoach.pose.skeleton import K
from swingcoach.schemas import Club, MetricResult, PoseDifference, ProComparison
from swingcoach.swing.events import EVENT_NAMES, EVENT_WORDS

PRO_FILE = Path(__file__).with_name("pro_swings.json")
# Our clubs -> GolfDB's club groups.
CLUB_GROUPS = {"driver": "driver", "3-wood": "fairway", **{f"{n}-iron": "iron" for n in range(4, 10)}}
MIN_SAME_CLUB = 15  # fewer tour swings of the club than this: all clubs of the view
MIN_FOR_PERCENTILE = 5
MAX_DIFFERENCES = 3
# Differences are ranked in units of the tour swings' spread; a spread below this is measurement
# noise, not a tour swing's variety.
MIN_SPREAD_DEG = 4.0
NO_DIFFERENCE_DEG = 0.5

PoseAngle = Callable[[np.ndarray], float]


def _joint(a: int, b: int, c: int) -> PoseAngle:
    return lambda p: joint_angle(p[a], p[b], p[c])


def _spine(p: np.ndarray) -> float:
    """The spine's lean from vertical in the image (either way)."""
    d = chest(p) - pelvis(p)
    return float(np.degrees(np.arctan2(abs(d[0]), -d[1])))


def _tilt(lead: int, trail: int) -> PoseAngle:
    return lambda p: image_line_tilt(p[lead], p[trail])


STRAIGHTER = ("straighter", "more bent")
TILTED = ("more tilted", "less tilted")
# name: (label, how it reads, the words for a larger and a smaller angle)
ANGLES: dict[str, tuple[str, PoseAngle, tuple[str, str]]] = {
    "lead_arm": ("lead arm (shoulder-elbow-wrist)", _joint(K.L_SHOULDER, K.L_ELBOW, K.L_WRIST), STRAIGHTER),
    "trail_arm": ("trail arm", _joint(K.R_SHOULDER, K.R_ELBOW, K.R_WRIST), STRAIGHTER),
    "lead_knee": ("lead leg (hip-knee-ankle)", _joint(K.L_HIP, K.L_KNEE, K.L_ANKLE), STRAIGHTER),
    "trail_knee": ("trail leg", _joint(K.R_HIP, K.R_KNEE, K.R_ANKLE), STRAIGHTER),
    "spine": ("spine lean from vertical", _spine, ("more leaned", "more upright")),
    "shoulders": ("shoulder line tilt (trail side down)", _tilt(K.L_SHOULDER, K.R_SHOULDER), TILTED),
    "hips": ("hip line tilt (trail side down)", _tilt(K.L_HIP, K.R_HIP), TILTED),
}


# Down the line the shoulder and hip lines point at the camera: their image tilt is not a posture.
VIEW_ANGLES: dict[StandardView, tuple[str, ...]] = {
    "face-on": tuple(ANGLES),
    "down-the-line": ("lead_arm", "trail_arm", "lead_knee", "trail_knee", "spine"),
}


def event_poses(keypoints: np.ndarray, positions: tuple[float, ...]) -> np.ndarray:
    """(8, 17, 2): the right-handed 2D pose at each event, the hip centre at the origin, in units of
    the golfer's height at address (nose to the lower ankle), y down."""
    poses = np.stack([pose_at(keypoints, p) for p in positions])
    address = poses[0]
    height = float(max(address[K.L_ANKLE, 1], address[K.R_ANKLE, 1]) - address[K.NOSE, 1])
    height = height if np.isfinite(height) and height > 1e-6 else 1.0
    return (poses - pelvis(poses)[:, None, :]) / height


def pose_angles(poses: np.ndarray) -> dict[str, float]:
    """Every compared angle at every event, keyed '<event>:<angle>'."""
    return {
        f"{event}:{name}": round(angle(poses[i]), 2)
        for i, event in enumerate(EVENT_NAMES)
        for name, (_, angle, _) in ANGLES.items()
    }


def pro_record(
    metrics: dict[str, MetricResult], keypoints: np.ndarray, positions: tuple[float, ...], club: str
) -> dict[str, Any]:
    """What the reference keeps of one swing (and what a golfer's swing is compared by)."""
    poses = event_poses(keypoints, positions)
    return {
        "club": club,
        "metrics": {name: m.value for name, m in metrics.items() if m.value is not None},
        "angles": pose_angles(poses),
        "poses": np.round(poses, 4).tolist(),
    }


@dataclass(frozen=True)
class ProReference:
    """Tour swings per standard view."""

    name: str
    views: dict[str, list[dict[str, Any]]]

    @classmethod
    @cache
    def shipped(cls) -> ProReference:
        return cls.load(PRO_FILE)

    @classmethod
    def load(cls, path: Path) -> ProReference:
        data = json.loads(path.read_text())
        return cls(name=data["name"], views=data["views"])

    def group(self, view: StandardView, club: Club) -> tuple[list[dict[str, Any]], str]:
        swings = self.views.get(view, [])
        group = CLUB_GROUPS.get(club, "driver")
        same = [s for s in swings if s["club"] == group]
        if len(same) >= MIN_SAME_CLUB:
            return same, f"{len(same)} {group} swings"
        return swings, f"{len(swings)} swings, all clubs (fewer than {MIN_SAME_CLUB} {group} swings)"


def percentile(value: float, others: list[float]) -> float:
    """Share of `others` below `value` (ties count half), in %."""
    values = np.asarray(others, dtype=np.float64)
    return round(float(100.0 * (np.sum(values < value) + 0.5 * np.sum(values == value)) / len(values)), 1)


def difference_text(event: str, angle: str, value: float, reference: float) -> str:
    label, _, (larger, smaller) = ANGLES[angle]
    delta = value - reference
    side = larger if delta > 0 else smaller
    return (
        f"{EVENT_WORDS[event].capitalize()}, your {label} is {value:.0f}° against the tour swings' "
        f"{reference:.0f}°: {abs(delta):.0f}° {side}."
    )


def compare(
    metrics: dict[str, MetricResult],
    keypoints: np.ndarray,
    positions: tuple[float, ...],
    view: StandardView,
    club: Club,
    reference: ProReference | None = None,
) -> ProComparison | None:
    """None when the reference holds no tour swing of the view."""
    reference = reference or ProReference.shipped()
    swings, described = reference.group(view, club)
    if not swings:
        return None
    mine = pro_record(metrics, keypoints, positions, club)
    percentiles = {}
    for name, value in mine["metrics"].items():
        if metrics[name].status == "unavailable":
            continue
        others = [s["metrics"][name] for s in swings if name in s["metrics"]]
        if len(others) >= MIN_FOR_PERCENTILE:
            percentiles[name] = percentile(value, others)
    ranked = []
    for key, value in mine["angles"].items():
        if key.split(":")[1] not in VIEW_ANGLES[view]:
            continue
        others = np.array([s["angles"][key] for s in swings])
        median = float(np.median(others))
        spread = max(float(np.subtract(*np.percentile(others, [75, 25]))), MIN_SPREAD_DEG)
        if abs(value - median) >= NO_DIFFERENCE_DEG:
            ranked.append((abs(value - median) / spread, key, value, median))
    ranked.sort(reverse=True)
    differences = []
    for _, key, value, median in ranked[:MAX_DIFFERENCES]:
        event, angle = key.split(":")
        differences.append(
            PoseDifference(
                event=event,
                angle=angle,
                value=round(value, 1),
                reference=round(median, 1),
                text=difference_text(event, angle, value, median),
            )
        )
    median_poses = np.median(np.array([s["poses"] for s in swings]), axis=0)
    return ProComparison(
        reference=f"{reference.name}: {described}, {view}",
        swings=len(swings),
        percentiles=percentiles,
        differences=differences,
        poses=mine["poses"],
        reference_poses=np.round(median_poses, 4).tolist(),
    )
