"""Tracking quality: is the skeleton the golfer's, frame by frame and over the swing?

Per frame, four checks, each in body units (the golfer's median 2D leg length over the swing, so
image size and distance do not matter, and the legs barely foreshorten in either view):
- confidence: the mean keypoint confidence of the body joints is very low;
- bones: a bone is longer than a human one can be (2D can shorten a bone, never lengthen it);
- jumps: a joint sits far from where its neighbours in time put it (a limb thrown onto the
  background for a moment);
- swaps: the frame fits its neighbours in time much better with left and right exchanged;
- drift: the body's box has moved off the golfer (the pelvis far from its place at address, or the
  box grown or shrunk a lot): the tracker has jumped to somebody else.
A swing whose frames from address to finish are too often bad gets a warning and no score; a metric
measured at an event whose frames are bad is marked and left out of the score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter

from swingcoach.pose.skeleton import MIRROR, K
from swingcoach.swing.events.base import EVENT_NAMES, SwingEvents
from swingcoach.swing.features import interpolate_gaps

BODY = [K.NOSE, *range(K.L_SHOULDER, K.R_ANKLE + 1)]
LIMBS = list(range(K.L_SHOULDER, K.R_ANKLE + 1))
MIN_CONFIDENCE = 0.25
MAX_GAP_S = 0.25  # a gap in the tracking longer than this is bad; shorter ones are interpolated
# Longest a bone can look, in leg lengths (hip-knee-ankle). Anthropometric ratios to the leg
# (Drillis & Contini): thigh and shin ~0.5, upper arm ~0.38, forearm ~0.3, shoulder joints ~0.4
# apart, hip joints ~0.25, hip centre to shoulder centre ~0.6; with room for keypoint definitions.
MAX_BONE = {
    (K.L_HIP, K.L_KNEE): 0.75,
    (K.R_HIP, K.R_KNEE): 0.75,
    (K.L_KNEE, K.L_ANKLE): 0.75,
    (K.R_KNEE, K.R_ANKLE): 0.75,
    (K.L_SHOULDER, K.L_ELBOW): 0.55,
    (K.R_SHOULDER, K.R_ELBOW): 0.55,
    (K.L_ELBOW, K.L_WRIST): 0.5,
    (K.R_ELBOW, K.R_WRIST): 0.5,
    (K.L_SHOULDER, K.R_SHOULDER): 0.6,
    (K.L_HIP, K.R_HIP): 0.45,
    (K.L_SHOULDER, K.L_HIP): 0.9,
    (K.R_SHOULDER, K.R_HIP): 0.9,
}
JUMP = 0.3  # leg lengths from the median of the neighbouring frames
JUMP_WINDOW_S = 0.07  # either side
# A swap: exchanging left and right brings the frame this much closer to its neighbours (and the
# two labellings differ by a visible amount, leg lengths summed over the limbs).
SWAP_GAIN = 0.5
SWAP_MIN_DIFFERENCE = 0.3
MAX_PELVIS_MOVE = 0.8  # leg lengths from its place at address
MAX_BOX_CHANGE = 0.5  # relative change of the box diagonal
MIN_SWING_QUALITY = 0.85  # share of good frames from address to finish
EVENT_REACH = 1  # frames either side of an event that must be good for metrics measured there


@dataclass(frozen=True)
class TrackingQuality:
    """`good` per frame, the share of good frames in the swing, and what was wrong most often."""

    good: np.ndarray  # (T,) bool
    score: float
    problems: dict[str, float]  # check -> share of the swing's frames it failed
    bad_events: tuple[str, ...]

    @property
    def acceptable(self) -> bool:
        return self.score >= MIN_SWING_QUALITY

    def summary(self) -> str:
        worst = max(self.problems.items(), key=lambda item: item[1])
        reasons = {
            "confidence": "the pose model was unsure of the body",
            "bones": "limbs longer than a body's (the skeleton reached into the background)",
            "jumps": "joints jumped away from the body and back",
            "swaps": "left and right were mixed up",
            "drift": "the tracking moved off the golfer",
            "missing": "the golfer was not found",
        }
        return f"{100 * (1 - self.score):.0f}% of the swing's frames are badly tracked: {reasons[worst[0]]}"


def leg_scale(xy: np.ndarray) -> float:
    legs = [
        np.linalg.norm(xy[:, hip] - xy[:, knee], axis=-1)
        + np.linalg.norm(xy[:, knee] - xy[:, ankle], axis=-1)
        for hip, knee, ankle in ((K.L_HIP, K.L_KNEE, K.L_ANKLE), (K.R_HIP, K.R_KNEE, K.R_ANKLE))
    ]
    scale = float(np.nanmedian(np.nanmean(legs, axis=0)))
    return scale if np.isfinite(scale) and scale > 0 else 1.0


def long_gaps(absent: np.ndarray, longest: int) -> np.ndarray:
    """True on the rows of every run of absent rows longer than `longest`."""
    out = np.zeros_like(absent)
    start = None
    for row, gone in enumerate([*absent, False]):
        if gone and start is None:
            start = row
        elif not gone and start is not None:
            if row - start > longest:
                out[start:row] = True
            start = None
    return out


@dataclass(frozen=True)
class FrameChecks:
    """The per-frame checks of a sequence. All but drift hold whatever the events; drift is measured
    from the address, so it is read with `at_address` once the events are known. Every check is
    left/right symmetric: a mirrored sequence fails the same frames."""

    failed: dict[str, np.ndarray]  # check -> (T,) True where the frame fails it
    pelvis: np.ndarray  # (T, 2) px, gaps bridged
    box: np.ndarray  # (T,) diagonal of the limbs' box, px
    scale: float  # leg length, px

    def at_address(self, address: int) -> dict[str, np.ndarray]:
        home, home_box = self.pelvis[address], max(float(self.box[address]), 1e-6)
        drift = (np.linalg.norm(self.pelvis - home, axis=-1) > MAX_PELVIS_MOVE * self.scale) | (
            np.abs(self.box / home_box - 1) > MAX_BOX_CHANGE
        )
        return self.failed | {"drift": drift}


def frame_checks(keypoints: np.ndarray, fps: float) -> FrameChecks:
    """(T, 17, 3) keypoints (px, confidence) -> the per-frame checks."""
    absent = np.isnan(keypoints[:, LIMBS, 0]).any(axis=1)
    missing = long_gaps(absent, max(1, round(MAX_GAP_S * fps)))
    filled = interpolate_gaps(keypoints)
    xy = filled[..., :2]
    scale = leg_scale(xy)
    seen = ~np.isnan(keypoints[:, BODY, 2])
    confidence = np.nansum(keypoints[:, BODY, 2], axis=1) / np.maximum(seen.sum(axis=1), 1)
    bones = np.zeros(len(xy), dtype=bool)
    for (a, b), longest in MAX_BONE.items():
        bones |= np.linalg.norm(xy[:, a] - xy[:, b], axis=-1) > longest * scale
    size = max(1, round(JUMP_WINDOW_S * fps)) * 2 + 1
    limbs = xy[:, LIMBS]
    local = median_filter(limbs, size=(size, 1, 1), mode="nearest")
    off = np.linalg.norm(limbs - local, axis=-1)
    jumps = (off > JUMP * scale).any(axis=1)
    as_is = off.sum(axis=1)
    exchanged = np.linalg.norm(xy[:, MIRROR[LIMBS]] - local, axis=-1).sum(axis=1)
    swaps = (exchanged < SWAP_GAIN * as_is) & (as_is > SWAP_MIN_DIFFERENCE * scale)
    failed = {
        "missing": missing,
        "confidence": ~absent & (confidence < MIN_CONFIDENCE),
        "bones": bones,
        "jumps": jumps,
        "swaps": swaps,
    }
    pelvis = (xy[:, K.L_HIP] + xy[:, K.R_HIP]) / 2
    box = np.linalg.norm(limbs.max(axis=1) - limbs.min(axis=1), axis=-1)
    return FrameChecks(failed, pelvis, box, scale)


def tracking_quality(frames: FrameChecks, events: SwingEvents) -> TrackingQuality:
    """Quality of one swing's tracking; `events` index the checked frames."""
    checks = frames.at_address(events["address"])
    bad = np.zeros(len(frames.box), dtype=bool)
    for failed in checks.values():
        bad |= failed
    span = slice(events["address"], events["finish"] + 1)
    frames = max(1, span.stop - span.start)
    bad_events = tuple(
        name
        for name in EVENT_NAMES
        if bad[max(0, events[name] - EVENT_REACH) : events[name] + EVENT_REACH + 1].any()
    )
    return TrackingQuality(
        good=~bad,
        score=float(1.0 - bad[span].sum() / frames),
        problems={name: float(failed[span].sum() / frames) for name, failed in checks.items()},
        bad_events=bad_events,
    )
