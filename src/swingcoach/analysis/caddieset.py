"""CaddieSet's swing features (Jung et al., CVPRW 2025), computed from our poses at the 8 events.

CaddieSet names a feature `<event>-<NAME>` (event 0 = address ... 7 = finish) and defines each in one
line of its README; its paper gives no formulas. Each definition here reads that line on the
right-handed 2D keypoints (image x right, y down), as its authors measured them from one camera's 2D
joints; docs/ballflight.md maps them one by one, with where ours differ, and compares the
distributions of ours on GolfDB's annotated swings with theirs (`swingcoach bench ballflight`).

Face on, the target is image-right (the lead side); down the line the golfer faces image-right.
Lengths are ratios of the address pose: movements in shoulder widths face on and torso lengths
down the line, positions in stance widths.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from swingcoach.analysis.body import chest, pelvis, pose_at
from swingcoach.analysis.metrics import StandardView
from swingcoach.geometry import image_line_tilt, joint_angle
from swingcoach.pose.skeleton import K

CADDIESET_VIEWS: dict[StandardView, str] = {"face-on": "FACEON", "down-the-line": "DTL"}
HEAD = [K.NOSE, K.L_EYE, K.R_EYE, K.L_EAR, K.R_EAR]
MIN_WIDTH_PX = 1e-3


@dataclass(frozen=True)
class EventPoses:
    """The right-handed 2D pose (17, 2) at each of the 8 events, and the address scales."""

    poses: np.ndarray  # (8, 17, 2)

    @classmethod
    def of(cls, keypoints: np.ndarray, positions: tuple[float, ...]) -> EventPoses:
        return cls(np.stack([pose_at(keypoints, p) for p in positions]))

    def __getitem__(self, event: int) -> np.ndarray:
        return self.poses[event]

    @property
    def address(self) -> np.ndarray:
        return self.poses[0]

    def shoulder_width(self) -> float:
        p = self.address
        return float(np.linalg.norm(p[K.L_SHOULDER] - p[K.R_SHOULDER]))

    def torso_length(self) -> float:
        p = self.address
        return float(np.linalg.norm(chest(p) - pelvis(p)))

    def stance_width(self) -> float:
        p = self.address
        return float(abs(p[K.L_ANKLE, 0] - p[K.R_ANKLE, 0]))


Feature = Callable[[EventPoses, int], float | None]


def _ratio(value: float, width: float) -> float | None:
    return value / width if width > MIN_WIDTH_PX else None


def _line_angle(p: np.ndarray, lead: int, trail: int) -> float:
    return image_line_tilt(p[lead], p[trail], MIN_WIDTH_PX)


def _head(p: np.ndarray) -> np.ndarray:
    return np.nanmean(p[HEAD], axis=0)


def shoulder_angle(e: EventPoses, event: int) -> float:
    """Unsigned, as CaddieSet's values are: down the line the shoulder line tilts either way."""
    return abs(_line_angle(e[event], K.L_SHOULDER, K.R_SHOULDER))


def line_turn(lead: int, trail: int) -> Feature:
    """A body line's change of image angle since address, unsigned: the pelvis 'rotation' one camera
    sees (the line tilting and shortening in the image)."""

    def feature(e: EventPoses, event: int) -> float:
        return abs(_line_angle(e[event], lead, trail) - _line_angle(e.address, lead, trail))

    return feature


def joint(a: int, b: int, c: int) -> Feature:
    return lambda e, event: joint_angle(e[event][a], e[event][b], e[event][c])


def moved(part: Callable[[np.ndarray], np.ndarray], unit: Callable[[EventPoses], float]) -> Feature:
    """Along image x since address (toward the target face on, toward the ball down the line), in
    `unit`s: shoulder widths face on, torso lengths down the line (where the shoulders are
    foreshortened)."""
    return lambda e, event: _ratio(float(part(e[event])[0] - part(e.address)[0]), unit(e))


def behind_lead_ankle(point: int) -> Feature:
    """How far a point is behind (trail side of) the lead ankle, in stance widths."""
    return lambda e, event: _ratio(float(e[event][K.L_ANKLE, 0] - e[event][point, 0]), e.stance_width())


