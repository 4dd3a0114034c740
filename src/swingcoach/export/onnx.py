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

from swingcoach.pose.lift import SEQUENCE_SUFFIX

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
    """Static post-training INT8 (QDQ, per-channel 7-bit weights, uint8 activations) from real inputs.

    Weights use 7 bits (`reduce_range`): x86 CPUs without VNNI (AVX2 only) multiply uint8 by int8
    in pairs summed into int16, which saturates with full-range weights, so the same model gave
    different events there than on VNNI CPUs.

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
            reduce_range=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod[ranges],
        )
    return int8_path


def lifter_sequence_form(windows_path: Path) -> Path:
    """Write `<stem>_sequence.onnx` beside a lifter: the same graph (and, for INT8, the same
    quantisation) slid along a whole sequence, (N, F + receptive_field - 1, 12, 2) -> (N, F, 17, 3).

    The window form runs each stride-3 temporal convolution once per output frame, so neighbouring
    windows recompute the same features; here they become stride-1 convolutions dilated 1, 3, 9, ...
    and the residual slices follow, which gives every frame's window result at once (about 7x less
    CPU for a swing) with the same arithmetic per frame."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(windows_path))
    graph = model.graph
    constants = {i.name: numpy_helper.to_array(i) for i in graph.initializer} | {
        node.output[0]: numpy_helper.to_array(node.attribute[0].t)
        for node in graph.node
        if node.op_type == "Constant"
    }
    frames = graph.input[0].type.tensor_type.shape.dim[1]
    frames.ClearField("dim_value")
    frames.dim_param = "frames"
    temporal = [
        node
        for node in graph.node
        if node.op_type == "Conv" and any(a.name == "strides" and list(a.ints) != [1] for a in node.attribute)
    ]
    for level, node in enumerate(temporal):
        for attribute in node.attribute:
            if attribute.name == "strides":
                attribute.ints[:] = [1]
            elif attribute.name == "dilations":
                attribute.ints[:] = [3**level]
    # Each block's residual keeps the frame its output stands for (x[:, :, keep::3] in window form).
    residuals = [node for node in graph.node if node.op_type == "Slice" and node.name.startswith("/blocks.")]
    for level, node in enumerate(residuals, start=1):
        keep = int(constants[node.input[1]][0])
        dilation = 3**level
        end = -(2 - keep) * dilation or np.iinfo(np.int64).max
        names = [f"{node.name}/sequence_{part}" for part in ("starts", "ends", "steps")]
        for name, value in zip(names, ([keep * dilation], [end], [1]), strict=True):
            graph.initializer.append(numpy_helper.from_array(np.array(value, np.int64), name))
        node.input[1], node.input[2], node.input[4] = names
    # The window form picks its single output frame at the end; the sequence form keeps them all.
    pick = [node for node in graph.node if node.op_type == "Gather"][-1]
    position = list(graph.node).index(pick)
    graph.node.remove(pick)
    graph.node.insert(
        position, helper.make_node("Identity", [pick.input[0]], list(pick.output), name=pick.name)
    )
    output = graph.output[0].type.tensor_type.shape
    output.ClearField("dim")
    for name in ("batch", "frames", "joints", "xyz"):
        output.dim.add().dim_param = name
    used = {name for node in graph.node for name in node.input}
    for initializer in [i for i in graph.initializer if i.name not in used]:
        graph.initializer.remove(initializer)
    for constant in [n for n in graph.node if n.op_type == "Constant" and n.output[0] not in used]:
        graph.node.remove(constant)
    onnx.checker.check_model(model)
    path = windows_path.with_name(f"{windows_path.stem}{SEQUENCE_SUFFIX}.onnx")
    onnx.save(model, str(path))
    return path
