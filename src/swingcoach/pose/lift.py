"""2D -> 3D lifting: a COCO-17 keypoint sequence in pixels -> COCO-17 3D in metres, hip-centred.

The lifter is a temporal convolution network trained on Human3.6M (see docs/lift.md and the model
card in pose/models/lifter/). This module holds everything the training code and the runtime must
agree on: the joint correspondence, the input normalisation, the frame windows, the output layout.

Joint correspondence (Human3.6M 17 mocap joints <-> COCO-17):
- shared, used as input and output: shoulders, elbows, wrists, hips, knees, ankles (12 joints;
  H36M "foot" is the ankle);
- pelvis: H36M's root is exactly the hip midpoint, the same point BlazePose world landmarks are
  centred on, so the 3D output is pelvis-centred and hip-centred alike;
- face: H36M 2D (projected mocap or Stacked-Hourglass detections) has no nose, eyes or ears, and
  its spine, thorax and head points have no COCO counterpart, so the model sees the 12 limb joints
  only. In 3D, COCO's nose is H36M's neck/nose joint; eyes and ears are placed on the head from the
  nose, the head top and the shoulder direction with fixed offsets (approximate, for drawing and a
  complete skeleton; no metric uses them).

Input normalisation (any resolution, any camera): each frame is centred on its hip midpoint, and the
whole sequence is divided by one scale, the median over frames of the mean 2D length of ten limb
bones. Frames are fed at about TRAIN_FPS: a video at `fps` is read with a stride of
round(fps / TRAIN_FPS) frames, and every frame gets its own window.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from swingcoach.errors import SwingcoachError
from swingcoach.pose.base import PoseSequence
from swingcoach.pose.skeleton import MIRROR, NUM_KEYPOINTS, K
from swingcoach.runtime import load_session
from swingcoach.swing.features import interpolate_gaps

MODEL_DIR = Path(__file__).parent / "models" / "lifter"
TRAIN_FPS = 25.0  # Human3.6M training frames (50 Hz source, every second frame kept)

H36M_JOINTS = (
    "pelvis",
    "right_hip",
    "right_knee",
    "right_ankle",
    "left_hip",
    "left_knee",
    "left_ankle",
    "spine",
    "thorax",
    "neck_nose",
    "head",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
    "right_shoulder",
    "right_elbow",
    "right_wrist",
)
H36M = {name: i for i, name in enumerate(H36M_JOINTS)}
NUM_H36M = len(H36M_JOINTS)
# Each joint's parent in the kinematic tree (the pelvis has none); parents come before children.
H36M_PARENTS = np.array([-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15])

# The joints both skeletons share: COCO-17 keypoint -> Human3.6M joint. They are the model's 2D
# input, in this order.
SHARED_JOINTS = {
    K.L_SHOULDER: "left_shoulder",
    K.R_SHOULDER: "right_shoulder",
    K.L_ELBOW: "left_elbow",
    K.R_ELBOW: "right_elbow",
    K.L_WRIST: "left_wrist",
    K.R_WRIST: "right_wrist",
    K.L_HIP: "left_hip",
    K.R_HIP: "right_hip",
    K.L_KNEE: "left_knee",
    K.R_KNEE: "right_knee",
    K.L_ANKLE: "left_ankle",
    K.R_ANKLE: "right_ankle",
}
INPUT_JOINTS = np.array([int(k) for k in SHARED_JOINTS])
H36M_AT_INPUT = np.array([H36M[name] for name in SHARED_JOINTS.values()])
# Left/right swaps for mirroring the input (COCO order) and the output (H36M order).
INPUT_MIRROR = np.searchsorted(INPUT_JOINTS, MIRROR[INPUT_JOINTS])
H36M_MIRROR = np.array(
    [
        H36M[name.replace("left_", "@").replace("right_", "left_").replace("@", "right_")]
        for name in H36M_JOINTS
    ]
)


def mirror_windows(windows: np.ndarray) -> np.ndarray:
    """(..., 12, 2) normalised input joints as their mirror image (left/right swapped, x negated)."""
    return windows[..., INPUT_MIRROR, :] * np.array([-1, 1], dtype=windows.dtype)


def mirror_h36m(poses: np.ndarray) -> np.ndarray:
    """(..., 17, 3) Human3.6M joints as their mirror image (left/right swapped, x negated)."""
    return poses[..., H36M_MIRROR, :] * np.array([-1, 1, 1], dtype=poses.dtype)


# Bones whose mean 2D length sets the input scale (input indices). The shoulder and hip widths are
# left out: they shrink to nothing when the body turns side-on.
_SCALE_BONES = [
    (K.L_SHOULDER, K.L_HIP),
    (K.R_SHOULDER, K.R_HIP),
    (K.L_HIP, K.L_KNEE),
    (K.R_HIP, K.R_KNEE),
    (K.L_KNEE, K.L_ANKLE),
    (K.R_KNEE, K.R_ANKLE),
    (K.L_SHOULDER, K.L_ELBOW),
    (K.R_SHOULDER, K.R_ELBOW),
    (K.L_ELBOW, K.L_WRIST),
    (K.R_ELBOW, K.R_WRIST),
]
SCALE_BONES = np.searchsorted(INPUT_JOINTS, np.array(_SCALE_BONES))
_INPUT_L_HIP, _INPUT_R_HIP = np.searchsorted(INPUT_JOINTS, [K.L_HIP, K.R_HIP])

# Face joints placed on the lifted head (metres): eyes above and beside the nose, ears beside and
# behind the head centre.
EYE_UP, EYE_SIDE = 0.035, 0.032
EAR_SIDE, EAR_BACK = 0.075, 0.07


def constant_bone_lengths(poses: np.ndarray) -> np.ndarray:
    """(T, 17, 3) H36M joints of one person -> the same poses with every bone at its median length
    over the sequence, each bone keeping its direction, rebuilt from the pelvis outwards. A person's
    bones do not change length; the lifter's depth errors do (about 1 mm of MPJPE, docs/lift.md)."""
    out = poses.copy()
    bones = poses[:, 1:] - poses[:, H36M_PARENTS[1:]]
    lengths = np.linalg.norm(bones, axis=-1, keepdims=True)
    directions = bones / np.maximum(lengths, 1e-9)
    target = np.median(lengths, axis=0)
    for joint in range(1, NUM_H36M):
        parent = H36M_PARENTS[joint]
        out[:, joint] = out[:, parent] + directions[:, joint - 1] * target[joint - 1]
    return out


