"""The model the practice page runs in the browser, and what its JavaScript needs to know about it.

The constants come from the Python side (the student backend and the person detector), so the
browser crops, decodes and tracks exactly as `swingcoach analyze --backend student` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from swingcoach.pose import student
from swingcoach.pose.detector import ROI_SCALE

# onnxruntime-web runs the fp32 graph faster than the int8 (QDQ) one on wasm: median 31-35 ms
# against 52-65 ms a frame in headless Chromium here (docs/web.md).
BROWSER_PRECISION = "fp32"
MODEL_FILE: Path = student.model_path(BROWSER_PRECISION, "onnx")
MODEL_URL = f"/models/{MODEL_FILE.name}"


def browser_config() -> dict[str, Any]:
    """Handed to every page as JSON (read once at start-up, when the app is made)."""
    # Without the model files the service still runs; the practice page then says the model is missing.
    installed = (student.MODEL_DIR / "student.json").is_file()
    card = student.load_model_card() if installed else {"version": "missing", "input_size": 192}
    return {
        "pose": {
            "url": MODEL_URL,
            "version": f"{card['version']}-{BROWSER_PRECISION}-web",
            "inputSize": int(card["input_size"]),
            "presenceThreshold": student.PRESENCE_THRESHOLD,
            "bodyExtent": student.BODY_EXTENT,
            "roiScale": ROI_SCALE,
        }
    }
