"""`swingcoach export device-kit DIR`: the shipped models and a standalone benchmark for real devices.

The kit is a folder to copy onto a Raspberry Pi, a phone (Termux) or any computer:
- `models/`: every model the pipeline runs on a device, as shipped (.tflite and .onnx), with the
  BlazePose licence (Apache-2.0) and our model cards;
- `models.json`: what each file is and the input shape it is benchmarked with;
- `benchmark.py` + `machine.py`: per-model latency at 1/2/4 threads into a JSON that
  `swingcoach bench merge` adds to a report as another column; they need only Python, numpy and a
  runtime (ai-edge-litert or tflite-runtime for .tflite, onnxruntime for .onnx);
- `README.md`: how to run it, and the official TFLite `benchmark_model` tool on Android and iOS.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from swingcoach import __version__
from swingcoach.bench import machine
from swingcoach.pose.detector import MODEL_DIR as BLAZEPOSE_DIR
from swingcoach.pose.lift import MODEL_DIR as LIFTER_DIR
from swingcoach.pose.lift import lifter_names
from swingcoach.pose.student import MODEL_DIR as STUDENT_DIR
from swingcoach.pose.student import PRECISIONS, RUNTIMES, model_path
from swingcoach.runtime import load_session
from swingcoach.swing.events.model import DEFAULT_MODEL as EVENT_MODEL
from swingcoach.swing.events.model import INT8_MODEL as EVENT_INT8_MODEL

TEMPLATE_DIR = Path(__file__).parent / "device_kit_files"
KIT_SCHEMA = "swingcoach-device-kit/1"
RESULTS_SCHEMA = "swingcoach-device-bench/1"  # what the kit's benchmark.py writes
# The event model reads a tempo-normalised grid of any length: a 3-second, 30 fps swing whose
# mid-backswing -> impact takes 18 frames is 90 / 18 x 32 = 160 steps (the phone swings: 100-250).
EVENT_GRID_STEPS = 160


@dataclass(frozen=True)
class KitModel:
    file: str  # path inside the kit
    role: str
    precision: str
    runtime: str  # "litert" or "onnxruntime"
    input_shape: tuple[int, ...]
    bytes: int
    sha256: str


def _describe(source: Path, role: str, precision: str) -> KitModel:
    session = load_session(source)
    # Dynamic dimensions: one window at a time for the lifter (streaming), a typical swing for events.
    shape = tuple(
        (EVENT_GRID_STEPS if axis == 1 else 1) if size < 0 else size
        for axis, size in enumerate(session.input_shape)
    )
    return KitModel(
        file=f"models/{source.name}",
        role=role,
        precision=precision,
        runtime=session.runtime,
        input_shape=shape,
        bytes=source.stat().st_size,
        sha256=hashlib.sha256(source.read_bytes()).hexdigest(),
    )


def kit_sources() -> list[tuple[Path, str, str]]:
    """(file, role, precision) of every model a device runs, as shipped in the package."""
    sources = [
        (model_path(precision, runtime), "2D pose: student", precision)
        for runtime in RUNTIMES
        for precision in PRECISIONS
    ]
    sources += [
        (BLAZEPOSE_DIR / "pose_detection.tflite", "person detector: BlazePose", "fp16"),
        (BLAZEPOSE_DIR / "pose_landmark_lite.tflite", "2D pose: BlazePose lite", "fp16"),
        (BLAZEPOSE_DIR / "pose_landmark_full.tflite", "2D pose: BlazePose full", "fp16"),
    ]
    for name in lifter_names():
        role = "3D lift: causal (streaming)" if "causal" in name else "3D lift: centred (whole clips)"
        precision = "int8" if "int8" in name else "fp32"
        sources.append((LIFTER_DIR / f"{name.replace('-', '_')}.onnx", role, precision))
    sources += [(EVENT_MODEL, "events / phases", "fp32"), (EVENT_INT8_MODEL, "events / phases", "int8")]
    return sources


def write_device_kit(out: Path) -> list[KitModel]:
    """Write the kit into `out` (created; files already there are replaced)."""
    models_dir = out / "models"
    models_dir.mkdir(parents=True, exist_ok=True)
    models = []
    for source, role, precision in kit_sources():
        shutil.copy2(source, models_dir / source.name)
        card = source.with_suffix(".json")
        if card.is_file():  # the lifters' model descriptions
            shutil.copy2(card, models_dir / card.name)
        models.append(_describe(source, role, precision))
    shutil.copy2(STUDENT_DIR / "student.json", models_dir / "student.json")
    shutil.copy2(BLAZEPOSE_DIR / "LICENSE", models_dir / "LICENSE-BlazePose")
    shutil.copy2(BLAZEPOSE_DIR / "README.md", models_dir / "README-BlazePose.md")
    shutil.copy2(TEMPLATE_DIR / "benchmark.py", out / "benchmark.py")
    shutil.copy2(TEMPLATE_DIR / "README.md", out / "README.md")
    shutil.copy2(Path(machine.__file__), out / "machine.py")
    manifest = {
        "schema": KIT_SCHEMA,
        "swingcoach": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "models": [asdict(m) for m in models],
    }
    (out / "models.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return models