def finish_sequence(lifted: np.ndarray, causal: bool) -> np.ndarray:
    """What the run time does to a whole sequence's lifted poses (T, 17, 3) after the network: a
    centred lifter has seen the whole sequence, so its bones are held at their median lengths; a causal
    one streams and keeps the network's output."""
    return lifted if causal else constant_bone_lengths(lifted)


def frame_sizes(points: np.ndarray) -> np.ndarray:
    """(T, 12, 2) input joints -> (T,) mean 2D length of the scale bones."""
    bones = points[:, SCALE_BONES[:, 0]] - points[:, SCALE_BONES[:, 1]]
    return np.linalg.norm(bones, axis=-1).mean(axis=1)


def normalize_input(points: np.ndarray) -> np.ndarray:
    """(T, 12, 2) pixel input joints -> hip-centred, divided by the sequence's median bone length."""
    scale = float(np.nanmedian(frame_sizes(points)))
    if not np.isfinite(scale) or scale <= 0:
        raise SwingcoachError("cannot lift: the 2D pose has no extent (all joints on one point)")
    hips = (points[:, _INPUT_L_HIP] + points[:, _INPUT_R_HIP]) / 2
    return ((points - hips[:, None]) / scale).astype(np.float32)


def frame_stride(fps: float) -> int:
    """How many video frames apart the model's consecutive input frames are."""
    return max(1, round(fps / TRAIN_FPS))


