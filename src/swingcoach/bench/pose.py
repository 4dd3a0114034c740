"""2D pose benchmark: PCK@0.2 on a fixed LSPET test split, agreement with the teacher on golf video,
size, FLOPs and latency of the student models next to BlazePose.

The evaluation protocol (also used to label the training data, so teacher and student are measured
exactly alike):
- LSPET crops are padded by half their longer side on every side (black), since the person detector
  needs some context around a tight crop;
- a backend is reset and called twice on the padded image: the first call runs the person detector
  and the pose model on its ROI, the second runs the pose model on the ROI derived from the first
  call's keypoints (what the tracker does on the next video frame). The second pose is scored;
- PCK@0.2: a joint is correct when it lies within 0.2 torso diameters of the ground truth; the torso
  diameter is the distance from the right shoulder to the left hip (LSP joints 8 and 3), or from the
  left shoulder to the right hip when one of those is not annotated; images with neither pair are
  left out. Only the 12 joints both skeletons share and the annotation marks visible are scored.
  An image where the backend finds nobody counts every scored joint as missed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import cv2
import numpy as np

from swingcoach.errors import InputError, SwingcoachError
from swingcoach.pose.base import PoseBackend, PoseFrame
from swingcoach.pose.roi import RotatedRect
from swingcoach.pose.skeleton import NUM_KEYPOINTS, K
from swingcoach.pose.student import StudentBackend
from swingcoach.runtime import LiteRTSession, load_session
from swingcoach.video import open_source

# COCO-17 index of LSP joints 0-11; LSP 12 (neck) and 13 (head top) have no COCO counterpart and
# COCO's face keypoints have no LSP counterpart.
LSP_TO_COCO = np.array(
    [
        K.R_ANKLE,
        K.R_KNEE,
        K.R_HIP,
        K.L_HIP,
        K.L_KNEE,
        K.L_ANKLE,
        K.R_WRIST,
        K.R_ELBOW,
        K.R_SHOULDER,
        K.L_SHOULDER,
        K.L_ELBOW,
        K.L_WRIST,
    ]
)
LSP_R_SHOULDER, LSP_L_HIP, LSP_L_SHOULDER, LSP_R_HIP = 8, 3, 9, 2
PCK_ALPHA = 0.2
LSPET_IMAGES = 10_000
TEST_SEED = 5
TEST_SIZE = 1000
DETECTOR_PADDING = 0.5  # of the crop's longer side, on every side
FRAME_INTERVAL_S = 1 / 30


@dataclass(frozen=True)
class Lspet:
    """Leeds Sports Pose Extended crops: joints (N, 14, 3) in crop pixels + visibility."""

    image_dir: Path
    names: np.ndarray
    joints: np.ndarray

    def image(self, index: int) -> np.ndarray:
        path = self.image_dir / str(self.names[index])
        image = cv2.imread(str(path))
        if image is None:
            raise InputError(f"cannot read LSPET image {path}")
        return image


def load_lspet(data_dir: Path) -> Lspet:
    """LSPET as prepared in the shared data folder (`lspet/joints.npz` + `lspet/images/`)."""
    folder = data_dir / "lspet"
    if not (folder / "joints.npz").is_file():
        raise InputError(f"LSPET not found: expected {folder / 'joints.npz'}")
    with np.load(folder / "joints.npz") as z:
        return Lspet(folder / "images", z["image_names"], z["joints"].astype(np.float32))


def lspet_test_indices() -> np.ndarray:
    """The held-out test split: 1000 images drawn with a fixed seed, never trained or calibrated on."""
    rng = np.random.default_rng(TEST_SEED)
    return np.sort(rng.choice(LSPET_IMAGES, TEST_SIZE, replace=False))


def lspet_training_indices() -> np.ndarray:
    return np.setdiff1d(np.arange(LSPET_IMAGES), lspet_test_indices())


def lspet_to_coco(joints: np.ndarray) -> np.ndarray:
    """LSP-14 (..., 14, 3) -> COCO-17 (..., 17, 3); joints without an LSP counterpart or not
    annotated are NaN."""
    out = np.full((*joints.shape[:-2], NUM_KEYPOINTS, 3), np.nan, dtype=np.float32)
    shared = joints[..., : len(LSP_TO_COCO), :]
    out[..., LSP_TO_COCO, :] = np.where(shared[..., 2:3] > 0, shared, np.nan)
    return out


def torso_diameter(joints: np.ndarray) -> float:
    """Right shoulder to left hip, else left shoulder to right hip; NaN when neither pair is annotated."""
    for a, b in ((LSP_R_SHOULDER, LSP_L_HIP), (LSP_L_SHOULDER, LSP_R_HIP)):
        if joints[a, 2] > 0 and joints[b, 2] > 0:
            return float(np.linalg.norm(joints[a, :2] - joints[b, :2]))
    return float("nan")


def pck_hits(predicted: np.ndarray, ground_truth: np.ndarray, alpha: float = PCK_ALPHA) -> np.ndarray:
    """Per scored joint, whether `predicted` (N, 17, >=2 COCO px, NaN = not found) is within alpha
    torso diameters of the LSP ground truth (N, 14, 3). Returns a flat boolean array."""
    hits = []
    for pred, truth in zip(predicted, ground_truth, strict=True):
        torso = torso_diameter(truth)
        if not np.isfinite(torso) or torso <= 0:
            continue
        scored = truth[: len(LSP_TO_COCO), 2] > 0
        error = np.linalg.norm(pred[LSP_TO_COCO, :2] - truth[: len(LSP_TO_COCO), :2], axis=-1)
        hits.append((np.nan_to_num(error, nan=np.inf) <= alpha * torso)[scored])
    return np.concatenate(hits) if hits else np.zeros(0, dtype=bool)


def pck_against(predicted: np.ndarray, reference: np.ndarray, alpha: float = PCK_ALPHA) -> float:
    """Agreement of two COCO-17 pose arrays (N, 17, >=2): the fraction of the reference's body
    joints (shoulders to ankles) that `predicted` finds within alpha torso diameters, with the
    torso measured on the reference (right shoulder to left hip)."""
    body = np.arange(K.L_SHOULDER, NUM_KEYPOINTS)
    torso = np.linalg.norm(reference[:, K.R_SHOULDER, :2] - reference[:, K.L_HIP, :2], axis=-1)
    error = np.linalg.norm(predicted[:, body, :2] - reference[:, body, :2], axis=-1)
    scored = np.isfinite(reference[:, body, 0]) & np.isfinite(torso)[:, None]
    hits = np.nan_to_num(error, nan=np.inf) <= alpha * torso[:, None]
    return float(hits[scored].mean()) if scored.any() else float("nan")


def two_pass(backend: PoseBackend, image_bgr: np.ndarray) -> list[PoseFrame]:
    """The protocol's detect-then-track poses of one crop (0, 1 or 2 frames), in crop pixels."""
    pad = round(DETECTOR_PADDING * max(image_bgr.shape[:2]))
    padded = cv2.copyMakeBorder(image_bgr, pad, pad, pad, pad, cv2.BORDER_CONSTANT)
    backend.reset()
    frames = []
    for step in range(2):
        frame = backend(padded, step * FRAME_INTERVAL_S)
        if frame is None:
            break
        frame.keypoints[:, :2] -= pad
        if frame.roi is not None:
            cx, cy, size, angle = frame.roi
            frame.roi = (cx - pad, cy - pad, size, angle)
        frames.append(frame)
    return frames


