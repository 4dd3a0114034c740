"""`swingcoach bench ranges`: the timing metrics' ranges measured on GolfDB's annotated swings
(bench/ranges.py), pinned, and references.toml held to what the bench derives."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from swingcoach.analysis.reference import load_references
from swingcoach.bench.ranges import METRICS, Distribution, derived_band, run_ranges
from swingcoach.cli.app import app


def test_the_band_is_rounded_outward() -> None:
    d = Distribution.of(np.array([0.7667, 0.7667, 0.9, 1.0333, 1.0333]))
    assert d is not None and (d.p25, d.p75) == (pytest.approx(0.7667), pytest.approx(1.0333))
    assert d.band(2) == (0.76, 1.04)
    exact = Distribution.of(np.array([3.0, 3.0, 3.5, 4.0, 4.0]))
    assert exact is not None and exact.band(2) == (3.0, 4.0)


@pytest.fixture(scope="module")
def ranges(shared_data: Path) -> dict:
    return run_ranges(shared_data / "golfdb")


@pytest.mark.data
def test_golfdb_timing_figures(ranges: dict) -> None:
    """Pinned (2026-12): 753 real-time swings of 1,400; tempo median 3.43:1 (p25-p75 3.0-4.125)."""
    assert ranges["swings"] == 753
    assert sum(ranges["dropped"].values()) == 1400 - 753
    assert ranges["dropped"]["slow motion"] == 641
    tempo = ranges["metrics"]["tempo_ratio"]["overall"]
    assert tempo.n == 753
    assert tempo.median == pytest.approx(3.43, abs=0.01)
    assert (tempo.p25, tempo.p75) == (pytest.approx(3.0), pytest.approx(4.125))
    assert ranges["metrics"]["tempo_ratio"]["club"]["driver"].n == 502
    assert ranges["metrics"]["backswing_s"]["overall"].median == pytest.approx(0.867, abs=0.01)
    assert ranges["metrics"]["downswing_s"]["overall"].median == pytest.approx(0.267, abs=0.01)


@pytest.mark.data
def test_references_hold_the_measured_bands(shared_data: Path) -> None:
    """The three timing ranges in references.toml are the bench's bands, so the two cannot drift."""
    references = load_references()
    for metric in METRICS:
        assert references.metrics[metric].source == "golfdb", metric
        assert references.metrics[metric].range == derived_band(shared_data / "golfdb", metric), metric


@pytest.mark.data
def test_our_measurement_error_on_the_golfdb_landmark_files(ranges: dict) -> None:
    """Measured tempo against the annotated one on the real-time landmark files (docs/metrics.md):
    16 of 42 get a tempo, median |error| 0.45; it moves tour swings out of the band."""
    effect = ranges["metrics"]["tempo_ratio"]["measurement"]
    assert effect.swings + effect.without == ranges["landmark_files_real_time"] == 42
    assert effect.swings >= 12
    assert effect.median_abs_error == pytest.approx(0.45, abs=0.15)
    assert effect.in_band_measured < effect.in_band
    low, high = effect.measured_p10_p90
    assert low < effect.band[0] and high > effect.band[1]


@pytest.mark.data
def test_the_bench_command_prints_json(shared_data: Path) -> None:
    result = CliRunner().invoke(app, ["bench", "ranges", "--data", str(shared_data / "golfdb"), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["swings"] == 753
    assert figures["metrics"]["tempo_ratio"]["band"] == list(load_references().metrics["tempo_ratio"].range)


def test_the_bench_command_says_when_the_data_is_missing(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bench", "ranges", "--data", str(tmp_path / "nowhere")])
    assert result.exit_code != 0
    assert "GolfDB annotations not found" in result.output
    assert "Traceback" not in result.output