def stance_ratio(e: EventPoses, event: int) -> float | None:
    p = e[event]
    return _ratio(float(abs(p[K.L_ANKLE, 0] - p[K.R_ANKLE, 0])), e.shoulder_width())


def upper_tilt(e: EventPoses, event: int) -> float | None:
    """Torso (hip centre to shoulder centre) over leg (hip centre to ankle centre) length."""
    p = e[event]
    ankles = (p[K.L_ANKLE] + p[K.R_ANKLE]) / 2
    legs = float(np.linalg.norm(pelvis(p) - ankles))
    return _ratio(float(np.linalg.norm(chest(p) - pelvis(p))), legs)


def from_lead_ankle(point: int) -> Feature:
    """The line from the lead ankle to a point, degrees from the ground on the target side."""

    def feature(e: EventPoses, event: int) -> float:
        d = e[event][point] - e[event][K.L_ANKLE]
        return float(np.degrees(np.arctan2(-d[1], d[0])))

    return feature


def spine_angle(e: EventPoses, event: int) -> float:
    """The spine (hip centre to shoulder centre) from horizontal, in the image."""
    d = chest(e[event]) - pelvis(e[event])
    return float(np.degrees(np.arctan2(-d[1], abs(d[0]) + MIN_WIDTH_PX)))


def elbow_gap(e: EventPoses, event: int) -> float | None:
    """Down the line: the trail elbow's distance from the spine line, in torso lengths."""
    p = e[event]
    hip, neck = pelvis(p), chest(p)
    axis = neck - hip
    length = float(np.linalg.norm(axis))
    if length <= MIN_WIDTH_PX:
        return None
    v = p[K.R_ELBOW] - hip
    return float(abs(axis[0] * v[1] - axis[1] * v[0]) / length**2)


def _percent(feature: Feature) -> Feature:
    def scaled(e: EventPoses, event: int) -> float | None:
        value = feature(e, event)
        return None if value is None else 100.0 * value

    return scaled


HIP_TURN = line_turn(K.L_HIP, K.R_HIP)
SIDEWAYS = EventPoses.shoulder_width
TOWARD_BALL = EventPoses.torso_length
LEAD_ARM = joint(K.L_SHOULDER, K.L_ELBOW, K.L_WRIST)
TRAIL_ARM = joint(K.R_SHOULDER, K.R_ELBOW, K.R_WRIST)
LEAD_LEG = joint(K.L_HIP, K.L_KNEE, K.L_ANKLE)
TRAIL_LEG = joint(K.R_HIP, K.R_KNEE, K.R_ANKLE)

# Each CaddieSet name -> our definition. Which events carry which name per view is CaddieSet's
# choice (the columns it fills), in FEATURES below.
DEFINITIONS: dict[str, Feature] = {
    "SHOULDER-ANGLE": shoulder_angle,
    "UPPER-TILT": upper_tilt,
    "STANCE-RATIO": stance_ratio,
    "HEAD-LOC": moved(_head, SIDEWAYS),
    "SHOULDER-LOC": _percent(behind_lead_ankle(K.L_SHOULDER)),
    "LEFT-ARM-ANGLE": LEAD_ARM,
    "RIGHT-ARM-ANGLE": TRAIL_ARM,
    "HIP-ROTATION": HIP_TURN,
    "HIP-SHIFTED": moved(pelvis, SIDEWAYS),
    "RIGHT-LEG-ANGLE": TRAIL_LEG,
    "SHOULDER-HANGING-BACK": behind_lead_ankle(K.L_SHOULDER),
    "HIP-HANGING-BACK": behind_lead_ankle(K.L_HIP),
    "RIGHT-ARMPIT-ANGLE": joint(K.R_ELBOW, K.R_SHOULDER, K.R_HIP),
    "WEIGHT-SHIFT": from_lead_ankle(K.L_HIP),
    "FINISH-ANGLE": from_lead_ankle(K.R_HIP),
    "SPINE-ANGLE": spine_angle,
    "LOWER-ANGLE": TRAIL_LEG,
    "HIP-LINE": moved(pelvis, TOWARD_BALL),
    "HIP-ANGLE": HIP_TURN,
    "RIGHT-DISTANCE": elbow_gap,
    "LEFT-LEG-ANGLE": LEAD_LEG,
}