def predict_lspet(backend: PoseBackend, lspet: Lspet, indices: np.ndarray) -> np.ndarray:
    """The scored (second-pass) keypoints (N, 17, 3) of each image; NaN where nobody was found."""
    out = np.full((len(indices), NUM_KEYPOINTS, 3), np.nan, dtype=np.float32)
    for row, index in enumerate(indices):
        frames = two_pass(backend, lspet.image(int(index)))
        if frames:
            out[row] = frames[-1].keypoints
    return out


def tflite_profile(path: Path) -> tuple[int, int]:
    """Parameters (elements of the constant weight tensors) and FLOPs (a multiply-add is two) of a
    .tflite graph, counted from its convolutions and fully connected layers: one method for every
    model in the table, ours and BlazePose alike."""
    interpreter = LiteRTSession(path, threads=1).interpreter
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    ops = interpreter._get_ops_details()
    # fp16 models store weights as constants behind a DEQUANTIZE op: count the constant.
    stored = {op["outputs"][0]: op["inputs"][0] for op in ops if op["op_name"] == "DEQUANTIZE"}
    computed = {i for op in ops if op["op_name"] != "DEQUANTIZE" for i in op["outputs"]}
    computed |= {d["index"] for d in interpreter.get_input_details()}
    params = flops = 0
    counted: set[int] = set()
    for op in ops:
        name = op["op_name"]
        if name not in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            continue
        for index in op["inputs"][1:]:
            if index < 0 or index in computed or index in counted:
                continue
            counted.add(index)
            params += int(np.prod(tensors[stored.get(index, index)]["shape"]))
        kernel = tensors[op["inputs"][1]]["shape"]
        outputs = int(np.prod(tensors[op["outputs"][0]]["shape"]))
        if name == "CONV_2D":  # kernel (out, kh, kw, in)
            flops += 2 * outputs * int(np.prod(kernel[1:]))
        elif name == "DEPTHWISE_CONV_2D":  # kernel (1, kh, kw, out)
            flops += 2 * outputs * int(kernel[1] * kernel[2])
        else:  # kernel (out, in)
            flops += 2 * outputs * int(kernel[1])
    return params, flops


