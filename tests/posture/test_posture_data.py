"""The shipped posture models on the real data (`../shared/data/posture`). The recognition figures
here are on the models' own training data (pins, not accuracy: `swingcoach bench posture` measures
on people and recordings left out of training)."""

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from swingcoach.cli.app import app
from swingcoach.posture.classifier import PostureClassifier
from swingcoach.posture.form import f1_score, load_rules
from swingcoach.posture.held import majority_label
from swingcoach.train.posture_data import load_exercises, load_form_rows, load_yoga_sequences

pytestmark = pytest.mark.data
runner = CliRunner()


@pytest.fixture
def posture_data(shared_data: Path) -> Path:
    return shared_data / "posture"


def test_shipped_yoga_model_on_its_sequences(posture_data: Path) -> None:
    classifier = PostureClassifier.for_sport("yoga")
    sequences = load_yoga_sequences(posture_data)
    assert len(sequences) == 140
    right = [majority_label(classifier, s.points)[0] == s.label for s in sequences]
    assert np.mean(right) == pytest.approx(0.971, abs=0.02)


def test_shipped_exercise_model_on_its_sequences(posture_data: Path) -> None:
    classifier = PostureClassifier.for_sport("exercise")
    sequences = load_exercises(posture_data)
    labels = [classifier.bank.labels[int(classifier.probabilities(s.points)[0].argmax())] for s in sequences]
    assert np.mean([a == s.label for a, s in zip(labels, sequences, strict=True)]) == pytest.approx(
        0.972, abs=0.02
    )


def test_shipped_form_limits_on_the_labelled_rows(posture_data: Path) -> None:
    rules, truth, flagged = load_rules(), [], []
    for rows in load_form_rows(posture_data):
        for rule in (r for r in rules if r.exercise == rows.exercise):
            relevant = np.isin(rows.labels, ["C", rule.error])
            truth.append(rows.labels[relevant] == rule.error)
            flagged.append(rule.flags(rows.keypoints[relevant]))
    assert f1_score(np.concatenate(truth), np.concatenate(flagged)) == pytest.approx(0.977, abs=0.01)


@pytest.mark.slow
def test_a_real_photo_is_classified_end_to_end(posture_data: Path) -> None:
    result = runner.invoke(
        app, ["posture", "classify", str(posture_data / "yoga_images/downdog/001.jpg"), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["label"] == "downdog"


@pytest.mark.slow
def test_repetitions_of_a_real_video_are_counted_from_our_own_poses(posture_data: Path) -> None:
    video = posture_data / "repetition_videos/023_fitness.mp4"
    result = runner.invoke(app, ["posture", "count", str(video), "--json"])
    assert result.exit_code == 0, result.output
    truth = json.loads(video.with_suffix(".json").read_text())["rep_count"]
    assert json.loads(result.stdout)["repetitions"] == truth == 7


@pytest.mark.slow
def test_analyze_a_real_photo_with_sport_yoga(posture_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = runner.invoke(
        app, ["analyze", str(posture_data / "yoga_images/tree/001.jpg"), "--sport", "yoga", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert [p["label"] for p in report["poses"]] == ["tree"] and 0 < report["poses"][0]["accuracy"] <= 100
    assert (out / "annotated.jpg").stat().st_size > 10_000
