"""The INT8 models the analysis runs on onnxruntime hold 7-bit weights.

On x86 CPUs without VNNI (AVX2 only) onnxruntime multiplies uint8 activations by int8 weights in
pairs summed into int16, which saturates once weights use the full 8-bit range: the same model then
gives other events and other 3D angles there than on a VNNI CPU (the tour reference built with the
8-bit lifter on one CPU came out up to 1.5 degrees of spine tilt apart on another). With
|weight| <= 64 a pair sums to at most 2 * 255 * 64 = 32,640, inside int16, so every CPU computes
the same integers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")

from swingcoach.pose.lift import MODEL_DIR as LIFTER_DIR  # noqa: E402
from swingcoach.swing.events.model import INT8_MODEL  # noqa: E402

ANALYSIS_INT8 = [*sorted(LIFTER_DIR.glob("*int8*.onnx")), INT8_MODEL]


@pytest.mark.parametrize("path", ANALYSIS_INT8, ids=lambda p: p.name)
def test_int8_weights_never_saturate_a_pair_sum(path: Path) -> None:
    from onnx import numpy_helper

    weights = [numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer]
    quantized = [w for w in weights if w.dtype == np.int8 and w.size > 1]
    assert quantized, f"{path.name} holds no int8 weights"
    assert max(int(np.abs(w.astype(np.int16)).max()) for w in quantized) <= 64


def test_every_lifter_form_is_checked() -> None:
    assert {p.name for p in ANALYSIS_INT8} >= {
        "lifter_int8.onnx",
        "lifter_int8_sequence.onnx",
        "lifter_causal_int8.onnx",
        "lifter_causal_int8_sequence.onnx",
        "events_supcon_int8.onnx",
    }
