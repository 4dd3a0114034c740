"""Swing metrics, one definition per metric and camera view. Ranges, texts and sources live in
references.toml; the definitions and their measured errors are in docs/metrics.md.

The swing is right-handed (left-handed swings are mirrored first). Each metric means one thing in
the swing's own frame (vertical, toward the target, toward the ball; `analysis.body`); each view
measures it where the image shows it, in 2D as coaches draw lines on video, and from the lifted 3D
where the image plane does not hold it. Root motion (the whole body moving toward or away from the
camera) is in neither, so sideways moves are not measured down the line and moves toward the ball
are not measured face on.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from swingcoach.analysis.body import UP, SwingBody, chest, pelvis, pose_at
from swingcoach.geometry import angle_in_plane, joint_angle, line_heading, turn_between
from swingcoach.pose.skeleton import K
from swingcoach.swing.events.base import SwingEvents
from swingcoach.swing.features import hand_height, normalize
from swingcoach.swing.timing import SwingTiming

StandardView = Literal["face-on", "down-the-line"]
Source = Literal["timing", "2d", "3d"]

FINISH_HOLD_S = 0.5
# No golfer takes this long from top to impact in real time: the clip is slow motion.
SLOW_MOTION_DOWNSWING_S = 0.6
IMAGE_UP = np.array([0.0, -1.0])
IMAGE_RIGHT = np.array([1.0, 0.0])


@dataclass(frozen=True)
class Measurement:
    value: float | None
    note: str | None = None
    source: Source | None = None
    events: tuple[str, ...] = ()


@dataclass(frozen=True)
class Swing:
    """What a definition reads."""

    body: SwingBody
    events: SwingEvents
    timing: SwingTiming
    cm: float  # per pixel

    def at(self, name: str) -> float:
        """The event's sub-frame row: metrics are measured at the event's time."""
        return self.events.position(name)


Measure = Callable[[Swing], float | None]


@dataclass(frozen=True)
class Definition:
    measure: Measure
    source: Source
    events: tuple[str, ...]


# --- timing -----------------------------------------------------------------------------------


def _tempo(s: Swing) -> float | None:
    return s.timing.tempo_ratio


def _slow_motion(s: Swing) -> bool:
    return s.timing.downswing_s > SLOW_MOTION_DOWNSWING_S


def _backswing_s(s: Swing) -> float | None:
    return None if _slow_motion(s) else s.timing.backswing_s


def _downswing_s(s: Swing) -> float | None:
    return None if _slow_motion(s) else s.timing.downswing_s


# --- angles: each a function of the swing and a frame, so plots can follow them over time -----

FrameAngle = Callable[[Swing, float], float | None]


def turn_3d(left: int, right: int) -> FrameAngle:
    """Rotation of a body line about the vertical since address, lifted 3D."""

    def angle(s: Swing, frame: float) -> float:
        before, after = pose_at(s.body.world, s.at("address")), pose_at(s.body.world, frame)
        return turn_between(
            line_heading(before[left], before[right]), line_heading(after[left], after[right])
        )

    return angle


def turn_face_on(left: int, right: int) -> FrameAngle:
    """Face on, a body line is square to the camera at address and turns out of the image plane: its
    signed width (lead point's x minus trail point's x) shrinks with the cosine of the turn, and
    changes sign past 90 degrees."""

    def angle(s: Swing, frame: float) -> float | None:
        before, after = pose_at(s.body.keypoints, s.at("address")), pose_at(s.body.keypoints, frame)
        width = before[left, 0] - before[right, 0]
        if width <= 0:
            return None
        return float(np.degrees(np.arccos(np.clip((after[left, 0] - after[right, 0]) / width, -1.0, 1.0))))

    return angle


def bend_2d(s: Swing, frame: float) -> float:
    """Down the line: the spine (hip centre to shoulder centre) from vertical in the image, toward the
    ball positive (the golfer faces image-right)."""
    p = pose_at(s.body.keypoints, frame)
    return angle_in_plane(chest(p) - pelvis(p), IMAGE_UP, IMAGE_RIGHT)


def bend_3d(s: Swing, frame: float) -> float:
    p = pose_at(s.body.world, frame)
    return angle_in_plane(chest(p) - pelvis(p), UP, s.body.forward_axis())


LEGS = {"lead": (K.L_HIP, K.L_KNEE, K.L_ANKLE), "trail": (K.R_HIP, K.R_KNEE, K.R_ANKLE)}


def knee_flex(three_d: bool, legs: tuple[str, ...]) -> FrameAngle:
    def angle(s: Swing, frame: float) -> float:
        p = pose_at(s.body.world if three_d else s.body.keypoints, frame)
        return float(np.mean([180.0 - joint_angle(*(p[j] for j in LEGS[leg])) for leg in legs]))

    return angle


def lead_elbow_3d(s: Swing, frame: float) -> float:
    p = pose_at(s.body.world, frame)
    return joint_angle(p[K.L_SHOULDER], p[K.L_ELBOW], p[K.L_WRIST])


def at(angle: FrameAngle, event: str) -> Measure:
    return lambda s: angle(s, s.at(event))


def change(angle: FrameAngle, event: str) -> Measure:
    """The angle at `event` minus at address."""

    def measure(s: Swing) -> float | None:
        now, before = angle(s, s.at(event)), angle(s, s.at("address"))
        return None if now is None or before is None else now - before

    return measure


def difference(a: Measure, b: Measure) -> Measure:
    def measure(s: Swing) -> float | None:
        first, second = a(s), b(s)
        return None if first is None or second is None else first - second

    return measure


def lead_elbow_2d(s: Swing, frame: float) -> float:
    p = pose_at(s.body.keypoints, frame)
    return joint_angle(p[K.L_SHOULDER], p[K.L_ELBOW], p[K.L_WRIST])


SHOULDERS, HIPS = (K.L_SHOULDER, K.R_SHOULDER), (K.L_HIP, K.R_HIP)
# Every angle metric from the lifted 3D, and from the 2D of the views whose image plane holds it.
# Which of them a view reports is ANGLE_SOURCES' choice (the benchmarks measure all of them).
ANGLES_3D: dict[str, Measure] = {
    "shoulder_turn_top": at(turn_3d(*SHOULDERS), "top"),
    "hip_turn_top": at(turn_3d(*HIPS), "top"),
    "x_factor_top": difference(at(turn_3d(*SHOULDERS), "top"), at(turn_3d(*HIPS), "top")),
    "spine_tilt_address": at(bend_3d, "address"),
    "spine_tilt_top": change(bend_3d, "top"),
    "spine_tilt_impact": change(bend_3d, "impact"),
    "lead_arm_top": at(lead_elbow_3d, "top"),
    "knee_flex_address": at(knee_flex(True, ("lead", "trail")), "address"),
    "trail_knee_flex_top": at(knee_flex(True, ("trail",)), "top"),
}
ANGLES_2D: dict[StandardView, dict[str, Measure]] = {
    "face-on": {
        "shoulder_turn_top": at(turn_face_on(*SHOULDERS), "top"),
        "hip_turn_top": at(turn_face_on(*HIPS), "top"),
        "x_factor_top": difference(at(turn_face_on(*SHOULDERS), "top"), at(turn_face_on(*HIPS), "top")),
    },
    "down-the-line": {
        "spine_tilt_address": at(bend_2d, "address"),
        "spine_tilt_top": change(bend_2d, "top"),
        "spine_tilt_impact": change(bend_2d, "impact"),
        "lead_arm_top": at(lead_elbow_2d, "top"),
        "knee_flex_address": at(knee_flex(False, ("lead", "trail")), "address"),
        "trail_knee_flex_top": at(knee_flex(False, ("trail",)), "top"),
    },
}
# The source each view measures an angle with, chosen on measured error (docs/metrics.md: Human3.6M
# for posture angles, tour swings for what Human3.6M has no examples of); None: not reported.
TURN_NOT_SEEN = (
    "not measurable from one camera: the pose models do not resolve the torso's rotation at the top "
    "(on tour swings they read 25-46° against the 85-105° those players turn)"
)
LEAD_ARM_NOT_SEEN = (
    "not measurable from one camera: at the top the lead arm points out of the image plane "
    "(errors of 15-28° measured, and tour swings read 95-160° against their 155-180°)"
)
ANGLE_SOURCES: dict[str, dict[StandardView, Source | str]] = {
    "shoulder_turn_top": dict.fromkeys(("face-on", "down-the-line"), TURN_NOT_SEEN),
    "hip_turn_top": dict.fromkeys(("face-on", "down-the-line"), TURN_NOT_SEEN),
    "x_factor_top": dict.fromkeys(("face-on", "down-the-line"), TURN_NOT_SEEN),
    "spine_tilt_address": {"face-on": "3d", "down-the-line": "2d"},
    "spine_tilt_top": {"face-on": "3d", "down-the-line": "2d"},
    "spine_tilt_impact": {"face-on": "3d", "down-the-line": "2d"},
    "lead_arm_top": dict.fromkeys(("face-on", "down-the-line"), LEAD_ARM_NOT_SEEN),
    "knee_flex_address": {"face-on": "3d", "down-the-line": "2d"},
    "trail_knee_flex_top": {"face-on": "3d", "down-the-line": "2d"},
}


# --- movements in the image plane (cm) --------------------------------------------------------


def _move(part: Callable[[Swing, float], np.ndarray], event: str, axis: int, sign: float) -> Measure:
    """How far `part` moved from address to `event` along an image axis, in cm; `sign` orients it."""

    def measure(s: Swing) -> float:
        return sign * float(part(s, s.at(event))[axis] - part(s, s.at("address"))[axis]) * s.cm

    return measure


def _head(s: Swing, frame: float) -> np.ndarray:
    return s.body.head(frame)


def _hips(s: Swing, frame: float) -> np.ndarray:
    return pelvis(pose_at(s.body.keypoints, frame))


def _crossing(height: np.ndarray, level: float, rows: range) -> float | None:
    """The sub-frame row, scanning `rows` in order, where `height` first passes `level`."""
    for a, b in itertools.pairwise(rows):
        if (height[a] - level) * (height[b] - level) <= 0 and height[a] != height[b]:
            return a + (level - height[a]) / (height[b] - height[a]) * (b - a)
    return None


def _hand_path(s: Swing) -> float | None:
    """Down the line: where the hands (wrist midpoint) pass halfway between their address and top
    heights on the way down, against where they passed it on the way up, toward the ball positive:
    outside the backswing's path is over the top. Matched by height, not by time, so a few
    milliseconds of event timing do not move it."""
    hands = (s.body.keypoints[:, K.L_WRIST] + s.body.keypoints[:, K.R_WRIST]) / 2
    height = -hands[:, 1]
    address, top, impact = s.events["address"], s.events["top"], s.events["impact"]
    level = (height[address] + height[top]) / 2
    up = _crossing(height, level, range(top, address - 1, -1))
    down = _crossing(height, level, range(top, impact + 1))
    if up is None or down is None:
        return None
    return float(pose_at(hands, down)[0] - pose_at(hands, up)[0]) * s.cm


def _finish_balance(s: Swing) -> float | None:
    finish = s.events["finish"]
    hold_end = min(len(s.body.keypoints) - 1, finish + round(FINISH_HOLD_S * s.body.fps))
    if hold_end - finish < max(2, round(0.3 * s.body.fps)):
        return None
    path = s.body.head_track()[finish : hold_end + 1]
    return float(np.linalg.norm(np.ptp(path, axis=0))) * s.cm


def _weight_shift(s: Swing) -> float | None:
    p = pose_at(s.body.keypoints, s.at("finish"))
    trail, lead = p[K.R_ANKLE, 0], p[K.L_ANKLE, 0]
    if abs(lead - trail) < 1e-6:
        return None
    return float((pelvis(p)[0] - trail) / (lead - trail))


# --- the table --------------------------------------------------------------------------------

ANY: tuple[StandardView, ...] = ("face-on", "down-the-line")
NOT_SIDEWAYS = "not visible down the line: sideways moves point at the camera"
NOT_DEPTH = "not visible face on: moves toward the ball point at the camera"
UP_IN_IMAGE, ALONG_IMAGE = 1, 0
_TIMING = ("address", "top", "impact")
ANGLE_EVENTS = {
    "shoulder_turn_top": ("address", "top"),
    "hip_turn_top": ("address", "top"),
    "x_factor_top": ("address", "top"),
    "spine_tilt_address": ("address",),
    "spine_tilt_top": ("address", "top"),
    "spine_tilt_impact": ("address", "impact"),
    "lead_arm_top": ("top",),
    "knee_flex_address": ("address",),
    "trail_knee_flex_top": ("top",),
}


def _both(definition: Definition) -> dict[StandardView, Definition | str]:
    return dict.fromkeys(ANY, definition)


def _view_only(
    view: StandardView, definition: Definition, elsewhere: str
) -> dict[StandardView, Definition | str]:
    return {v: definition if v == view else elsewhere for v in ANY}


def _angle(name: str) -> dict[StandardView, Definition | str]:
    events = ANGLE_EVENTS[name]
    out: dict[StandardView, Definition | str] = {}
    for view in ANY:
        source = ANGLE_SOURCES[name][view]
        if source == "2d":
            out[view] = Definition(ANGLES_2D[view][name], "2d", events)
        elif source == "3d":
            out[view] = Definition(ANGLES_3D[name], "3d", events)
        else:
            out[view] = source  # why it is not reported
    return out


def _sideways(
    part: Callable[[Swing, float], np.ndarray], event: str, sign: float
) -> dict[StandardView, Definition | str]:
    return _view_only(
        "face-on", Definition(_move(part, event, ALONG_IMAGE, sign), "2d", ("address", event)), NOT_SIDEWAYS
    )


def _toward_ball(
    part: Callable[[Swing, float], np.ndarray], event: str
) -> dict[StandardView, Definition | str]:
    return _view_only(
        "down-the-line", Definition(_move(part, event, ALONG_IMAGE, 1.0), "2d", ("address", event)), NOT_DEPTH
    )


def _lift(part: Callable[[Swing, float], np.ndarray], event: str) -> dict[StandardView, Definition | str]:
    return _both(Definition(_move(part, event, UP_IN_IMAGE, -1.0), "2d", ("address", event)))


DEFINITIONS: dict[str, dict[StandardView, Definition | str]] = {
    "tempo_ratio": _both(Definition(_tempo, "timing", _TIMING)),
    "backswing_s": _both(Definition(_backswing_s, "timing", _TIMING)),
    "downswing_s": _both(Definition(_downswing_s, "timing", ("top", "impact"))),
    **{name: _angle(name) for name in ANGLE_EVENTS},
    "head_sway_top": _sideways(_head, "top", -1.0),
    "head_sway_impact": _sideways(_head, "impact", 1.0),
    "head_lift_top": _lift(_head, "top"),
    "head_lift_impact": _lift(_head, "impact"),
    "head_depth_top": _toward_ball(_head, "top"),
    "head_depth_impact": _toward_ball(_head, "impact"),
    "hip_sway_top": _sideways(_hips, "top", -1.0),
    "hip_shift_impact": _sideways(_hips, "impact", 1.0),
    "hip_depth_top": _toward_ball(_hips, "top"),
    "hip_depth_impact": _toward_ball(_hips, "impact"),
    "hand_path_downswing": _view_only(
        "down-the-line", Definition(_hand_path, "2d", ("address", "top", "impact")), NOT_DEPTH
    ),
    "finish_balance": _both(Definition(_finish_balance, "2d", ("finish",))),
    "weight_shift_finish": _view_only("face-on", Definition(_weight_shift, "2d", ("finish",)), NOT_SIDEWAYS),
}

NOTES = {
    "tempo_ratio": "the cut does not show the takeaway",
    "backswing_s": "the video looks slow-motion (downswing over 0.6 s): times need real-time video",
    "downswing_s": "the video looks slow-motion (downswing over 0.6 s): times need real-time video",
    "finish_balance": "the video ends too soon after the finish",
}


def measure(swing: Swing, view: StandardView) -> dict[str, Measurement]:
    """Every metric of one right-handed swing as measured from `view`."""
    out: dict[str, Measurement] = {}
    for name, by_view in DEFINITIONS.items():
        definition = by_view[view]
        if isinstance(definition, str):
            out[name] = Measurement(None, definition)
            continue
        value = definition.measure(swing)
        if value is not None and not np.isfinite(value):
            value = None
        note = None
        if value is None:
            note = swing.timing.problem if definition.source == "timing" and swing.timing.problem else None
            note = note or NOTES.get(name, "could not be measured in this clip")
        out[name] = Measurement(value, note, definition.source, definition.events)
    return out


def angle_series(swing: Swing, view: StandardView, reported: set[str]) -> dict[str, np.ndarray]:
    """Per-frame curves for the report's plots, measured as the table measures them, for the
    metrics the report shows a value for."""
    norm = normalize(swing.body.keypoints)
    series = {"Hand height (torso lengths)": hand_height(norm)}
    frames = range(len(swing.body.keypoints))
    curves = {
        "spine_tilt_address": ("Spine forward bend (°)", bend_2d if view == "down-the-line" else bend_3d),
        "shoulder_turn_top": (
            "Shoulder turn (°)",
            turn_face_on(*SHOULDERS) if view == "face-on" else turn_3d(*SHOULDERS),
        ),
        "hip_turn_top": ("Hip turn (°)", turn_face_on(*HIPS) if view == "face-on" else turn_3d(*HIPS)),
    }
    for metric, (label, angle) in curves.items():
        if metric in reported:
            values = [angle(swing, f) for f in frames]
            series[label] = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    return series
