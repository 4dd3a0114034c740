"""Swing metrics, measured at the events. Definitions, units and ranges live in references.toml.

The sequence is right-handed canonical (left-handed swings are mirrored before this): the lead
side is the golfer's left, and in a face-on view the target is to the image's right.
Angles come from the 3D pose (metric, any view); horizontal movements from the 2D pose, scaled to
centimetres by the golfer's leg length, and only in views where they lie in the image plane.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from swingcoach.geometry import joint_angle, line_heading, tilt_from_vertical, turn_between
from swingcoach.pose.base import PoseSequence
from swingcoach.pose.skeleton import K
from swingcoach.swing.events.base import SwingEvents
from swingcoach.swing.features import hand_height, interpolate_gaps, median_around, midpoint, normalize

HEAD = [K.NOSE, K.L_EYE, K.R_EYE, K.L_EAR, K.R_EAR]
FINISH_HOLD_S = 0.5
TAKEAWAY_MOVE = 0.05  # torso lengths the hands move before the takeaway counts as started
ASSUMED_LEG_M = 0.85  # hip to ankle along the leg, for scale when no 3D pose is known
# Hands above the shoulders with the shoulders turned less than this is not a real swing position:
# monocular 3D (BlazePose world landmarks especially, down the line) then missed the rotation.
MIN_PLAUSIBLE_TURN = 30.0
# No golfer takes this long from top to impact in real time: the clip is slow motion.
SLOW_MOTION_DOWNSWING_S = 0.6
UNRESOLVED_TURN = (
    "the pose model did not resolve the torso rotation at the top in this view "
    "(monocular 3D often misses it down the line); try a face-on video"
)


@dataclass(frozen=True)
class Measurement:
    value: float | None
    note: str | None = None


def _around(points: np.ndarray, frame: int, half: int = 1) -> np.ndarray:
    return median_around(points, frame, half)


def metres_per_pixel(sequence: PoseSequence, frame: int) -> float:
    """Leg length (hip-knee-ankle, both sides) in metres over the same in pixels, around `frame`."""

    def leg(points: np.ndarray) -> float:
        p = _around(points, frame, half=3)
        lengths = [
            np.linalg.norm(p[hip] - p[knee]) + np.linalg.norm(p[knee] - p[ankle])
            for hip, knee, ankle in ((K.L_HIP, K.L_KNEE, K.L_ANKLE), (K.R_HIP, K.R_KNEE, K.R_ANKLE))
        ]
        return float(np.nanmean(lengths))

    pixels = leg(sequence.keypoints[..., :2])
    metres = leg(sequence.world) if sequence.world is not None else ASSUMED_LEG_M
    return (
        metres / pixels if pixels > 0 and np.isfinite(metres) else ASSUMED_LEG_M / max(sequence.height / 2, 1)
    )


def takeaway_onset(norm: np.ndarray, address: int, top: int) -> int:
    """Last frame between address and top where the hands are still at their address position."""
    hands = midpoint(norm, K.L_WRIST, K.R_WRIST)
    moved = np.linalg.norm(hands[address : top + 1] - hands[address], axis=-1) > TAKEAWAY_MOVE
    return address + max(int(np.argmax(moved)) - 1, 0) if moved.any() else address


def measure(sequence: PoseSequence, events: SwingEvents, view: str) -> dict[str, Measurement]:
    """Raw metric values of one right-handed swing; `events` index `sequence`."""
    fps = sequence.fps
    address, top, impact, finish = events["address"], events["top"], events["impact"], events["finish"]
    keypoints = interpolate_gaps(sequence.keypoints[..., :2])
    norm = normalize(keypoints)
    out: dict[str, Measurement] = {}

    onset = takeaway_onset(norm, address, top)
    backswing = (top - onset) / fps
    downswing = (impact - top) / fps
    if downswing > SLOW_MOTION_DOWNSWING_S:
        note = f"the video looks slow-motion (downswing {downswing:.2f} s); times need real-time video"
        out["backswing_s"] = Measurement(None, note)
        out["downswing_s"] = Measurement(None, note)
    else:
        out["backswing_s"] = Measurement(backswing)
        out["downswing_s"] = Measurement(downswing)
    out["tempo_ratio"] = Measurement(backswing / downswing if downswing > 0 else None)

    if sequence.world is not None and np.isfinite(sequence.world).any():
        world = interpolate_gaps(sequence.world)
        at = {name: _around(world, events[name]) for name in ("address", "top", "impact")}
        shoulders = {k: line_heading(p[K.L_SHOULDER], p[K.R_SHOULDER]) for k, p in at.items()}
        hips = {k: line_heading(p[K.L_HIP], p[K.R_HIP]) for k, p in at.items()}
        shoulder_turn = turn_between(shoulders["address"], shoulders["top"])
        hip_turn = turn_between(hips["address"], hips["top"])
        hands_up = hand_height(norm)[top] > 1.0
        if hands_up and shoulder_turn < MIN_PLAUSIBLE_TURN:
            for name in ("shoulder_turn_top", "hip_turn_top", "x_factor_top"):
                out[name] = Measurement(None, UNRESOLVED_TURN)
        else:
            out["shoulder_turn_top"] = Measurement(shoulder_turn)
            out["hip_turn_top"] = Measurement(hip_turn)
            out["x_factor_top"] = Measurement(shoulder_turn - hip_turn)
        tilt = {
            k: tilt_from_vertical(midpoint(p, K.L_HIP, K.R_HIP), midpoint(p, K.L_SHOULDER, K.R_SHOULDER))
            for k, p in at.items()
        }
        out["spine_tilt_address"] = Measurement(tilt["address"])
        out["spine_tilt_top"] = Measurement(tilt["top"] - tilt["address"])
        out["spine_tilt_impact"] = Measurement(tilt["impact"] - tilt["address"])
        p = at["top"]
        out["lead_arm_top"] = Measurement(joint_angle(p[K.L_SHOULDER], p[K.L_ELBOW], p[K.L_WRIST]))
        p = at["address"]
        knees = [
            180.0 - joint_angle(p[hip], p[knee], p[ankle])
            for hip, knee, ankle in ((K.L_HIP, K.L_KNEE, K.L_ANKLE), (K.R_HIP, K.R_KNEE, K.R_ANKLE))
        ]
        out["knee_flex_address"] = Measurement(float(np.mean(knees)))

    cm = 100.0 * metres_per_pixel(sequence, address)
    head = np.nanmean(keypoints[:, HEAD], axis=1)
    pelvis = midpoint(keypoints, K.L_HIP, K.R_HIP)
    head_at = {name: _around(head, events[name]) for name in ("address", "top", "impact")}
    pelvis_at = {name: _around(pelvis, events[name]) for name in ("address", "top", "impact")}
    # Image y points down: up is -dy. Target is image-right in a right-handed face-on view.
    out["head_lift_top"] = Measurement(-(head_at["top"][1] - head_at["address"][1]) * cm)
    out["head_lift_impact"] = Measurement(-(head_at["impact"][1] - head_at["address"][1]) * cm)
    if view != "down-the-line":
        out["head_sway_top"] = Measurement(-(head_at["top"][0] - head_at["address"][0]) * cm)
        out["head_sway_impact"] = Measurement((head_at["impact"][0] - head_at["address"][0]) * cm)
        out["hip_sway_top"] = Measurement(-(pelvis_at["top"][0] - pelvis_at["address"][0]) * cm)
        out["hip_shift_impact"] = Measurement((pelvis_at["impact"][0] - pelvis_at["address"][0]) * cm)

    hold_end = min(len(sequence) - 1, finish + round(FINISH_HOLD_S * fps))
    if hold_end - finish >= max(2, round(0.3 * fps)):
        path = head[finish : hold_end + 1]
        out["finish_balance"] = Measurement(float(np.linalg.norm(np.ptp(path, axis=0))) * cm)
    else:
        out["finish_balance"] = Measurement(None, "the video ends too soon after the finish")
    if view == "face-on":
        trail, lead = keypoints[finish, K.R_ANKLE, 0], keypoints[finish, K.L_ANKLE, 0]
        if abs(lead - trail) > 1e-6:
            out["weight_shift_finish"] = Measurement(float((pelvis[finish, 0] - trail) / (lead - trail)))
    return out


def angle_series(sequence: PoseSequence, address: int) -> dict[str, np.ndarray]:
    """Per-frame curves for the report's plots, in the metrics' units."""
    norm = normalize(interpolate_gaps(sequence.keypoints[..., :2]))
    series = {"Hand height (torso lengths)": hand_height(norm)}
    if sequence.world is not None and np.isfinite(sequence.world).any():
        world = interpolate_gaps(sequence.world)
        headings = {
            "Shoulder turn (°)": (K.L_SHOULDER, K.R_SHOULDER),
            "Hip turn (°)": (K.L_HIP, K.R_HIP),
        }
        for name, (left, right) in headings.items():
            heading = np.array([line_heading(p[left], p[right]) for p in world])
            series[name] = np.abs((heading - heading[address] + 180.0) % 360.0 - 180.0)
        series["Spine tilt (°)"] = np.array(
            [
                tilt_from_vertical(midpoint(p, K.L_HIP, K.R_HIP), midpoint(p, K.L_SHOULDER, K.R_SHOULDER))
                for p in world
            ]
        )
    return series
