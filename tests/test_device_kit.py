"""The device kit: every shipped model in it, unchanged; its benchmark script runs without swingcoach
(numpy and the runtimes only) and writes the results JSON that `bench merge` reads."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from swingcoach.export.device_kit import RESULTS_SCHEMA, kit_sources, write_device_kit
from swingcoach.runtime import load_session

# One model of each runtime keeps the run short; the script treats every model alike.
MEASURED = ("student_int8.tflite", "lifter_int8.onnx")
# Run as on a device: any import of swingcoach fails, so the script can only use what the kit holds.
STANDALONE = (
    "import runpy, sys; sys.modules['swingcoach'] = None; sys.argv = sys.argv[1:]; "
    "runpy.run_path(sys.argv[0], run_name='__main__')"
)


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kit")
    write_device_kit(out)
    return out


def run_kit_benchmark(kit: Path, out: Path, *options: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", STANDALONE, str(kit / "benchmark.py"), "--out", str(out), *options]
    return subprocess.run(command, cwd=kit, capture_output=True, text=True, timeout=300, check=False)


def test_kit_holds_every_shipped_model_unchanged(kit: Path) -> None:
    manifest = json.loads((kit / "models.json").read_text())
    files = {Path(m["file"]).name: m for m in manifest["models"]}
    assert set(files) == {source.name for source, _, _ in kit_sources()}
    assert {"student_fp32.tflite", "student_int8.onnx", "pose_landmark_full.tflite"} <= set(files)
    for source, _, _ in kit_sources():
        entry = files[source.name]
        copied = kit / entry["file"]
        assert hashlib.sha256(copied.read_bytes()).hexdigest() == entry["sha256"]
        assert entry["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
        # Benchmarked with a concrete shape the model accepts.
        assert all(size > 0 for size in entry["input_shape"])
        declared = load_session(copied).input_shape
        assert len(declared) == len(entry["input_shape"])
        assert all(d in (-1, s) for d, s in zip(declared, entry["input_shape"], strict=True))
    assert "Apache License" in (kit / "models" / "LICENSE-BlazePose").read_text()
    readme = (kit / "README.md").read_text()
    assert "benchmark_model" in readme and "adb" in readme and "iOS" in readme
    assert (kit / "machine.py").is_file()


def test_kit_benchmark_runs_without_swingcoach(kit: Path, tmp_path: Path) -> None:
    out = tmp_path / "pi.json"
    done = run_kit_benchmark(
        kit,
        out,
        "--threads",
        "1",
        "2",
        "--runs",
        "5",
        "--warmup",
        "1",
        "--name",
        "test device",
        "--models",
        *MEASURED,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    assert results["schema"] == RESULTS_SCHEMA
    assert results["name"] == "test device"
    assert results["device"]["cores"] >= 1 and results["device"]["cpu"]
    assert "numpy" in results["device"]["packages"]
    assert results["skipped"] == []
    measured = {(r["model"], r["threads"]): r for r in results["results"]}
    assert set(measured) == {(m, t) for m in MEASURED for t in (1, 2)}
    for r in measured.values():
        assert r["runs"] == 5
        assert 0 < r["min_ms"] <= r["median_ms"] <= r["p95_ms"]
        assert r["min_ms"] <= r["mean_ms"]
    assert results["peak_rss_mb"] > 10


def test_kit_benchmark_rejects_bad_options(kit: Path, tmp_path: Path) -> None:
    done = run_kit_benchmark(kit, tmp_path / "x.json", "--models", "no_such_model.tflite")
    assert done.returncode == 2
    assert "no such model" in done.stderr
    assert not (tmp_path / "x.json").exists()
