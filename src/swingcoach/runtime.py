"""One interface over the inference runtimes the models run on (LiteRT and onnxruntime)."""

from __future__ import annotations

import os
import sys
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from swingcoach.errors import SwingcoachError


@contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Hide what native code prints on stderr (LiteRT announces its XNNPACK delegate at load)."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(devnull)
        os.close(saved)


class InferenceSession(ABC):
    """A loaded model: `run(x)` takes one float32 input and returns the outputs in model order."""

    runtime: str

    def __init__(self, path: Path, threads: int) -> None:
        if not path.is_file():
            raise SwingcoachError(f"model file not found: {path}")
        self.path = path
        self.threads = threads

    @property
    @abstractmethod
    def input_shape(self) -> tuple[int, ...]: ...

    @abstractmethod
    def run(self, x: np.ndarray) -> list[np.ndarray]: ...


class LiteRTSession(InferenceSession):
    runtime = "litert"

    def __init__(self, path: Path, threads: int) -> None:
        super().__init__(path, threads)
        from ai_edge_litert.interpreter import Interpreter

        with native_stderr_silenced():
            self._interpreter = Interpreter(model_path=str(path), num_threads=threads)
            self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]
        self._outputs = [d["index"] for d in self._interpreter.get_output_details()]

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(int(v) for v in self._input["shape"])

    @property
    def interpreter(self) -> Any:
        """The LiteRT interpreter itself (its graph's ops and tensors, for profiling)."""
        return self._interpreter

    def run(self, x: np.ndarray) -> list[np.ndarray]:
        self._interpreter.set_tensor(self._input["index"], x.astype(self._input["dtype"], copy=False))
        self._interpreter.invoke()
        return [self._interpreter.get_tensor(i) for i in self._outputs]


class OnnxSession(InferenceSession):
    runtime = "onnxruntime"

    def __init__(self, path: Path, threads: int) -> None:
        super().__init__(path, threads)
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0]

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(d if isinstance(d, int) else -1 for d in self._input.shape)

    def run(self, x: np.ndarray) -> list[np.ndarray]:
        return self._session.run(None, {self._input.name: x.astype(np.float32, copy=False)})


def load_session(path: Path, threads: int = 1) -> InferenceSession:
    """Open a model with the runtime its file format needs."""
    sessions: dict[str, type[InferenceSession]] = {".tflite": LiteRTSession, ".onnx": OnnxSession}
    try:
        session_type = sessions[path.suffix]
    except KeyError:
        raise SwingcoachError(
            f"unsupported model format {path.suffix!r}: expected .tflite or .onnx"
        ) from None
    return session_type(path, threads)
