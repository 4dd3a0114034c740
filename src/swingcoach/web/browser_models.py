"""The pose models the practice page can run in the browser, and what its JavaScript needs to know.

- `student`: our student model on onnxruntime-web (wasm). Its constants come from the Python side
  (the student backend and the person detector), so the browser crops, decodes and tracks exactly
  as `swingcoach analyze --backend student` does.
- `blazepose-lite`, `blazepose-full`: the pose package's BlazePose models in MediaPipe's
  PoseLandmarker (@mediapipe/tasks-vision, wasm), bundled as .task files (web-src/pose_tasks.py).

The default is the one `swingcoach bench browser-pose` found closest to what the CLI and the server
compute (BlazePose full) at a usable pose rate (docs/web.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from swingcoach.pose import student
from swingcoach.pose.blazepose import MODEL_RELEASE
from swingcoach.pose.detector import ROI_SCALE

# onnxruntime-web runs the fp32 graph faster than the int8 (QDQ) one on wasm: median 31-35 ms
# against 52-65 ms a frame in headless Chromium here (docs/web.md).
BROWSER_PRECISION = "fp32"
MODEL_FILE: Path = student.model_path(BROWSER_PRECISION, "onnx")
MODEL_URL = f"/models/{MODEL_FILE.name}"
DEFAULT_MODEL = "blazepose-full"


def pose_models() -> dict[str, dict[str, Any]]:
    # Without the model files the service still runs; the practice page then says the model is missing.
    installed = (student.MODEL_DIR / "student.json").is_file()
    card = student.load_model_card() if installed else {"version": "missing", "input_size": 192}
    models = {
        "student": {
            "runtime": "onnxruntime-web",
            "label": "student (fast, 2D)",
            "url": MODEL_URL,
            "version": f"{card['version']}-{BROWSER_PRECISION}-web",
            "inputSize": int(card["input_size"]),
            "presenceThreshold": student.PRESENCE_THRESHOLD,
            "bodyExtent": student.BODY_EXTENT,
            "maxReachTorsos": student.MAX_REACH_TORSOS,
            "roiScale": ROI_SCALE,
        }
    }
    for variant in ("lite", "full"):
        models[f"blazepose-{variant}"] = {
            "runtime": "tasks-vision",
            "label": f"BlazePose {variant} (as the server)" if variant == "full" else f"BlazePose {variant}",
            # Stored as .task.gz, served decompressed (Content-Encoding: gzip).
            "url": f"/static/vendor/blazepose/pose_landmarker_{variant}.task",
            "version": f"blazepose-{variant}-{MODEL_RELEASE}-web",
        }
    return models


def browser_config() -> dict[str, Any]:
    """Handed to every page as JSON (read once at start-up, when the app is made)."""
    return {"pose": {"default": DEFAULT_MODEL, "models": pose_models()}}
