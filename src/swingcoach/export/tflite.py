"""Torch -> TFLite (LiteRT) with litert-torch, fp32 or static INT8 (PT2E quantization).

litert-torch pulls its own large dependency set (jax, ai-edge-quantizer, ...), so it lives in a
separate build environment, never in the runtime one; running the .tflite files needs only
ai-edge-litert. Create the build environment once (docs/pose.md):

    python3.11 -m venv /tmp/litert-venv
    echo "torch==2.13.0" > /tmp/litert-constraints.txt
    /tmp/litert-venv/bin/pip install -c /tmp/litert-constraints.txt litert-torch==0.10.0 -e ".[train]"

and run the export command with that environment's `swingcoach`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from swingcoach.errors import SwingcoachError

if TYPE_CHECKING:
    import torch

BUILD_ENV_HINT = (
    "TFLite export needs litert-torch, which lives in a separate build environment: "
    "see docs/pose.md ('TFLite build environment') and run this command with its swingcoach"
)


def _module_path(node: torch.fx.Node) -> str:
    """Dotted path of the innermost module a traced node came from ('' for the top level)."""
    stack = node.meta.get("nn_module_stack") or {}
    path = next(reversed(stack.values()))[0] if stack else ""
    return path.removeprefix("L['self']").lstrip(".")


def _quantizer_keeping_float(module_names: Sequence[str]) -> object:
    """litert-torch's PT2E quantizer, minus the annotations of the named submodules (its own
    `set_module_name(name, None)` is not implemented)."""
    from litert_torch.quantize.pt2e_quantizer import PT2EQuantizer

    class Quantizer(PT2EQuantizer):
        def annotate(self, model: torch.fx.GraphModule) -> torch.fx.GraphModule:
            model = super().annotate(model)
            for node in model.graph.nodes:
                if _module_path(node).split(".")[0] in module_names:
                    node.meta.pop("quantization_annotation", None)
            return model

    return Quantizer()


def convert_tflite(
    model: torch.nn.Module,
    example: torch.Tensor,
    path: Path,
    calibration: Iterable[np.ndarray] | None = None,
    float_modules: Sequence[str] = (),
) -> Path:
    """Write `model` (eval mode, one input) as .tflite: fp32, or static INT8 (per-channel symmetric
    weights, per-tensor int8 activations) when calibration inputs are given.

    `float_modules` (submodule names) stay in float: naming the output heads keeps the model's
    outputs float32, so every runtime hands back the same dtype, and they are tiny layers anyway.
    """
    try:
        import litert_torch
        from litert_torch.quantize.pt2e_quantizer import get_symmetric_quantization_config
        from litert_torch.quantize.quant_config import QuantConfig
        from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
    except ImportError as error:
        raise SwingcoachError(BUILD_ENV_HINT) from error
    import torch

    model.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    if calibration is None:
        edge_model = litert_torch.convert(model, (example,))
    else:
        quantizer = _quantizer_keeping_float(float_modules)
        quantizer.set_global(get_symmetric_quantization_config(is_per_channel=True))
        # Strict (Dynamo) tracing records the source of each op, which the quantizer's add and
        # module annotators need: without it residual additions fall back to float.
        exported = torch.export.export(model, (example,), strict=True).module()
        prepared = prepare_pt2e(exported, quantizer)
        with torch.no_grad():
            for batch in calibration:
                prepared(torch.from_numpy(np.asarray(batch, dtype=np.float32)))
        quantized = convert_pt2e(prepared, fold_quantize=False)
        edge_model = litert_torch.convert(
            quantized, (example,), quant_config=QuantConfig(pt2e_quantizer=quantizer)
        )
    edge_model.export(str(path))
    return path
