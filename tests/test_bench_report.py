"""`swingcoach bench all` / `bench merge`: the report rendered from a real (short) run, a device's
results merged in as another column, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest
from typer.testing import CliRunner, Result

from swingcoach.bench.report import (
    JSON,
    MARKDOWN,
    POSE_PLOT,
    STAGES_PLOT,
    load_device_results,
    merge_devices,
    write_report,
)
from swingcoach.bench.speed import BACKENDS, STAGE_LABELS, SpeedConfig
from swingcoach.bench.suite import SCHEMA, run_suite
from swingcoach.cli.app import app
from swingcoach.errors import InputError

runner = CliRunner()
CONFIGS = [SpeedConfig(BACKENDS[0], 1, "native")]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Speed (one configuration) and the device kit's model latencies on this machine; the
    accuracy sections are skipped for want of data."""
    steps: list[str] = []
    empty = tmp_path_factory.mktemp("no-data")
    found = run_suite(
        empty,
        True,
        {"speed", "models", "lift"},
        "swingcoach bench all --quick",
        steps.append,
        lambda _: None,
        CONFIGS,
    )
    assert steps == ["lift", f"speed: {CONFIGS[0].name}", "models"]
    return found


@pytest.fixture(scope="module")
def report(results: dict, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    write_report(results, out)
    return out


def device_file(results: dict, folder: Path, name: str, scale: float) -> Path:
    """A device's results: this machine's, renamed and slowed down, as a slower device would send."""
    device = json.loads(json.dumps(results["devices"][0]))
    device["name"] = name
    for r in device["results"]:
        for key in ("median_ms", "p95_ms", "mean_ms", "min_ms"):
            r[key] *= scale
    path = folder / f"{name}.json"
    path.write_text(json.dumps(device))
    return path


def test_report_files_and_json(results: dict, report: Path) -> None:
    assert {p.name for p in report.iterdir()} == {MARKDOWN, JSON, STAGES_PLOT, POSE_PLOT}
    assert json.loads((report / JSON).read_text()) == results
    assert results["schema"] == SCHEMA
    assert results["machine"]["cores"] >= 1 and results["machine"]["load_average"]
    assert results["accuracy"]["lift"]["skipped"].startswith("Human3.6M not found")
    for plot in (STAGES_PLOT, POSE_PLOT):
        image = cv2.imread(str(report / plot))
        assert image is not None and image.shape[0] > 200 and image.shape[1] > 400


def test_markdown_names_the_command_machine_and_bottleneck(results: dict, report: Path) -> None:
    text = (report / MARKDOWN).read_text()
    config = results["speed"]["configs"][0]
    assert "swingcoach bench all --quick" in text
    assert results["created"][:10] in text
    assert results["machine"]["cpu"] in text and "Load average" in text
    assert f"| {config['backend']} | {config['profile']} | {config['fps']:.1f} |" in text
    assert STAGE_LABELS[config["bottleneck"]] in text
    for label in STAGE_LABELS.values():
        assert label in text
    assert "Skipped: Human3.6M not found" in text
    # This machine's kit run is the first column of the device table.
    assert "| model | threads | this machine |" in text
    assert f"![Per-stage time per frame]({STAGES_PLOT})" in text


def test_merge_adds_a_device_column(results: dict, report: Path, tmp_path: Path) -> None:
    pi = device_file(results, tmp_path, "pi5", 4.0)
    done = runner.invoke(app, ["bench", "merge", str(report), str(pi)])
    assert done.exit_code == 0, done.output
    merged = json.loads((report / JSON).read_text())
    assert [d["name"] for d in merged["devices"]] == ["this machine", "pi5"]
    text = (report / MARKDOWN).read_text()
    assert "| model | threads | this machine | pi5 |" in text
    here, pi_results = merged["devices"][0]["results"][0], merged["devices"][1]["results"][0]
    row = f"| {here['model']} | {here['threads']} | {here['median_ms']:.2f} / {here['p95_ms']:.2f} | "
    assert row + f"{pi_results['median_ms']:.2f} / {pi_results['p95_ms']:.2f} |" in text
    # The same device again replaces its column rather than adding one.
    again = merge_devices(merged, [load_device_results(device_file(results, tmp_path, "pi5", 2.0))])
    assert [d["name"] for d in again["devices"]] == ["this machine", "pi5"]
    assert again["devices"][1]["results"][0]["median_ms"] == pytest.approx(2 * here["median_ms"])


def test_bad_device_results_are_one_line_errors(report: Path, tmp_path: Path) -> None:
    not_json = tmp_path / "broken.json"
    not_json.write_text("{ nope")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"schema": "something-else", "results": []}))
    for path, message in ((not_json, "not JSON"), (other, "not a device-kit results file")):
        with pytest.raises(InputError, match=message):
            load_device_results(path)
        before = (report / JSON).read_text()
        done = runner.invoke(app, ["bench", "merge", str(report), str(path)])
        assert done.exit_code == 2
        assert message in done.output and len(done.output.strip().splitlines()) == 1
        assert (report / JSON).read_text() == before  # nothing stored is lost
    done = runner.invoke(app, ["bench", "merge", str(tmp_path / "no-report"), str(other)])
    assert done.exit_code == 2 and "no benchmark report" in done.output