# The columns CaddieSet fills for each view (over half its swings have them).
FEATURES: dict[StandardView, tuple[str, ...]] = {
    "face-on": (
        "0-SHOULDER-ANGLE", "0-STANCE-RATIO", "0-UPPER-TILT",
        "1-HEAD-LOC", "1-HIP-ROTATION", "1-HIP-SHIFTED", "1-LEFT-ARM-ANGLE", "1-RIGHT-ARM-ANGLE",
        "1-SHOULDER-LOC",
        "2-HEAD-LOC", "2-HIP-ROTATION", "2-HIP-SHIFTED", "2-LEFT-ARM-ANGLE", "2-SHOULDER-LOC",
        "2-UPPER-TILT",
        "3-HEAD-LOC", "3-HIP-ROTATION", "3-HIP-SHIFTED", "3-RIGHT-LEG-ANGLE", "3-SHOULDER-LOC",
        "4-HEAD-LOC", "4-HIP-HANGING-BACK", "4-HIP-ROTATION", "4-HIP-SHIFTED", "4-RIGHT-ARMPIT-ANGLE",
        "4-SHOULDER-HANGING-BACK",
        "5-HEAD-LOC", "5-HIP-HANGING-BACK", "5-HIP-SHIFTED", "5-LEFT-ARM-ANGLE", "5-RIGHT-ARM-ANGLE",
        "5-SHOULDER-ANGLE", "5-SHOULDER-HANGING-BACK",
        "6-HEAD-LOC", "6-HIP-SHIFTED", "6-LEFT-ARM-ANGLE", "6-RIGHT-LEG-ANGLE", "6-WEIGHT-SHIFT",
        "7-FINISH-ANGLE", "7-HIP-SHIFTED",
    ),
    "down-the-line": (
        "0-LOWER-ANGLE", "0-SPINE-ANGLE",
        "1-HIP-LINE", "1-LEFT-ARM-ANGLE", "1-RIGHT-ARM-ANGLE", "1-SHOULDER-ANGLE", "1-SPINE-ANGLE",
        "2-HIP-ANGLE", "2-HIP-LINE", "2-SHOULDER-ANGLE",
        "3-HIP-ANGLE", "3-HIP-LINE", "3-LEFT-LEG-ANGLE", "3-RIGHT-ARM-ANGLE", "3-RIGHT-DISTANCE",
        "3-RIGHT-LEG-ANGLE", "3-SHOULDER-ANGLE",
        "4-HIP-ANGLE", "4-HIP-LINE", "4-RIGHT-ARM-ANGLE", "4-SPINE-ANGLE",
        "5-HIP-LINE", "5-LEFT-LEG-ANGLE", "5-SHOULDER-ANGLE", "5-SPINE-ANGLE",
        "6-HIP-ANGLE", "6-HIP-LINE", "6-SHOULDER-ANGLE", "6-SPINE-ANGLE",
        "7-HIP-ANGLE", "7-HIP-LINE", "7-SHOULDER-ANGLE", "7-SPINE-ANGLE",
    ),
}  # fmt: skip


def split_name(column: str) -> tuple[int, str]:
    event, name = column.split("-", 1)
    return int(event), name


def caddieset_features(
    keypoints: np.ndarray, positions: tuple[float, ...], view: StandardView
) -> dict[str, float | None]:
    """CaddieSet's features of one right-handed swing (2D keypoints, gaps filled) from `view`, at the
    8 events' sub-frame rows."""
    poses = EventPoses.of(keypoints, positions)
    out: dict[str, float | None] = {}
    for column in FEATURES[view]:
        event, name = split_name(column)
        value = DEFINITIONS[name](poses, event)
        out[column] = None if value is None or not np.isfinite(value) else round(float(value), 4)
    return out
