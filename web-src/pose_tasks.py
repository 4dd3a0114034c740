"""Builds the BlazePose bundles @mediapipe/tasks-vision's PoseLandmarker loads (a .task is a zip of
the person detector and the landmark model), from the models in the pose package, into the web app's
static folder (gzip-compressed, served with Content-Encoding: gzip).

PoseLandmarker reads how to normalise the image from each model's TFLite metadata, which the landmark
models lack, so it is written here (MediaPipe's metadata writer): detector [-1, 1] (mean = std =
127.5), landmark model [0, 1] (mean 0, std 255), as swingcoach.pose.detector / blazepose feed them.
Run it with the writer in a throwaway venv (mediapipe 0.10.21's pins clash with the project's):

    python -m venv /tmp/mp && /tmp/mp/bin/pip install --no-deps mediapipe==0.10.21 && \
      /tmp/mp/bin/pip install absl-py attrs flatbuffers "numpy<2" "protobuf<5" \
      "opencv-python-headless<4.12" matplotlib
    /tmp/mp/bin/python web-src/pose_tasks.py
"""

import gzip
from pathlib import Path

from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer, model_asset_bundle_utils

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "src" / "swingcoach" / "pose" / "models" / "blazepose"
TARGET = ROOT / "src" / "swingcoach" / "web" / "static" / "vendor" / "blazepose"
OUTPUTS = {"pose_detection": 2, "pose_landmark": 5}  # output tensors of each model


def with_metadata(path: Path, mean: float, std: float, outputs: int) -> bytes:
    writer = metadata_writer.MetadataWriter.create(bytearray(path.read_bytes()))
    writer.add_general_info(path.stem, "BlazePose GHUM 3D (MediaPipe)")
    writer.add_image_input(norm_mean=[mean], norm_std=[std])
    for _ in range(outputs):
        writer.add_feature_output()
    return bytes(writer.populate()[0])


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    detector = with_metadata(MODELS / "pose_detection.tflite", 127.5, 127.5, OUTPUTS["pose_detection"])
    for variant in ("lite", "full"):
        model = MODELS / f"pose_landmark_{variant}.tflite"
        landmarks = with_metadata(model, 0.0, 255.0, OUTPUTS["pose_landmark"])
        bundle = TARGET / f"pose_landmarker_{variant}.task"
        model_asset_bundle_utils.create_model_asset_bundle(
            {"pose_detector.tflite": detector, "pose_landmarks_detector.tflite": landmarks}, str(bundle)
        )
        (TARGET / f"{bundle.name}.gz").write_bytes(gzip.compress(bundle.read_bytes(), 9, mtime=0))
        bundle.unlink()
        print(f"{bundle.name}.gz -> {TARGET}")
    (TARGET / "LICENSE").write_bytes((MODELS / "LICENSE").read_bytes())


if __name__ == "__main__":
    main()