def test_bench_all_rejects_bad_options_before_measuring(tmp_path: Path) -> None:
    done = runner.invoke(app, ["bench", "all", "--only", "colour", "--out", str(tmp_path / "r")])
    assert done.exit_code == 2 and "unknown section 'colour'" in done.output
    missing = tmp_path / "missing.json"
    done = runner.invoke(
        app, ["bench", "all", "--device-results", str(missing), "--out", str(tmp_path / "r")]
    )
    assert done.exit_code == 2 and "cannot read device results" in done.output
    assert not (tmp_path / "r").exists()


def quick_bench_all(data: Path, out: Path, *options: str) -> Result:
    """`swingcoach bench all --quick` with the given sections (`--only`) and options."""
    return runner.invoke(app, ["bench", "all", "--quick", "--data", str(data), "--out", str(out), *options])


def test_bench_all_command_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "report"
    done = quick_bench_all(tmp_path, out, "--only", "models")
    assert done.exit_code == 0, done.output
    results = json.loads((out / JSON).read_text())
    assert results["command"] == f"swingcoach bench all --data {tmp_path} --out {out} --quick --only models"
    assert [d["name"] for d in results["devices"]] == ["this machine"]
    assert "speed" not in results and (out / MARKDOWN).is_file()


def test_a_failing_section_keeps_the_others(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def broken(data: Path, quick: bool, log: object) -> dict:
        raise KeyError("fp16_onnx_bytes")

    monkeypatch.setattr("swingcoach.bench.suite.pose_section", broken)
    out = tmp_path / "report"
    done = quick_bench_all(tmp_path, out, "--only", "pose", "--only", "models")
    assert done.exit_code == 1
    assert "sections failed" in done.output and "KeyError" in done.output
    results = json.loads((out / JSON).read_text())
    assert results["failed"] == {"pose": "KeyError: 'fp16_onnx_bytes'"}
    assert results["accuracy"]["pose"] == {"failed": "KeyError: 'fp16_onnx_bytes'"}
    assert results["devices"][0]["results"]  # the section after it still ran
    assert "Failed: KeyError: 'fp16_onnx_bytes'." in (out / MARKDOWN).read_text()


def test_update_reruns_sections_into_the_report(results: dict, report: Path, tmp_path: Path) -> None:
    """`--update` lays the sections run now over the report in OUT: the other figures stay and both
    commands are named."""
    out = tmp_path / "report"
    write_report(results, out)
    done = quick_bench_all(tmp_path, out, "--only", "models", "--update")
    assert done.exit_code == 0, done.output
    updated = json.loads((out / JSON).read_text())
    assert updated["speed"] == results["speed"] and updated["accuracy"] == results["accuracy"]
    assert [d["name"] for d in updated["devices"]] == ["this machine"]
    latest = f"swingcoach bench all --data {tmp_path} --out {out} --quick --only models --update"
    assert updated["commands"] == [results["command"], latest]
    assert set(updated["seconds"]) == {"lift", "speed", "models"}
    text = (out / MARKDOWN).read_text()
    assert f"`{results['command']}` then `{latest}`" in text
    missing = runner.invoke(
        app, ["bench", "all", "--only", "models", "--out", str(tmp_path / "none"), "--update"]
    )
    assert missing.exit_code == 2 and "no benchmark report" in missing.output