@dataclass(frozen=True)
class PoseModel:
    """One benchmarked model file, the .tflite graph its size figures are counted on, and a factory
    for the backend that runs it (unsmoothed, one thread)."""

    name: str
    family: str  # "student-w050", "blazepose-full", ...
    runtime: str
    precision: str
    path: Path
    profile: Path
    fp16_size_bytes: int
    make_backend: Callable[[], PoseBackend]


@dataclass
class PoseRow:
    name: str
    family: str
    runtime: str
    precision: str
    params: int
    flops: int
    size_bytes: int
    fp16_size_bytes: int | None = None  # students: the same network as fp16 ONNX (student.json)
    pck02: float | None = None
    lspet_found: float | None = None  # share of test images where the backend found the person
    golf_agreement: float | None = None
    latency_ms: dict[int, float] = field(default_factory=dict)  # threads -> median
    latency_p95_ms: dict[int, float] = field(default_factory=dict)


def student_models(model_dir: Path) -> list[PoseModel]:
    from swingcoach.pose.student import PRECISIONS, RUNTIMES, load_model_card, model_path

    card = load_model_card(model_dir)
    family = f"student-w{round(float(card['width']) * 100):03d}"
    return [
        PoseModel(
            f"{family} {precision} {runtime}",
            family,
            runtime,
            precision,
            model_path(precision, runtime, model_dir),
            model_path("fp32", "tflite", model_dir),
            int(card["fp16_onnx_bytes"]),
            partial(StudentBackend, precision, runtime, 1, False, model_dir),
        )
        for runtime in RUNTIMES
        for precision in PRECISIONS
        if model_path(precision, runtime, model_dir).is_file()
    ]


def teacher_models() -> list[PoseModel]:
    from swingcoach.pose.blazepose import VARIANTS, BlazePoseBackend
    from swingcoach.pose.detector import MODEL_DIR

    models = []
    for variant in VARIANTS:
        path = MODEL_DIR / f"pose_landmark_{variant}.tflite"
        backend = partial(BlazePoseBackend, variant, 1, False)
        models.append(
            PoseModel(
                f"blazepose-{variant} fp16 tflite",
                f"blazepose-{variant}",
                "tflite",
                "fp16",
                path,
                path,
                path.stat().st_size,
                backend,
            )
        )
    return models


def latency_crop(image_bgr: np.ndarray, size: int) -> np.ndarray:
    """A model input: the centre square of a real frame, RGB in [0, 1], batch of one."""
    h, w = image_bgr.shape[:2]
    roi = RotatedRect(w / 2, h / 2, float(min(h, w)), 0.0)
    return StudentBackend.preprocess(roi.crop(image_bgr, size))


def measure_latency(
    models: list[PoseModel], image_bgr: np.ndarray, threads: int, rounds: int, runs: int
) -> list[tuple[float, float]]:
    """Median and 95th percentile milliseconds of one inference per model: the network alone, on a
    crop of the same ROI at each model's input size. Models take turns round by round, so load from
    other processes on the machine falls on all of them alike and the ratios stay fair."""
    sessions = [load_session(m.path, threads) for m in models]
    inputs = [latency_crop(image_bgr, s.input_shape[1]) for s in sessions]
    timings: list[list[float]] = [[] for _ in sessions]
    for session, x in zip(sessions, inputs, strict=True):
        for _ in range(3):
            session.run(x)
    for _ in range(rounds):
        for session, x, times in zip(sessions, inputs, timings, strict=True):
            for _ in range(runs):
                started = time.perf_counter()
                session.run(x)
                times.append(time.perf_counter() - started)
    return [(1000 * float(np.median(t)), 1000 * float(np.percentile(t, 95))) for t in timings]


def track_video(backend: PoseBackend, video: Path) -> np.ndarray:
    """Keypoints (T, 17, 3) of a whole video, detect-then-track as in `analyze`; NaN = nobody."""
    backend.reset()
    rows = []
    with open_source(video) as source:
        for frame in source:
            pose = backend(frame.image, frame.time_s)
            rows.append(np.full((NUM_KEYPOINTS, 3), np.nan, np.float32) if pose is None else pose.keypoints)
    return np.array(rows, dtype=np.float32)


@dataclass
class PhoneSwing:
    """A labelled phone swing analysed end to end (`analyze`'s pipeline) through one backend."""

    video: str
    backend: str
    swings: int
    phase_accuracy: float | None
    events: list[int] | None  # the first swing's 8 event frames in the video


