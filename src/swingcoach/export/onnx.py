"""One export path for every model we train: torch -> ONNX fp32 -> static INT8 (QDQ).

Torch is imported inside the functions: exporting needs the `train` extra, running the result
needs only onnxruntime.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

OPSET = 17


def export_onnx(
    model: torch.nn.Module,
    example: torch.Tensor,
    path: Path,
    input_name: str = "input",
    output_names: Sequence[str] = ("output",),
    dynamic_axes: dict[str, dict[int, str]] | None = None,
) -> Path:
    """Write `model` (in eval mode) as a single-file ONNX graph."""
    import torch

    model.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            model,
            (example,),
            str(path),
            input_names=[input_name],
            output_names=list(output_names),
            dynamic_axes=dynamic_axes,
            opset_version=OPSET,
            dynamo=False,
        )
    return path


class _Calibration:
    """onnxruntime CalibrationDataReader over a list of input batches."""

    def __init__(self, input_name: str, batches: Iterable[np.ndarray]) -> None:
        self._items = iter([{input_name: np.asarray(b, dtype=np.float32)} for b in batches])

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._items, None)


def quantize_int8(
    fp32_path: Path, int8_path: Path, calibration: Iterable[np.ndarray], ranges: str = "MinMax"
) -> Path:
    """Static post-training INT8 (QDQ, per-channel weights, uint8 activations) from real inputs.

    `ranges`: how activation ranges come from the calibration data, an onnxruntime
    `CalibrationMethod` name ("MinMax", or "Percentile" to clip rare outliers)."""
    import onnxruntime as ort
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    input_name = ort.InferenceSession(str(fp32_path), providers=["CPUExecutionProvider"]).get_inputs()[0].name
    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=True)
        quantize_static(
            str(prepared),
            str(int8_path),
            _Calibration(input_name, calibration),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod[ranges],
        )
    return int8_path