def window_indices(
    targets: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    receptive_field: int,
    stride: int | np.ndarray,
    causal: bool,
    outputs: int = 1,
) -> np.ndarray:
    """Frame indices of the input window of each target frame, (N,) -> (N, receptive_field).

    A centred window holds the target in its middle, a causal one ends on it; `stride` (one, or
    one per target) is the step between its frames. With `outputs` > 1 the window covers that many
    targets, one stride apart, from each given one on. Frames past the ends of the target's
    sequence ([first, last], per target) repeat the end frame.
    """
    offsets = np.arange(receptive_field + outputs - 1) - (
        receptive_field - 1 if causal else receptive_field // 2
    )
    indices = targets[:, None] + np.reshape(stride, (-1, 1)) * offsets[None, :]
    return np.clip(indices, first[:, None], last[:, None])


def h36m_to_coco(pose: np.ndarray) -> np.ndarray:
    """(T, 17, 3) Human3.6M joints -> (T, 17, 3) COCO-17 joints (face joints synthesised), centred on
    the hip midpoint like the backends' world landmarks (a lifted pelvis need not be exactly there)."""
    pose = pose - (pose[..., H36M["left_hip"], None, :] + pose[..., H36M["right_hip"], None, :]) / 2
    out = np.empty((*pose.shape[:-2], NUM_KEYPOINTS, 3), dtype=np.float32)
    out[..., INPUT_JOINTS, :] = pose[..., H36M_AT_INPUT, :]
    nose, top = pose[..., H36M["neck_nose"], :], pose[..., H36M["head"], :]
    up = _unit(top - pose[..., H36M["thorax"], :])
    shoulders = pose[..., H36M["left_shoulder"], :] - pose[..., H36M["right_shoulder"], :]
    left = _unit(shoulders - np.sum(shoulders * up, axis=-1, keepdims=True) * up)
    forward = np.cross(left, up)  # x right, y down, z away: left x up points where the face looks
    eye_centre = nose + EYE_UP * up
    head_centre = (nose + top) / 2 - EAR_BACK * forward
    out[..., K.NOSE, :] = nose
    out[..., K.L_EYE, :] = eye_centre + EYE_SIDE * left
    out[..., K.R_EYE, :] = eye_centre - EYE_SIDE * left
    out[..., K.L_EAR, :] = head_centre + EAR_SIDE * left
    out[..., K.R_EAR, :] = head_centre - EAR_SIDE * left
    return out


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


DEFAULT_LIFTER = "lifter"
BATCH = 256
# Beside each lifter, the same network slid along a whole sequence (export.onnx.lifter_sequence_form).
SEQUENCE_SUFFIX = "_sequence"


def lifter_names() -> list[str]:
    """The shipped lifters: `lifter` (centred, for whole videos), `lifter-causal` (past frames only,
    for streaming), and their `-int8` versions."""
    return sorted(
        p.stem.replace("_", "-") for p in MODEL_DIR.glob("*.onnx") if not p.stem.endswith(SEQUENCE_SUFFIX)
    )