def analyse_phone_swing(phone: Path, name: str, backend_name: str) -> PhoneSwing:
    """Video -> poses -> swings -> events -> 5 phases per frame, scored against the hand labels."""
    from swingcoach.bench.events import read_phase_labels
    from swingcoach.pipeline import analyze_poses, extract_poses
    from swingcoach.pose import create_backend
    from swingcoach.swing.events import create_event_detector

    labels = read_phase_labels(phone / f"{name}_phases.csv")
    sequence, _ = extract_poses(phone / f"{name}.mp4", create_backend(backend_name, threads=1))
    try:
        swings = analyze_poses(sequence, create_event_detector())
    except SwingcoachError:
        return PhoneSwing(name, backend_name, 0, None, None)
    events = swings[0].report.events.to_events()
    accuracy = float(np.mean(events.phases(len(labels)) == labels))
    return PhoneSwing(name, backend_name, len(swings), accuracy, list(events.frames))


GOLF_EVAL_VIDEOS = (
    "phone_swings/swing1.mp4",
    "phone_swings/swing2.mp4",
    "phone_swings/swing3.mp4",
    "videos/golfdb_test_video.mp4",
)
LATENCY_VIDEO = "videos/golfdb_test_video.mp4"  # its first frame, cropped, is every model's input
PHONE_SWINGS = ("swing1", "swing2", "swing3")
PHONE_BACKENDS = ("blazepose-full", "student")
TEACHER = "blazepose-full"


@dataclass
class PoseBench:
    rows: list[PoseRow]
    test_images: int
    scored_joints: int
    golf_frames: int
    phone_swings: list[PhoneSwing]

    @property
    def teacher(self) -> PoseRow:
        return next(r for r in self.rows if r.family == TEACHER)

    def speedup(self, row: PoseRow, threads: int) -> float:
        """How many times faster than BlazePose full's landmark model, measured in the same run."""
        return self.teacher.latency_ms[threads] / row.latency_ms[threads]

    def as_json(self) -> dict:
        models = []
        for row in self.rows:
            entry = asdict(row) | {"teacher_pck02": self.teacher.pck02}
            entry["speedup_vs_blazepose_full"] = {t: self.speedup(row, t) for t in row.latency_ms}
            models.append(entry)
        return {
            "models": models,
            "protocol": {
                "pck": "PCK@0.2; torso = right shoulder to left hip (else left shoulder to right hip)",
                "lspet_test_images": self.test_images,
                "scored_joints": self.scored_joints,
                "golf_agreement": "PCK@0.2 of shoulders..ankles against BlazePose full, tracked videos",
                "golf_videos": list(GOLF_EVAL_VIDEOS),
                "golf_frames": self.golf_frames,
            },
            "phone_swings": [asdict(s) for s in self.phone_swings],
        }


def run_pose_bench(
    data_dir: Path,
    model_dirs: list[Path],
    limit: int | None,
    rounds: int,
    log: Callable[[str], None],
) -> PoseBench:
    """Every figure of `swingcoach bench pose` in one run (so speed ratios share the machine's load)."""
    models = [m for d in model_dirs for m in student_models(d)] + teacher_models()
    rows = [
        PoseRow(
            m.name,
            m.family,
            m.runtime,
            m.precision,
            *tflite_profile(m.profile),
            m.path.stat().st_size,
            m.fp16_size_bytes,
        )
        for m in models
    ]
    with open_source(data_dir / LATENCY_VIDEO) as source:
        latency_image = next(iter(source)).image
    for threads in (1, 2):
        log(f"latency at {threads} thread(s)")
        for row, ms in zip(rows, measure_latency(models, latency_image, threads, rounds, 20), strict=True):
            row.latency_ms[threads], row.latency_p95_ms[threads] = ms

    lspet = load_lspet(data_dir)
    indices = lspet_test_indices()[:limit]
    truth = lspet.joints[indices]
    teacher = next(m for m in models if m.family == TEACHER)
    log("golf videos through the teacher")
    reference = np.concatenate([track_video(teacher.make_backend(), data_dir / v) for v in GOLF_EVAL_VIDEOS])
    for model, row in zip(models, rows, strict=True):
        log(f"PCK on {len(indices)} LSPET test images, agreement on golf video: {model.name}")
        predicted = predict_lspet(model.make_backend(), lspet, indices)
        row.pck02 = float(pck_hits(predicted, truth).mean())
        row.lspet_found = float(np.isfinite(predicted[:, :, 0]).any(axis=1).mean())
        if model is not teacher:
            tracked = [track_video(model.make_backend(), data_dir / v) for v in GOLF_EVAL_VIDEOS]
            row.golf_agreement = pck_against(np.concatenate(tracked), reference)
    log("phone swings end to end")
    phone = [
        analyse_phone_swing(data_dir / "phone_swings", name, backend)
        for name in PHONE_SWINGS
        for backend in PHONE_BACKENDS
    ]
    scored = int(pck_hits(lspet_to_coco(truth), truth).size)
    return PoseBench(rows, len(indices), scored, len(reference), phone)
