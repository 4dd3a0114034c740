#!/usr/bin/env python3
"""swingcoach device kit: inference latency of every model in this kit on this device.

Needs Python 3.9+, numpy, and a runtime: ai-edge-litert (or tflite-runtime) for the .tflite models,
onnxruntime for the .onnx ones; models without their runtime are listed as skipped. Each model runs
at each thread count on a fixed random input of its shape (latency does not depend on the values
for these networks): warm-up runs first, then timed runs. Writes one JSON file (median / p95 / mean
milliseconds per model and thread count, with a description of the device) that
`swingcoach bench merge REPORT_DIR FILE` adds to a benchmark report as another column.

    python3 benchmark.py                          # 1, 2 and 4 threads, 50 runs each
    python3 benchmark.py --threads 1 2 --runs 100 --name "Raspberry Pi 4"
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from machine import describe_machine, load_average, peak_rss_mb

RESULTS_SCHEMA = "swingcoach-device-bench/1"
KIT = Path(__file__).resolve().parent


class LiteRTModel:
    def __init__(self, path: Path, threads: int) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            from tflite_runtime.interpreter import Interpreter
        self.interpreter = Interpreter(model_path=str(path), num_threads=threads)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]

    def run(self, x: np.ndarray) -> None:
        self.interpreter.set_tensor(self.input["index"], x)
        self.interpreter.invoke()


class OnnxModel:
    def __init__(self, path: Path, threads: int) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name

    def run(self, x: np.ndarray) -> None:
        self.session.run(None, {self.input_name: x})


RUNNERS = {"litert": LiteRTModel, "onnxruntime": OnnxModel}
MODULES = {"litert": ("ai_edge_litert", "tflite_runtime"), "onnxruntime": ("onnxruntime",)}


def runtime_available(runtime: str) -> bool:
    for module in MODULES[runtime]:
        try:
            __import__(module)
        except ImportError:
            continue
        return True
    return False


def measure(model: LiteRTModel | OnnxModel, x: np.ndarray, warmup: int, runs: int) -> list[float]:
    for _ in range(warmup):
        model.run(x)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        model.run(x)
        times.append(1000 * (time.perf_counter() - started))
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--runs", type=int, default=50, help="timed runs per model and thread count")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs before them")
    parser.add_argument("--models", nargs="*", help="only these model files (names in models/)")
    parser.add_argument("--name", help="column title in the report (default: the CPU or phone model)")
    parser.add_argument("--out", type=Path, help="results file (default: results_<hostname>.json)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmup < 0 or min(args.threads) < 1:
        parser.error("--runs and --threads must be positive, --warmup not negative")

    manifest = json.loads((KIT / "models.json").read_text())
    device = describe_machine()
    chosen = [m for m in manifest["models"] if not args.models or Path(m["file"]).name in args.models]
    if not chosen:
        parser.error(f"no such model in models.json: {' '.join(args.models)}")
    rng = np.random.default_rng(0)
    results, skipped = [], []
    for entry in chosen:
        name = Path(entry["file"]).name
        if not runtime_available(entry["runtime"]):
            skipped.append({"model": name, "reason": f"no {entry['runtime']} runtime installed"})
            continue
        x = rng.random(entry["input_shape"], dtype=np.float32)
        for threads in args.threads:
            started = time.perf_counter()
            model = RUNNERS[entry["runtime"]](KIT / entry["file"], threads)
            load_ms = 1000 * (time.perf_counter() - started)
            times = measure(model, x, args.warmup, args.runs)
            results.append(
                {
                    "model": name,
                    "role": entry["role"],
                    "precision": entry["precision"],
                    "runtime": entry["runtime"],
                    "threads": threads,
                    "median_ms": float(np.median(times)),
                    "p95_ms": float(np.percentile(times, 95)),
                    "mean_ms": float(np.mean(times)),
                    "min_ms": float(np.min(times)),
                    "load_ms": load_ms,
                    "runs": len(times),
                }
            )
            print(f"{name:32s} {threads} thread(s): median {results[-1]['median_ms']:8.2f} ms", flush=True)
    report = {
        "schema": RESULTS_SCHEMA,
        "name": args.name or device.get("android", {}).get("model") or device["cpu"],
        "device": device,
        "load_average_end": load_average(),
        "kit": {"swingcoach": manifest["swingcoach"], "created": manifest["created"]},
        "settings": {"threads": args.threads, "runs": args.runs, "warmup": args.warmup},
        "results": results,
        "skipped": skipped,
        "peak_rss_mb": peak_rss_mb(),
    }
    out = args.out or Path(f"results_{device['hostname'] or 'device'}.json")
    out.write_text(json.dumps(report, indent=1) + "\n")
    for item in skipped:
        print(f"skipped {item['model']}: {item['reason']}")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