class Lifter:
    """Runs a lifter (ONNX on onnxruntime): 2D windows in, root-relative 3D in metres out.

    Next to each model, `<name>.json` says what it is: receptive_field, causal, params, ...
    """

    def __init__(self, path: Path, threads: int = 1) -> None:
        card = path.with_suffix(".json")
        if not card.is_file():
            raise SwingcoachError(f"lifter description not found: {card}")
        self.info = json.loads(card.read_text())
        self.session = load_session(path, threads)
        self.sequence_session = load_session(path.with_name(f"{path.stem}{SEQUENCE_SUFFIX}.onnx"), threads)
        self.path = path
        self.causal = bool(self.info["causal"])
        self.receptive_field = int(self.info["receptive_field"])
        self.params = int(self.info["params"])

    @classmethod
    def shipped(cls, name: str = DEFAULT_LIFTER, threads: int = 1) -> Lifter:
        if name not in lifter_names():
            raise SwingcoachError(f"unknown lifter {name!r}; choose from {', '.join(lifter_names())}")
        return cls(MODEL_DIR / f"{name.replace('-', '_')}.onnx", threads)

    @property
    def version(self) -> str:
        return f"{self.path.stem.replace('_', '-')}-{self.receptive_field}f"

    def run_windows(self, windows: np.ndarray) -> np.ndarray:
        """(N, receptive_field, 12, 2) normalised windows -> (N, 17, 3) H36M joints, metres, pelvis at 0.

        Each window is also lifted as its mirror image, and the mirrored-back result averaged in: about
        1 mm better on Human3.6M, and a left-handed swing comes out as the exact mirror of a right-handed one.
        """
        out = [self._run_mirrored(windows[i : i + BATCH]) for i in range(0, len(windows), BATCH)]
        return np.concatenate(out) if out else np.zeros((0, NUM_H36M, 3), np.float32)

    def _run_mirrored(self, windows: np.ndarray) -> np.ndarray:
        both = self.session.run(np.concatenate([windows, mirror_windows(windows)]))[0]
        return (both[: len(windows)] + mirror_h36m(both[len(windows) :])) / 2

    def lift_h36m(self, normalized: np.ndarray, fps: float) -> np.ndarray:
        """(T, 12, 2) normalised input joints of one sequence -> (T, 17, 3) H36M joints in metres,
        finished as a whole sequence (`finish_sequence`).

        The same result as `run_windows` on every frame's window, for a seventh of the CPU: the
        sequence form of the network computes each frame's window features once. Read at a stride of
        s frames, the frames p, p + s, p + 2s, ... (each phase p < s) form a sequence of their own;
        past the ends, a window repeats the end frame, so each phase is padded with those."""
        length = len(normalized)
        stride = frame_stride(fps)
        before = self.receptive_field - 1 if self.causal else self.receptive_field // 2
        after = self.receptive_field - 1 - before
        longest = -(-length // stride)
        phases = []
        for phase in range(stride):
            frames = normalized[phase::stride]
            end_pad = after + longest - len(frames)
            start, end = np.repeat(normalized[:1], before, 0), np.repeat(normalized[-1:], end_pad, 0)
            phases.append(np.concatenate([start, frames, end]))
        both = np.stack(phases + [mirror_windows(p) for p in phases]).astype(np.float32)
        out = self.sequence_session.run(both)[0]
        averaged = (out[:stride] + mirror_h36m(out[stride:])) / 2
        poses = np.empty((length, NUM_H36M, 3), np.float32)
        for phase in range(stride):
            poses[phase::stride] = averaged[phase, : len(range(phase, length, stride))]
        return finish_sequence(poses, self.causal)

    def lift(self, sequence: PoseSequence) -> np.ndarray:
        """COCO-17 pixel keypoints of a sequence -> (T, 17, 3) COCO-17 3D in metres, hip-centred,
        x right, y down, z away from the camera; rows with no person stay NaN."""
        world = np.full((len(sequence), NUM_KEYPOINTS, 3), np.nan, dtype=np.float32)
        valid = sequence.valid
        if not valid.any():
            return world
        points = sequence.keypoints[:, INPUT_JOINTS, :2]
        # Gaps inside the sequence are bridged so that windows stay evenly spaced in time.
        rows = np.flatnonzero(valid)
        span = slice(rows[0], rows[-1] + 1)
        filled = interpolate_gaps(points[span])
        world[span] = h36m_to_coco(self.lift_h36m(normalize_input(filled), sequence.fps))
        world[~valid] = np.nan
        return world
